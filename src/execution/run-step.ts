// One step of the plan, as the executor starts it: its up-to-date check first (SPEC §10),
// made here — once its deps have ended, not before they ran — then its attempts. What a
// fingerprint is and where it is kept is incremental/'s business; this module only asks.
import type { Step } from "../plan/plan.ts";
import { runAttempts, type AttemptOptions, type RunWatch } from "./attempt.ts";
import type { TaskRun } from "./outcomes.ts";

/** The run's up-to-date checks, one per step (incremental/checker.ts). */
export interface UpToDateChecker {
  /**
   * Called as the step starts, after its deps ended. Up to date: it does not run. Otherwise
   * `ended` is told how it ended once it did, so that a pass records its fingerprint (as it
   * was before it ran) and its dependents know it ran.
   */
  check(step: Step): Promise<{ readonly upToDate: true } | { readonly upToDate: false; ended(run: TaskRun): void }>;
}

export async function runStep(
  step: Step,
  options: AttemptOptions,
  watch: RunWatch,
  upToDate: UpToDateChecker | undefined,
): Promise<TaskRun> {
  if (upToDate === undefined) return runAttempts(step, options, watch);
  const startedAt = options.clock.epochMs();
  const started = options.clock.now();
  const check = await upToDate.check(step);
  if (check.upToDate) {
    const durationMs = options.clock.now() - started;
    return { step, status: { kind: "up-to-date" }, startedAt, durationMs, attempts: [], commands: [], outputTail: "" };
  }
  const run = await runAttempts(step, options, watch);
  check.ended(run);
  return run;
}
