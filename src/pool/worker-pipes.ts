// A pool worker's stdout and stderr, pipes to runner (worker-main.ts): made blocking, so that
// what a task prints right before process.exit is not lost, and marked (output-marks.ts) —
// an end mark where a task's output ends, and a frame around what code an earlier task left
// behind prints, so that runner shows it as that task's.
import { mark, type Marks } from "./output-marks.ts";

interface Handle {
  setBlocking?: (blocking: boolean) => void;
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

export class WorkerPipes {
  /** The start of the marks, given with each task (runner alone knows it). */
  prefix = "";
  /**
   * Whether task code ended the pipe (process.stdout.end()). Node then shuts it down and
   * resets the stream's state (stdio streams are never destroyed), so the stream cannot tell.
   */
  readonly ended = { stdout: false, stderr: false };
  private readonly raw: { readonly stdout: (text: string) => boolean; readonly stderr: (text: string) => boolean };
  private seq = 0;

  /** `lateTask`: the id of the earlier task whose code runs now, if it is not the running task's. */
  constructor(lateTask: () => number | undefined) {
    const pipe = (name: "stdout" | "stderr"): ((text: string) => boolean) => {
      const stream = process[name];
      (stream as unknown as { _handle?: Handle })._handle?.setBlocking?.(true);
      const end = stream.end.bind(stream) as (...args: unknown[]) => typeof stream;
      stream.end = ((...args: unknown[]) => {
        // After the call: a last chunk it is given is still written.
        const result = end(...args);
        this.ended[name] = true;
        return result;
      }) as typeof stream.end;
      // The stream's own write, taken before task code can replace it: a mark comes after
      // what the stream still holds.
      const write = stream.write.bind(stream) as Write;
      const uncork = stream.uncork.bind(stream);
      const raw = (text: string): boolean => {
        // A pipe the task's code ended takes no mark: runner does not wait for one there.
        if (this.ended[name] || stream.writableEnded || stream.destroyed) return false;
        while (stream.writableCorked > 0) uncork();
        write(text);
        return true;
      };
      stream.write = (chunk: unknown, ...rest: unknown[]) => {
        const late = this.prefix === "" ? undefined : lateTask();
        if (late === undefined || !raw(mark(this.prefix, "from", late))) return write(chunk, ...rest);
        try {
          return write(chunk, ...rest);
        } finally {
          raw(mark(this.prefix, "back", 0));
        }
      };
      return raw;
    };
    this.raw = { stdout: pipe("stdout"), stderr: pipe("stderr") };
  }

  /** Writes the next end mark into each pipe that can take one: after all that was printed before. */
  end(): Marks {
    const text = mark(this.prefix, "end", ++this.seq);
    return { seq: this.seq, stdout: this.raw.stdout(text), stderr: this.raw.stderr(text) };
  }
}
