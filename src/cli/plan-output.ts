// What `--plan` prints: the steps in order, or the waves of a parallel run; `--json` too.
import { describeStep, shownOptions } from "../plan/describe.ts";
import type { Step } from "../plan/plan.ts";

export function planText(steps: readonly Step[], waves: readonly (readonly Step[])[] | undefined): string {
  if (waves !== undefined) {
    return waves.map((wave, index) => `wave ${index + 1}: ${wave.map(describeStep).join(", ")}\n`).join("");
  }
  return steps.map((step, index) => `${index + 1}. ${describeStep(step)}\n`).join("");
}

/**
 * Deps and waves refer to steps by their index in `steps`, from 0 as JSON arrays are indexed
 * (`plan.steps[dep]`); only the text plan numbers its lines from 1, for people.
 */
export function planJson(steps: readonly Step[], waves: readonly (readonly Step[])[] | undefined): string {
  const number = new Map(steps.map((step, index) => [step, index]));
  const json = steps.map((step) => ({
    name: step.task.name,
    options: shownOptions(step),
    args: step.args,
    rest: step.rest,
    deps: step.deps.map((dep) => number.get(dep)),
  }));
  const plan =
    waves === undefined ? { steps: json } : { steps: json, waves: waves.map((w) => w.map((s) => number.get(s))) };
  return `${JSON.stringify(plan, null, 2)}\n`;
}
