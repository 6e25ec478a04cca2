// What `--plan` prints: the steps in order, or the waves of a parallel run; `--json` too.
import { describeStep, shownOptions } from "../plan/describe.ts";
import type { Step } from "../plan/plan.ts";

export function planText(steps: readonly Step[], waves: readonly (readonly Step[])[] | undefined): string {
  if (waves !== undefined) {
    return waves.map((wave, index) => `wave ${index + 1}: ${wave.map(describeStep).join(", ")}\n`).join("");
  }
  const number = new Map(steps.map((step, index) => [step, index + 1]));
  return steps
    .map((step, index) => {
      const notes: string[] = [];
      if (step.after.length > 0) notes.push(`after ${step.after.map((s) => number.get(s)).join(", ")}, passed or not`);
      if (step.together !== undefined) {
        const others = steps.filter((other) => other !== step && other.together === step.together);
        if (others.length > 0) notes.push(`at once with ${others.map((s) => number.get(s)).join(", ")}`);
      }
      return `${index + 1}. ${describeStep(step)}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}\n`;
    })
    .join("");
}

/**
 * `deps`, `waves` and `after` (a post task's step: it runs once that one ended) refer to steps
 * by their index in `steps`, from 0 as JSON arrays are indexed (`plan.steps[dep]`); only the
 * text plan numbers its lines from 1, for people. `together` is a group number: steps with
 * the same one may run at once (the deps of a `parallel: true` task).
 */
export function planJson(steps: readonly Step[], waves: readonly (readonly Step[])[] | undefined): string {
  const number = new Map(steps.map((step, index) => [step, index]));
  const json = steps.map((step) => ({
    name: step.task.name,
    options: shownOptions(step),
    args: step.args,
    rest: step.rest,
    deps: step.deps.map((dep) => number.get(dep)),
    ...(step.after.length > 0 ? { after: step.after.map((s) => number.get(s)) } : {}),
    ...(step.together !== undefined ? { together: step.together } : {}),
  }));
  const plan =
    waves === undefined ? { steps: json } : { steps: json, waves: waves.map((w) => w.map((s) => number.get(s))) };
  return `${JSON.stringify(plan, null, 2)}\n`;
}
