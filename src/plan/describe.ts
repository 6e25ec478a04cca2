// How a step is shown in plans, headers, prefixes and reports: `build --target esnext docs`,
// with the value of a `secret: true` option as `***`.
import { SECRET_MASK } from "../common/secrets.ts";
import type { Dep, Task } from "../loader/collection.ts";
import type { Step } from "./plan.ts";

/** The step's options as reports show them: every declared option's value, a secret's as `***`. */
export function shownOptions(step: Step): Readonly<Record<string, unknown>> {
  if (!step.task.options.some((def) => def.secret)) return step.options;
  const shown: Record<string, unknown> = { ...step.options };
  for (const def of step.task.options) {
    const value = shown[def.key];
    if (!def.secret || value === undefined) continue;
    shown[def.key] = Array.isArray(value) ? value.map(() => SECRET_MASK) : SECRET_MASK;
  }
  return shown;
}

/** Every secret value of the plan's steps (their `secret: true` options), as text. */
export function secretValues(steps: readonly Step[]): string[] {
  const values = new Set<string>();
  for (const step of steps) {
    for (const def of step.task.options) {
      if (!def.secret) continue;
      const value = step.options[def.key];
      for (const v of Array.isArray(value) ? value : [value]) {
        if ((typeof v === "string" || typeof v === "number") && String(v) !== "") values.add(String(v));
      }
    }
  }
  return [...values];
}

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
    if (def.type === "count" && value === 0 && def.default === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (def.type === "count") {
      // The flags that give this count: counting starts from the default.
      const from = typeof def.default === "number" ? def.default : 0;
      const count = Number(value);
      if (count < from) parts.push(`--no-${def.flag}`);
      const times = count < from ? count : count - from;
      if (times > 0 && def.short !== undefined) parts.push(`-${def.short.repeat(times)}`);
      else parts.push(...Array<string>(times).fill(`--${def.flag}`));
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const shown = def.secret ? SECRET_MASK : String(v);
      if (def.positional) parts.push(shown);
      else if (def.type === "boolean") parts.push(v === true ? `--${def.flag}` : `--no-${def.flag}`);
      else parts.push(`--${def.flag}`, shown);
    }
  }
  return parts;
}
