// How a step is shown in plans, headers, prefixes and reports: `build --target esnext docs`.
import type { Dep, Task } from "../loader/collection.ts";
import type { Step } from "./plan.ts";

/** describeStep's answers: a step never changes, and displays ask for each several times. */
const descriptions = new WeakMap<Step, string>();

/** `build --target esnext docs`: the task with the options that differ from its defaults. */
export function describeStep(step: Step): string {
  let text = descriptions.get(step);
  if (text === undefined) {
    text = describe(step);
    descriptions.set(step, text);
  }
  return text;
}

/** `build --target esnext`: a dep as its task lists it, with the options it gives it. */
export function describeDep(dep: Dep): string {
  return describeOptions(dep.task, Object.fromEntries(dep.given)).join(" ");
}

function describe(step: Step): string {
  const parts = describeOptions(step.task, step.options);
  parts.push(...step.args);
  if (step.rest.length > 0) parts.push("--", ...step.rest);
  return parts.join(" ");
}

/** The task's name and the options that differ from its defaults, as command-line words. */
function describeOptions(task: Task, options: Readonly<Record<string, unknown>>): string[] {
  const parts = [task.name];
  for (const def of task.options) {
    const value = options[def.key];
    if (value === undefined || value === def.default) continue;
    if (def.type === "boolean" && value === false && def.default === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (def.positional) parts.push(String(v));
      else if (def.type === "boolean") parts.push(v === true ? `--${def.flag}` : `--no-${def.flag}`);
      else parts.push(`--${def.flag}`, String(v));
    }
  }
  return parts;
}
