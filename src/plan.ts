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
  const keyOf = (frame: Frame): string => JSON.stringify([frame.task.name, frame.options, frame.args, frame.rest]);

  // Depth-first with a stack of our own rather than recursion: a long chain of deps must not
  // overflow the call stack. A task already planned (deduped) is not walked again: its deps
  // are planned already, and a graph where many tasks share deps stays linear.
  const add = (root: Frame): void => {
    const stack: Frame[] = [root];
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const existing = dedupe && frame.deps.length === 0 ? byKey.get(keyOf(frame)) : undefined;
      const dep = existing === undefined ? frame.task.deps[frame.deps.length] : undefined;
      if (dep !== undefined) {
        stack.push({ task: dep, options: defaultsOf(frame.task, dep), args: [], rest: [], deps: [] });
        continue;
      }
      stack.pop();
      let step = existing ?? (dedupe ? byKey.get(keyOf(frame)) : undefined);
      if (step === undefined) {
        step = { task: frame.task, options: frame.options, args: frame.args, rest: frame.rest, deps: frame.deps };
        byKey.set(keyOf(frame), step);
        steps.push(step);
      }
      stack.at(-1)?.deps.push(step);
    }
  };

  for (const invocation of invocations) {
    const options = finishOptions(invocation.task.name, invocation.task.options, invocation.given);
    add({ task: invocation.task, options, args: invocation.args, rest: invocation.rest, deps: [] });
  }
  return steps;
}

/** A task on its way into the plan: its deps' steps so far. */
interface Frame {
  readonly task: Task;
  readonly options: Readonly<Record<string, unknown>>;
  readonly args: readonly string[];
  readonly rest: readonly string[];
  readonly deps: Step[];
}

/** A dep runs with its defaults. */
function defaultsOf(task: Task, dep: Task): Readonly<Record<string, unknown>> {
  try {
    return finishOptions(dep.name, dep.options, new Map());
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UserError(`Task "${task.name}" depends on "${dep.name}", which cannot run with its defaults: ${why}`);
  }
}

/** describeStep's answers: a step never changes, and displays ask for each several times. */
const descriptions = new WeakMap<Step, string>();

/** `build --target esnext docs`: how a step is shown in plans and headers. */
export function describeStep(step: Step): string {
  let text = descriptions.get(step);
  if (text === undefined) {
    text = describe(step);
    descriptions.set(step, text);
  }
  return text;
}

function describe(step: Step): string {
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
