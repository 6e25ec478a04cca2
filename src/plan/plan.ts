// The plan: which task runs, with which options, in what order: for each named task its
// deps first, depth-first in declared order, then the task; a task runs once per run for
// the same options unless --no-dedupe. Built whole before anything runs, so bad input
// stops the run before it starts.
import { UserError } from "../common/user-error.ts";
import type { Task } from "../loader/collection.ts";
import type { OptionValue } from "../loader/option-declarations.ts";
import { finishOptions } from "./option-values.ts";
import { messageOf } from "../common/error-text.ts";

/** One task named on the command line, with what the command line gave it. */
export interface Invocation {
  readonly task: Task;
  /** Option key → value, only what the command line set. */
  readonly given: Map<string, OptionValue>;
  readonly args: string[];
  rest: string[];
}

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
    const why = messageOf(error);
    throw new UserError(`Task "${task.name}" depends on "${dep.name}", which cannot run with its defaults: ${why}`);
  }
}
