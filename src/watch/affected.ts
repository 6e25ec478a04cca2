// What a change affects: the steps it touches directly (their sources changed), and every
// step that depends on one of them, directly or not, through its deps or as its post task.
// The rest of the plan ended already and stays as it ended, so the sub-plan's edges to it
// are dropped: a step of the sub-plan waits only for steps that run again. Steps are
// immutable, so the sub-plan is made of new ones, in the plan's order, each keeping its
// `parallel: true` group and the step it is the post task of.
import type { Step } from "../plan/plan.ts";

export interface SubPlan {
  /** The steps to run, new objects in the plan's order. */
  readonly steps: readonly Step[];
  /** The plan's steps they stand for, in the same order. */
  readonly originals: readonly Step[];
}

/** The part of `plan` that `touched` steps affect; empty when they affect none. */
export function affectedPlan(plan: readonly Step[], touched: (step: Step) => boolean): SubPlan {
  // A step's deps and the steps it runs after come before it in the plan: one pass sees
  // every step after what it waits for.
  const affected = new Set<Step>();
  for (const step of plan) {
    if (touched(step) || [...step.deps, ...step.after].some((dep) => affected.has(dep))) affected.add(step);
  }
  const originals = plan.filter((step) => affected.has(step));
  const copies = new Map<Step, Step>();
  const copyOf = (step: Step): Step | undefined => copies.get(step);
  for (const step of originals) {
    copies.set(step, {
      ...step,
      deps: step.deps.flatMap((dep) => copyOf(dep) ?? []),
      after: step.after.flatMap((dep) => copyOf(dep) ?? []),
      // A post task whose task ended already stays one (it still runs after a failure).
      postOf: step.postOf === undefined ? undefined : (copyOf(step.postOf) ?? step.postOf),
    });
  }
  return { steps: originals.map((step) => copies.get(step) as Step), originals };
}
