// Attributing what task code prints. `console.log` inside a task function writes through
// runner's process.stdout.write; while tasks run, those writes go to the output of the task
// whose code made them. AsyncLocalStorage follows a task's code across `await`s and timers,
// so this holds even when several tasks run and print at once. Writes made outside any task
// go where they always went.
import { AsyncLocalStorage } from "node:async_hooks";
import type { TaskOutput } from "../context/context.ts";
import type { World } from "../world/world.ts";

export interface ConsoleCapture {
  /** Runs task code with its console output going to `output`. */
  readonly withOutput: <T>(output: TaskOutput, work: () => T) => T;
  /** Puts process.stdout/stderr.write back. */
  readonly restore: () => void;
}

export function captureConsole(world: Pick<World, "captureWrites">): ConsoleCapture {
  const current = new AsyncLocalStorage<TaskOutput>();
  const restore = world.captureWrites((stream) => {
    const output = current.getStore();
    return output === undefined ? undefined : (chunk) => void output[stream](chunk);
  });
  return { withOutput: (output, work) => current.run(output, work), restore };
}
