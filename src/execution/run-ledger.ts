// What the run's events have said so far, for the one end that cannot wait for the executor:
// task code stuck in synchronous code holds the main thread, and the watchdog ends the run
// from inside it (world/watchdog.ts). The summary and the report are then made of what is
// known: the tasks that ended, as they ended; those still running, ended as the watchdog
// says; those never started, skipped.
import type { Clock } from "../world/world.ts";
import type { Step } from "../plan/plan.ts";
import type { RunEvent } from "./events.ts";
import type { TaskRun, TaskStatus } from "./outcomes.ts";

export class RunLedger {
  private readonly started = new Map<Step, { readonly at: number; readonly epochMs: number }>();
  private readonly ended = new Map<Step, TaskRun>();

  constructor(private readonly clock: Clock) {}

  see(event: RunEvent): void {
    if (event.kind === "task-started")
      this.started.set(event.step, { at: this.clock.now(), epochMs: this.clock.epochMs() });
    else if (event.kind === "task-ended") this.ended.set(event.run.step, event.run);
  }

  /**
   * The runs of the steps that have not ended, in plan order, ended now: a running one with
   * `status(step)`, one never started skipped for `reason`.
   */
  endNow(steps: readonly Step[], status: (step: Step) => TaskStatus, reason: string): TaskRun[] {
    const now = this.clock.now();
    return steps
      .filter((step) => !this.ended.has(step))
      .map((step) => {
        const started = this.started.get(step);
        const ended: TaskStatus = started === undefined ? { kind: "skipped", reason } : status(step);
        const durationMs = started === undefined ? 0 : now - started.at;
        const run: TaskRun = {
          step,
          status: ended,
          startedAt: started?.epochMs,
          durationMs,
          attempts: started === undefined ? [] : [{ status: ended, durationMs }],
          commands: [],
          outputTail: "",
        };
        this.ended.set(step, run);
        return run;
      });
  }

  /** Every step's run, in plan order (after endNow, each has one). */
  runs(steps: readonly Step[]): TaskRun[] {
    return steps.flatMap((step) => {
      const run = this.ended.get(step);
      return run === undefined ? [] : [run];
    });
  }
}
