// The program: from the command line to an exit status, as a list of steps. It takes its
// world as an argument and touches nothing else, so the whole program runs in tests.
import { displayPath } from "../common/display-path.ts";
import { UserError } from "../common/user-error.ts";
import { resolveConfig } from "../config/resolve.ts";
import type { RawConfig } from "../config/settings.ts";
import { colorEnabled, makeStyle } from "../display/style.ts";
import { afterLostOutput, errorExitStatus, INTERNAL_ERROR, PASSED } from "../execution/exit-status.ts";
import { NoTasksFileError } from "../loader/discover.ts";
import { planRun, type Invocation } from "../plan/plan.ts";
import { planWaves } from "../plan/waves.ts";
import type { World } from "../world/world.ts";
import { misplacedLoadOption, readLeading, splitArgs, unknownTask } from "./command-line.ts";
import { completeWords, completionScript } from "./completion.ts";
import { coreHelp, coreOptionsOf, coreOptionShapes, type CoreOptions } from "./grammar.ts";
import { listJson, listText, taskHelpText } from "./help.ts";
import { graphText } from "./graph-output.ts";
import { planJson, planText } from "./plan-output.ts";
import { loadProject, type Project } from "./project.ts";
import type { WatchedPlan } from "./watch-loop.ts";
import { stackOf } from "../common/error-text.ts";
import { checkWatchedSources, checkWatchOptions } from "./watch-check.ts";
import type { Spares } from "../pool/spares.ts";
import { sparesAhead } from "./spares-ahead.ts";

/** Runs `runner <argv>` in `world`; the exit status. Errors end here: one line, or a bug's stack. */
export async function main(world: World): Promise<number> {
  try {
    return await program(world);
  } catch (error) {
    const status = errorExitStatus(error);
    if (error instanceof UserError) world.stderr.write(`${error.message}\n`);
    else {
      world.stderr.write(`runner: internal error (please report it):\n${stackOf(error)}\n`);
    }
    return status === PASSED ? INTERNAL_ERROR : status;
  }
}

/**
 * The exit status once runner's output has gone out: output that could not be written (a
 * full disk) is said on the other stream, if it can be, and a run that passed does not look
 * like a success.
 */
export function statusAfterOutput(world: Pick<World, "stdout" | "stderr">, status: number): number {
  const lost = (["stdout", "stderr"] as const).filter((name) => world[name].failure() !== undefined);
  for (const name of lost) {
    const other = world[name === "stdout" ? "stderr" : "stdout"];
    other.write(`runner: could not write to ${name} (${world[name].failure() ?? ""}); what followed was lost.\n`);
  }
  return afterLostOutput(status, lost.length > 0);
}

async function program(world: World): Promise<number> {
  const shapes = coreOptionShapes();
  const leading = readLeading(world.argv, shapes);
  const leadingCore = coreOptionsOf(leading.matches);
  // Pool workers for an isolated run start now, their start-up beside runner's loading the tasks.
  const spares = sparesAhead(world, leadingCore, world.argv.slice(leading.next));
  try {
    return await planAndRun(world, { shapes, leading, leadingCore, spares });
  } finally {
    spares?.discard();
  }
}

interface CommandLine {
  readonly shapes: ReturnType<typeof coreOptionShapes>;
  readonly leading: ReturnType<typeof readLeading>;
  readonly leadingCore: CoreOptions;
  readonly spares: Spares | undefined;
}

async function planAndRun(world: World, { shapes, leading, leadingCore, spares }: CommandLine): Promise<number> {
  // --version and --completion need no tasks; anything else needs the project.
  let core = leadingCore;
  let project: Project | undefined;
  let split: ReturnType<typeof splitArgs> | undefined;
  if (!leadingCore.version && leadingCore.completion === undefined) {
    if (leadingCore.complete) return complete(world);
    project = await findProject(world, leadingCore, leading.next);
    if (project === undefined) {
      // No tasks file: core help still works.
      world.stdout.write(`${coreHelp()}\nNo tasks file here yet: create tasks.ts (see runner's README).\n`);
      return PASSED;
    }
    // Core options are accepted after a task name too: `runner build --completion bash`.
    split = splitArgs(world.argv, leading.next, project.collection, shapes);
    core = coreOptionsOf([...leading.matches, ...split.matches]);
  }
  if (core.version) {
    world.stdout.write(`${world.runner.version}\n`);
    return PASSED;
  }
  if (core.completion !== undefined) {
    world.stdout.write(completionScript(core.completion));
    return PASSED;
  }
  if (project === undefined || split === undefined) throw new Error("the project is loaded unless nothing needs it");
  const { collection, configFile } = project;

  if (core.verbose) {
    const how = project.fromCache ? "from the cache" : "transpiled";
    const config = configFile === undefined ? "" : `, config from ${displayPath(configFile.path, world.cwd)}`;
    world.stderr.write(`runner: tasks from ${displayPath(collection.file, world.cwd)} (${how})${config}\n`);
  }
  const resolved = resolveConfig({
    file: configFile,
    env: world.env,
    cli: cliConfig(core),
    cliNames: {
      jobs: "--jobs",
      output: "--output",
      timeout: "--timeout",
      retries: "--retries",
      echo: "--echo",
      color: "--color",
      redis: "--redis",
    },
  });
  // --no-redis: this run is local, whatever the environment or the config file say.
  const config = core.local ? { ...resolved, redis: undefined } : resolved;
  const styleFor = (isTTY: boolean): ReturnType<typeof makeStyle> =>
    makeStyle(colorEnabled({ flag: core.color, config: config.color, env: world.env, isTTY }));
  // What goes to stdout (help, lists, task output's prefixes) is coloured as stdout can
  // take; runner's own lines as stderr can.
  const style = styleFor(world.stdout.isTTY);

  if (typeof core.help === "string") {
    const task = collection.find(core.help);
    if (task === undefined) throw unknownTask(core.help, collection);
    world.stdout.write(taskHelpText(task, style));
    return PASSED;
  }
  if (core.help === true) {
    world.stdout.write(`${coreHelp()}\n${listText(collection, undefined, style)}`);
    return PASSED;
  }
  if (core.watch) checkWatchOptions(core, config.redis === undefined ? undefined : redisSource(core, world.env));
  if (core.list !== undefined) {
    const namespace = typeof core.list === "string" ? core.list : undefined;
    world.stdout.write(core.json ? listJson(collection, namespace) : listText(collection, namespace, style));
    return PASSED;
  }

  if (core.worker) {
    if (split.invocations.length > 0) {
      throw new UserError("runner --worker takes no task names: it runs the tasks that dispatchers send.");
    }
    const { runWorker } = await import("./worker.ts");
    return runWorker(world, { project, config, core, redisSource: redisSource(core, world.env) });
  }
  if (core.concurrency !== undefined) throw new UserError("Option --concurrency is for runner --worker.");

  if (split.invocations.length === 0 && collection.defaultTask === undefined) {
    if (core.watch) throw new UserError("--watch needs the tasks to run: runner --watch <task>...");
    world.stdout.write(listText(collection, undefined, style));
    return PASSED;
  }
  const steps = planRun(invocationsOf(split, collection), core.dedupe);
  if (core.graph !== undefined) {
    if (core.plan) throw new UserError("Options --plan and --graph print different things: use one.");
    world.stdout.write(graphText(steps, core.graph));
    return PASSED;
  }
  if (core.plan) {
    // Waves when tasks can run at once; -j1 runs the plan's order, so it shows that.
    const waves = core.parallel && config.jobs > 1 ? planWaves(steps) : undefined;
    world.stdout.write(core.json ? planJson(steps, waves) : planText(steps, waves));
    return PASSED;
  }
  const how = {
    core,
    config,
    style,
    stderrStyle: styleFor(world.stderr.isTTY),
    redisSource: redisSource(core, world.env),
  };
  if (core.watch) {
    checkWatchedSources(steps);
    const { watchLoop } = await import("./watch-loop.ts");
    // Each change to the tasks file loads it again and plans the same command line anew.
    const reload = async (givenUp: AbortSignal): Promise<WatchedPlan> => {
      const again = await loadProject(reloadWorld(world, givenUp), leadingCore);
      const named = splitArgs(world.argv, leading.next, again.collection, shapes);
      if (named.invocations.length === 0 && again.collection.defaultTask === undefined) {
        throw new UserError(`${displayPath(again.collection.file, world.cwd)} no longer has a default task to run.`);
      }
      return watchedPlan(again, planRun(invocationsOf(named, again.collection), core.dedupe));
    };
    return watchLoop(world, { run: how, plan: watchedPlan(project, steps), reload });
  }
  const { runSteps } = await import("./run.ts");
  return runSteps(world, {
    ...how,
    steps,
    collection,
    locate: project.locate,
    sourceHash: project.sourceHash,
    codeHash: project.codeHash,
    spares,
  });
}

function watchedPlan(project: Project, steps: WatchedPlan["steps"]): WatchedPlan {
  const { collection, locate, sourceHash, codeHash, files } = project;
  return { steps, collection, locate, sourceHash, codeHash, files };
}

/** What the command line names, or the default task (with what follows `--`). */
function invocationsOf(split: ReturnType<typeof splitArgs>, collection: Project["collection"]): readonly Invocation[] {
  if (split.invocations.length > 0 || collection.defaultTask === undefined) return split.invocations;
  return [{ task: collection.defaultTask, given: new Map(), args: [], rest: [...split.rest] }];
}

/** Where the Redis URL comes from, as its errors name it. */
function redisSource(core: CoreOptions, env: World["env"]): string {
  if (core.redis !== undefined) return "--redis";
  return env.RUNNER_REDIS !== undefined && env.RUNNER_REDIS !== "" ? "RUNNER_REDIS" : "the redis setting";
}

/**
 * The project, or undefined when there is no tasks file and `--help` asked only for the core
 * help. Without a tasks file, a --file or --cwd after a task name is the mistake to report.
 */
async function findProject(world: World, leading: CoreOptions, next: number): Promise<Project | undefined> {
  try {
    return await loadProject(world, leading);
  } catch (error) {
    if (!(error instanceof NoTasksFileError)) throw error;
    if (leading.help === true) return undefined;
    const given = new Set(
      [leading.file === undefined ? [] : ["--file"], leading.cwd === undefined ? [] : ["--cwd"]].flat(),
    );
    throw misplacedLoadOption(world.argv, next, coreOptionShapes(), given) ?? error;
  }
}

/** `runner --complete -- <words>`: candidates for the last word, one per line. */
async function complete(world: World): Promise<number> {
  const shapes = coreOptionShapes();
  const at = world.argv.indexOf("--");
  const words = at === -1 ? [] : world.argv.slice(at + 1);
  // The line being completed may choose the tasks file itself (`runner -f ci.ts <TAB>`).
  let typed: CoreOptions = coreOptionsOf([]);
  try {
    typed = coreOptionsOf(readLeading(words.slice(0, -1), shapes).matches);
  } catch {
    // Half-typed options: complete against the tasks file found from here.
  }
  // Completion must never print an error into the user's prompt: no tasks file, no tasks.
  const project = await loadProject(world, typed).catch(() => undefined);
  world.stdout.write(completeWords(project?.collection, shapes, words));
  return PASSED;
}

function cliConfig(core: CoreOptions): RawConfig {
  const raw: RawConfig = {};
  if (core.jobs !== undefined) raw.jobs = core.jobs;
  if (core.output !== undefined) raw.output = core.output;
  if (core.timeout !== undefined) raw.timeout = core.timeout;
  if (core.retries !== undefined) raw.retries = core.retries;
  if (core.echo !== undefined) raw.echo = core.echo ? "true" : "false";
  if (core.color !== undefined) raw.color = core.color ? "true" : "false";
  if (core.redis !== undefined) raw.redis = core.redis;
  return raw;
}

/**
 * The world a watch's reload loads the tasks in. A reload the watch gave up on (a signal came
 * while the tasks file's top-level await waited) will never be waited for again: for the loader
 * that is the event loop running empty, and it ends as a stalled load does, putting back what it
 * changed in the process (its process.exit trap) before runner's own exit.
 */
function reloadWorld(world: World, givenUp: AbortSignal): World {
  return {
    ...world,
    onIdle: (handler) => {
      const removeIdle = world.onIdle(handler);
      givenUp.addEventListener("abort", handler, { once: true });
      return () => {
        removeIdle();
        givenUp.removeEventListener("abort", handler);
      };
    },
  };
}
