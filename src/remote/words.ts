// A step as command-line words (SPEC §8 "Only named tasks"): the dispatcher sends each
// task's options as the words that would set them, and the worker parses those with the
// CLI's own parser against its own tasks file (cli/worker.ts), as if typed there.
import type { Step } from "../plan/plan.ts";

/** The words that give `step`'s task its options, positionals and rest. */
export function stepWords(step: Step): string[] {
  const words: string[] = [];
  for (const def of step.task.options) {
    const value = step.options[def.key];
    if (value === undefined) continue;
    const flag = `--${def.flag}`;
    if (def.type === "boolean") words.push(value === true ? flag : `--no-${def.flag}`);
    else if (def.type === "count") {
      const times = typeof value === "number" ? value : 0;
      words.push(...(times === 0 ? [`--no-${def.flag}`] : Array.from({ length: times }, () => flag)));
    } else {
      for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) words.push(`${flag}=${String(item)}`);
    }
  }
  words.push(...step.args);
  if (step.rest.length > 0) words.push("--", ...step.rest);
  return words;
}
