import type { Step } from "./plan.ts";

/**
 * A parallel plan as waves: the tasks that can start together, each wave once the ones
 * before it have passed (a step goes one wave after its latest dep, a post task one after its task). In plan order within a
 * wave. At most `-j` of a wave run at once; the rest start as others end.
 */
export function planWaves(steps: readonly Step[]): Step[][] {
  const waveOf = new Map<Step, number>();
  const waves: Step[][] = [];
  // Plan order puts every dep before its dependents, so one pass suffices.
  for (const step of steps) {
    const wave = [...step.deps, ...step.after].reduce(
      (latest, dep) => Math.max(latest, (waveOf.get(dep) ?? -1) + 1),
      0,
    );
    waveOf.set(step, wave);
    (waves[wave] ??= []).push(step);
  }
  return waves;
}
