// Pool workers forked as the command line is read, ahead of the run that will want them
// (pool/spares.ts): `--isolate` says so before the tasks file is loaded. What the pool will
// fork is foreseen from what is known by then — runner's environment (a dotenv file or the
// config's `env` are not read yet), the colour the command line and the environment ask for,
// where the tasks file will be, -p and -j — and a spare the pool would not have forked so is
// never used, only killed.
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { colorEnabled } from "../display/style.ts";
import { projectDir } from "../loader/discover.ts";
import { Spares } from "../pool/spares.ts";
import { workerScript } from "../pool/worker-pool.ts";
import type { World } from "../world/world.ts";
import type { CoreOptions } from "./grammar.ts";

/**
 * Spares for a run the leading options say isolates its tasks, as many as it may run at once
 * (`-j`, else the CPUs), and no more than the CPUs or the words after those options (each
 * task is named by one); none where they say that nothing runs here (--list, --plan, a run
 * through Redis), or where a loop of runs (--watch) follows.
 */
export function sparesAhead(world: World, core: CoreOptions, words: readonly string[]): Spares | undefined {
  const runsHere =
    core.isolate &&
    !core.watch &&
    !core.worker &&
    !core.plan &&
    core.help === undefined &&
    core.list === undefined &&
    core.graph === undefined &&
    core.redis === undefined &&
    (core.local || !world.env.RUNNER_REDIS) &&
    core.completion === undefined &&
    !core.complete &&
    !core.version;
  const names = words.filter((word) => !word.startsWith("-")).length;
  if (!runsHere || names === 0) return undefined;
  const given = core.jobs ?? world.env.RUNNER_JOBS ?? "";
  const jobs = /^\d+$/.test(given) ? Number(given) : availableParallelism();
  const concurrent = core.parallel && jobs > 1;
  const env: Record<string, string | undefined> = { ...world.env };
  // As the run sets it (run.ts), with no `color` setting read yet.
  const colour = colorEnabled({ flag: core.color, config: undefined, env: world.env, isTTY: world.stdout.isTTY });
  if (colour && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "1";
  // Where the run's commands start: the tasks file's project (project.ts), foreseen where the
  // command line or RUNNER_FILE names the file, else where its search starts.
  const file = core.file ?? (world.env.RUNNER_FILE || undefined);
  const start = core.cwd === undefined ? world.cwd : resolve(world.cwd, core.cwd);
  const spares = new Spares(world.kill);
  spares.fork(
    {
      script: workerScript(dirname(world.runner.entries.cjs["runner-ts"] ?? "")),
      ...world.node,
      env,
      cwd: file === undefined ? start : projectDir(resolve(world.cwd, file)),
      stdin: !concurrent && world.stdinInheritable ? "inherit" : "ignore",
    },
    // The pool forks the rest of a larger -j as tasks need them.
    Math.min(concurrent ? jobs : 1, names, availableParallelism()),
  );
  return spares;
}
