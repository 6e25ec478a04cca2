// What the next run under --watch has to do. Not only what a change touched: a run that a
// change cancelled, or that failed, left work undone, and the next run takes it in —
//  - a step that never got to end (not run yet, cancelled, skipped by fail-fast) whose
//    deps had all succeeded runs next time, whatever changed;
//  - a step that failed runs again when its sources change, or when a step that runs
//    waits for it (a sub-plan drops its edges to steps outside it, so a dependent would
//    otherwise run on a failed dep's leftovers);
//  - a step skipped because a dep failed comes along as that dep's dependent;
//  - a service (SPEC §11) runs again with any step that runs and needs it: it was stopped
//    when the last run no longer needed it, so passing then is no reason to leave it out.
// A step that succeeded stays as it is until its sources (or a dep's) change.
import { succeeded, type TaskRun } from "../execution/outcomes.ts";
import type { Step } from "../plan/plan.ts";
import { affectedPlan, type SubPlan } from "./affected.ts";

export class WorkLeft {
  /** How each step last ended; a step absent here never ran. */
  private readonly ended = new Map<Step, TaskRun["status"]>();

  constructor(private readonly plan: readonly Step[]) {}

  /** The sub-plan to run when `changed` steps' sources changed; empty when there is nothing to do. */
  next(changed: (step: Step) => boolean): SubPlan {
    const touched = new Set(this.plan.filter((step) => changed(step) || this.undone(step)));
    // Walk up from what will run: a dep that has not succeeded runs too, and a service always.
    const pending = [...touched];
    for (let step = pending.pop(); step !== undefined; step = pending.pop()) {
      for (const dep of [...step.deps, ...step.after]) {
        const service = step.deps.includes(dep) && dep.task.service !== undefined;
        if (touched.has(dep) || (this.waitedFor(step, dep) && !service)) continue;
        touched.add(dep);
        pending.push(dep);
      }
    }
    return affectedPlan(this.plan, (step) => touched.has(step));
  }

  /** Takes in how a run of `sub` ended; steps it has no run for never got to end. */
  took(sub: SubPlan, runs: readonly TaskRun[]): void {
    const originalOf = new Map(sub.steps.map((step, i) => [step, sub.originals[i]]));
    for (const step of sub.originals) this.ended.delete(step);
    for (const run of runs) {
      const original = originalOf.get(run.step);
      if (original !== undefined) this.ended.set(original, run.status);
    }
  }

  private succeeded(step: Step): boolean {
    const status = this.ended.get(step);
    return status !== undefined && succeeded(status);
  }

  /** It has not ended, though what it waits for ended as it needs. */
  private undone(step: Step): boolean {
    return !this.hasEnded(step) && [...step.deps, ...step.after].every((dep) => this.waitedFor(step, dep));
  }

  /** Whether `dep` ended as `step` needs it to: a dep succeeded; a post task's task ended, however. */
  private waitedFor(step: Step, dep: Step): boolean {
    if (step.deps.includes(dep)) return this.succeeded(dep);
    return this.hasEnded(dep);
  }

  /** It ran to an end of its own: not absent, cancelled or skipped. */
  private hasEnded(step: Step): boolean {
    const kind = this.ended.get(step)?.kind;
    return kind !== undefined && kind !== "cancelled" && kind !== "skipped";
  }
}
