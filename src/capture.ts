// Attributing what task code prints. `console.log` inside a task function writes through
// `process.stdout.write`; while tasks run, those writes are routed to the output of the
// task whose code made them. AsyncLocalStorage follows a task's code across `await`s and
// timers, so this holds even when several tasks run and print at once. Writes made outside
// any task (runner's own) go where they always went.
import { AsyncLocalStorage } from "node:async_hooks";
import type { TaskOutput } from "./output.ts";

export interface ConsoleCapture {
  /** Runs task code with its console output going to `output`. */
  readonly withOutput: <T>(output: TaskOutput, work: () => T) => T;
  /** Puts process.stdout/stderr.write back. */
  readonly restore: () => void;
}

export function captureConsole(): ConsoleCapture {
  const current = new AsyncLocalStorage<TaskOutput>();
  const streams = [
    [process.stdout, "stdout"],
    [process.stderr, "stderr"],
  ] as const;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back, and called with its stream
  const originals = streams.map(([stream]) => stream.write);
  streams.forEach(([stream, name], index) => {
    const original = originals[index]!;
    const routed = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const output = current.getStore();
      if (output === undefined || (typeof chunk !== "string" && !(chunk instanceof Uint8Array))) {
        return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      }
      // write(text, encoding): text in another encoding than UTF-8 ("hex", "latin1") is
      // turned into the bytes it stands for. A copy either way: the task may reuse its
      // buffer once write() returns, and the output may hold on to the chunk.
      const encoding = typeof rest[0] === "string" && Buffer.isEncoding(rest[0]) ? rest[0] : "utf8";
      void output[name](typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk));
      // write(chunk, encoding?, callback?): call the callback as a stream would.
      const callback = rest.find((arg): arg is () => void => typeof arg === "function");
      if (callback !== undefined) queueMicrotask(callback);
      return true;
    };
    stream.write = routed;
  });
  return {
    withOutput: (output, work) => current.run(output, work),
    restore: () => {
      streams.forEach(([stream], index) => {
        stream.write = originals[index]!;
      });
    },
  };
}
