// The step a job of a distributed run names (SPEC §8 "Only named tasks"): the worker looks
// the task up in its own tasks file and parses the job's words with the CLI's own parser,
// as if they had been typed after the task's name (remote/words.ts writes them).
import { UserError } from "../common/user-error.ts";
import type { Collection } from "../loader/collection.ts";
import { finishOptions } from "../plan/option-values.ts";
import type { Step } from "../plan/plan.ts";
import { splitArgs } from "./command-line.ts";
import { coreOptionShapes } from "./grammar.ts";

/**
 * The step a job names, from the worker's own tasks: the task, its words parsed as the CLI
 * parses them. A task that is not there, or words that are not its options, throw a
 * UserError saying so (the job then fails without a retry).
 */
export function stepOf(collection: Collection, name: string, words: readonly string[]): Step {
  const task = collection.find(name);
  if (task === undefined || task.name !== name)
    throw new UserError(`unknown task "${name}" in this worker's tasks file`);
  let split: ReturnType<typeof splitArgs>;
  try {
    split = splitArgs([name, ...words], 0, collection, coreOptionShapes());
  } catch (error) {
    throw new UserError(`invalid options: ${error instanceof Error ? error.message : String(error)}`);
  }
  const invocation = split.invocations[0];
  if (split.invocations.length !== 1 || invocation?.task !== task || split.matches.length > 0) {
    throw new UserError(`invalid options: ${JSON.stringify(words.join(" "))} are not options of "${name}"`);
  }
  let options: Step["options"];
  try {
    options = finishOptions(task.name, task.options, invocation.given);
  } catch (error) {
    throw new UserError(`invalid options: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    task,
    options,
    args: invocation.args,
    rest: split.rest,
    deps: [],
    after: [],
    postOf: undefined,
    together: undefined,
  };
}
