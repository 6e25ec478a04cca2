// The plan: which task runs, with which options, in what order: for each named task its
// deps first, depth-first in declared order, then the task; a task runs once per run for
// the same options unless --no-dedupe. Built whole before anything runs, so bad input
// stops the run before it starts.
import { UserError } from "../common/user-error.ts";
import type { Dep, Task } from "../loader/collection.ts";
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
  /** Steps this one runs after once they have ended, however (it is their `post` task). */
  readonly after: readonly Step[];
  /** For a post task and its own deps: the step whose post task it is. */
  readonly postOf: Step | undefined;
  /**
   * Steps with the same number may run at the same time even in a serial run: they are
   * (or are under) the deps of a `parallel: true` task.
   */
  readonly together: number | undefined;
}

export function planRun(invocations: readonly Invocation[], dedupe: boolean): Step[] {
  const steps: Step[] = [];
  const byKey = new Map<string, Step>();
  const keyOf = (frame: Frame): string => JSON.stringify([frame.task.name, frame.options, frame.args, frame.rest]);
  let groups = 0;
  const frameOf = (
    task: Task,
    options: Frame["options"],
    from: Frame | undefined,
    extra: Partial<Frame> = {},
  ): Frame => {
    const together = from === undefined ? undefined : (from.inside ?? from.together);
    return {
      task,
      options,
      args: [],
      rest: [],
      deps: [],
      together,
      inside: together ?? (task.parallel ? ++groups : undefined),
      postOf: from?.postOf,
      after: undefined,
      ...extra,
    };
  };

  // Depth-first with a stack of our own rather than recursion: a long chain of deps must not
  // overflow the call stack. A task already planned (deduped) is not walked again: its deps
  // are planned already, and a graph where many tasks share deps stays linear. A new step's
  // post tasks are planned right after it, each waiting for it to end.
  const add = (root: Frame): void => {
    const stack: Frame[] = [root];
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const existing = dedupe && frame.deps.length === 0 ? byKey.get(keyOf(frame)) : undefined;
      const dep = existing === undefined ? frame.task.deps[frame.deps.length] : undefined;
      if (dep !== undefined) {
        stack.push(frameOf(dep.task, optionsOf(frame.task, dep), frame));
        continue;
      }
      stack.pop();
      let step = existing ?? (dedupe ? byKey.get(keyOf(frame)) : undefined);
      const parent = stack.at(-1);
      if (step === undefined) {
        step = {
          task: frame.task,
          options: frame.options,
          args: frame.args,
          rest: frame.rest,
          deps: frame.deps,
          after: frame.after === undefined ? [] : [frame.after],
          postOf: frame.after ?? frame.postOf,
          together: frame.together,
        };
        byKey.set(keyOf(frame), step);
        steps.push(step);
        if (frame.after === undefined) parent?.deps.push(step);
        const owner = step;
        const posts = frame.task.post.map((post) =>
          frameOf(post.task, optionsOf(frame.task, post), undefined, {
            together: frame.together,
            postOf: owner,
            after: owner,
          }),
        );
        stack.push(...posts.reverse());
      } else if (frame.after === undefined) {
        parent?.deps.push(step);
      }
    }
  };

  for (const invocation of invocations) {
    const options = finishOptions(invocation.task.name, invocation.task.options, invocation.given);
    add({ ...frameOf(invocation.task, options, undefined), args: invocation.args, rest: invocation.rest });
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
  /** The `parallel: true` group it is in, and the one its own deps are in. */
  readonly together: number | undefined;
  readonly inside: number | undefined;
  readonly postOf: Step | undefined;
  /** For a post task: the step it follows. */
  readonly after: Step | undefined;
}

/** A dep (or post task) runs with the options its task gives it, and defaults for the rest. */
function optionsOf(task: Task, dep: Dep): Readonly<Record<string, unknown>> {
  try {
    return finishOptions(dep.task.name, dep.task.options, dep.given);
  } catch (error) {
    const why = messageOf(error);
    const how = dep.given.size === 0 ? "its defaults" : "the options it is given";
    const relation = task.deps.includes(dep) ? "depends on" : "runs after it";
    throw new UserError(`Task "${task.name}" ${relation} "${dep.task.name}", which cannot run with ${how}: ${why}`);
  }
}
