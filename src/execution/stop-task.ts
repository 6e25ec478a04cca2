// Stopping a task (a cancel, a Ctrl-C, its time limit, process.exit): its commands are
// stopped, and its cleanup — the `finally` blocks its stopped commands throw into, then its
// ctx.defer functions — gets the grace period to run, commands included (SPEC §3 "Cleanup").
import { longTimer, type LongTimer } from "../common/long-timer.ts";

/** What stopping a task needs of it. */
export interface Stoppable {
  /** Aborting it stops the task's commands (ctx.signal). */
  readonly controller: AbortController;
  /** Aborting it ends the grace period of the commands started since. */
  readonly grace: AbortController;
  readonly running: ReadonlySet<Promise<unknown>>;
  readonly killGraceMs: number;
  /** The task's code and then its deferred functions. */
  readonly ended: Promise<unknown>;
  /** Runs its deferred functions (once). */
  readonly cleanup: () => Promise<void>;
}

/**
 * Stops a task: its commands' process groups get SIGTERM (or the Ctrl-C's signal), then
 * SIGKILL after the grace period. Within that period its cleanup still runs — the `finally`
 * blocks its stopped commands throw into, then its deferred functions, their commands
 * included — and the task ends as soon as that is over; at the end of it, what still runs
 * is killed. Then it waits until every command has ended, so that nothing of this task runs
 * on into the next one. Its JavaScript may run on: it cannot be killed.
 */
export async function stopTask(task: Stoppable, reason: unknown): Promise<void> {
  task.controller.abort(reason);
  const timers: LongTimer[] = [];
  const after = (ms: number, unref = false): Promise<void> =>
    new Promise((resolve) => {
      const timer = longTimer(resolve, ms);
      timers.push(unref ? timer.unref() : timer);
    });
  const graceOver = after(task.killGraceMs);
  // Code that waits on something other than its commands (ignoring ctx.signal) may never
  // settle: once none of its commands runs, its deferred functions run without waiting for it.
  await Promise.race([task.ended.catch(() => undefined), commandsIdle(task.running).then(task.cleanup), graceOver]);
  // The cleanup is over, or its time is: what it still runs is killed now.
  task.grace.abort("SIGKILL");
  // The commands stopped at first get SIGKILL when the grace period ends (command-process.ts).
  await Promise.race([commandsIdle(task.running), graceOver.then(() => after(1000, true))]);
  for (const timer of timers) timer.cancel();
}

/**
 * Settles once none of the task's commands runs, not even one started right after the last
 * ended. Not the task's own promise: it settles as soon as its first command throws, while
 * others it started (Promise.all) may still be on their way down.
 */
async function commandsIdle(running: ReadonlySet<Promise<unknown>>): Promise<void> {
  do {
    await Promise.allSettled([...running]);
    await new Promise((resolve) => setImmediate(resolve));
  } while (running.size > 0);
}
