// What --watch cannot go with, said in one line before anything runs. Kept apart from the
// loop (watch-loop.ts) so that checking it loads no watcher.
import { UserError } from "../common/user-error.ts";
import type { Step } from "../plan/plan.ts";
import type { CoreOptions } from "./grammar.ts";

/** --watch with an option that prints instead of running, or runs elsewhere; `redis`: where a Redis URL came from, if one did. */
export function checkWatchOptions(core: CoreOptions, redis: string | undefined): void {
  const printing = [
    core.list !== undefined ? "--list" : undefined,
    core.plan ? "--plan" : undefined,
    core.graph !== undefined ? "--graph" : undefined,
  ].find((option) => option !== undefined);
  if (printing !== undefined) {
    throw new UserError(`Options --watch and ${printing} do not go together: ${printing} runs nothing to watch.`);
  }
  if (core.dryRun) throw new UserError("Options --watch and --dry-run do not go together: use one.");
  if (core.worker)
    throw new UserError("Options --watch and --worker do not go together: a worker runs what it is sent.");
  if (redis !== undefined) {
    const hint = redis === "--redis" ? "" : " (--no-redis runs here)";
    throw new UserError(`--watch runs tasks here, not through Redis: it cannot be used with ${redis}${hint}.`);
  }
}

/** A plan with nothing to watch. */
export function checkWatchedSources(steps: readonly Step[]): void {
  if (!steps.some((step) => (step.task.sources?.length ?? 0) > 0)) {
    throw new UserError("--watch: none of these tasks has sources to watch (give a task `sources: [...]`).");
  }
}
