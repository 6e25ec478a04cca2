// The plan: which task runs, with which options, in what order (SPEC §3, serial): for each
// named task its deps first, depth-first in declared order, then the task; a task runs
// once per run for the same options unless --no-dedupe. Built whole before anything runs,
// so bad input stops the run before it starts.
import type { Task } from "./collection.ts";
import { UserError } from "./errors.ts";
import { finishOptions } from "./options.ts";
import type { Invocation } from "./parse-args.ts";

export interface Step {
  readonly task: Task;
  readonly options: Readonly<Record<string, unknown>>;
  readonly args: readonly string[];
  readonly rest: readonly string[];
  /** Steps this one waits for (its deps' steps). */
  readonly deps: readonly Step[];
}

export function planRun(invocations: readonly Invocation[], dedupe: boolean): Step[] {
  const steps: Step[] = [];
  const byKey = new Map<string, Step>();

  const add = (
    task: Task,
    options: Readonly<Record<string, unknown>>,
    args: readonly string[],
    rest: readonly string[],
    path: readonly Task[],
  ): Step => {
    const deps = task.deps.map((dep) => {
      let depOptions;
      try {
        depOptions = finishOptions(dep.name, dep.options, new Map());
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new UserError(`Task "${task.name}" depends on "${dep.name}", which cannot run with its defaults: ${why}`);
      }
      return add(dep, depOptions, [], [], [...path, task]);
    });
    const key = JSON.stringify([task.name, options, args, rest]);
    const existing = byKey.get(key);
    if (dedupe && existing !== undefined) return existing;
    const step: Step = { task, options, args, rest, deps };
    byKey.set(key, step);
    steps.push(step);
    return step;
  };

  for (const invocation of invocations) {
    const options = finishOptions(invocation.task.name, invocation.task.options, invocation.given);
    add(invocation.task, options, invocation.args, invocation.rest, []);
  }
  return steps;
}

/** `build --target esnext docs`: how a step is shown in plans and headers. */
export function describeStep(step: Step): string {
  const parts = [step.task.name];
  for (const def of step.task.options) {
    const value = step.options[def.key];
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
  parts.push(...step.args);
  if (step.rest.length > 0) parts.push("--", ...step.rest);
  return parts.join(" ");
}

/**
 * A parallel plan as waves: the tasks that can start together, each wave once the ones
 * before it have passed (a step goes one wave after its latest dep). In plan order within a
 * wave. At most `-j` of a wave run at once; the rest start as others end.
 */
export function planWaves(steps: readonly Step[]): Step[][] {
  const waveOf = new Map<Step, number>();
  const waves: Step[][] = [];
  // Plan order puts every dep before its dependents, so one pass suffices.
  for (const step of steps) {
    const wave = step.deps.reduce((latest, dep) => Math.max(latest, (waveOf.get(dep) ?? -1) + 1), 0);
    waveOf.set(step, wave);
    (waves[wave] ??= []).push(step);
  }
  return waves;
}
