// Task code and the process it shares with runner. AsyncLocalStorage follows a task's code
// across `await`s and timers, so that what it does to the process is its own, even when
// several tasks run at once:
//   - `console.log` (a write to runner's process.stdout) goes to the task's output;
//   - `process.exit(n)` ends that task with status n (0: passed), and the run goes on;
//   - an error that escapes it (a throw in a timer, a promise rejected with no one to handle
//     it: a forgotten `await ctx.run(...)`) fails that task, not runner.
// Outside any task, writes and exits go where they always went; an escaped error with no task
// to blame is the run's (see `escaped`).
import { AsyncLocalStorage } from "node:async_hooks";
import type { TaskOutput } from "../context/context.ts";
import type { World } from "../world/world.ts";

/** What one attempt of a task hands its code's process-wide effects to. */
export interface TaskScope {
  /** The task's name, for what is said of it. */
  readonly name: string;
  readonly output: TaskOutput;
  /** Its code called process.exit(code). */
  exit(code: number): void;
  /** An error escaped its code (uncaught, or a rejection nothing handled). */
  crash(error: unknown, how: "uncaught" | "unhandled rejection"): void;
}

/** Thrown from process.exit inside task code, so that the code stops where it called it. */
export class TaskExit extends Error {
  override readonly name = "TaskExit";
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

/** Whether `error` is a TaskExit; false for a value `instanceof` cannot look at (a Proxy whose traps throw). */
export function isTaskExit(error: unknown): error is TaskExit {
  try {
    return error instanceof TaskExit;
  } catch {
    return false;
  }
}

export interface TaskScopes {
  /** Runs task code within `scope`. */
  readonly run: <T>(scope: TaskScope, work: () => T) => T;
  /** The scope of the task code running now, if any is. */
  readonly current: () => TaskScope | undefined;
  /** Puts the process back as it was. */
  readonly restore: () => void;
}

export type ScopeWorld = Pick<World, "captureWrites" | "trapExit" | "onUncaught">;

export function taskScopes(
  world: ScopeWorld,
  /** An error escaped code that runs in no task's scope. */
  escaped: (error: unknown, how: "uncaught" | "unhandled rejection") => void,
): TaskScopes {
  const current = new AsyncLocalStorage<TaskScope>();
  const restoreWrites = world.captureWrites((stream) => {
    const scope = current.getStore();
    return scope === undefined ? undefined : (chunk) => void scope.output[stream](chunk);
  });
  const restoreExit = world.trapExit((code) => {
    const scope = current.getStore();
    if (scope === undefined) return;
    scope.exit(code);
    throw new TaskExit(code);
  });
  const stopWatching = world.onUncaught((error, how) => {
    // The TaskExit of a process.exit called from a timer: the task has its status already.
    if (isTaskExit(error)) return;
    const scope = current.getStore();
    if (scope === undefined) escaped(error, how);
    else scope.crash(error, how);
  });
  return {
    run: (scope, work) => current.run(scope, work),
    current: () => current.getStore(),
    restore: () => {
      stopWatching();
      restoreExit();
      restoreWrites();
    },
  };
}
