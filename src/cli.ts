// The program: from the command line to an exit status, as a list of steps. It takes its
// world (argv, env, cwd, writers) as an argument; only `start()` at the bottom touches
// `process`, so the steps stay testable.
import { dirname, resolve } from "node:path";
import { buildCollection, type Collection } from "./collection.ts";
import { completeWords, completionScript } from "./completion.ts";
import { resolveConfig, findConfigFile, type ConfigFile, type RawConfig } from "./config.ts";
import { coreHelp, coreOptionShapes, parseCoreOptions, type CoreOptions } from "./core-options.ts";
import { checkStartDir, checkTasksFile, findTasksFile, projectDir } from "./discover.ts";
import { UserError } from "./errors.ts";
import { displayPath } from "./dirs.ts";
import { listJson, listText, taskHelpText } from "./help.ts";
import { useImporter } from "./import-module.ts";
import { loadTasks } from "./load.ts";
import { colorEnabled, dropOutputWhenReaderCloses, makeStyle, whenDrained, type Io } from "./output.ts";
import { splitArgs, scanLeadingCore, unknownTask } from "./parse-args.ts";
import { describeStep, planRun, planWaves, type Step } from "./plan.ts";

declare const RUNNER_VERSION: string;

export interface World extends Io {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly isTTY: boolean;
  /** runner's stderr, when it is a terminal (for the live status line). */
  readonly stderrTerminal: { readonly columns: () => number } | undefined;
}

interface Loaded {
  readonly collection: Collection;
  readonly configFile: ConfigFile | undefined;
  readonly fromCache: boolean;
}

export async function main(world: World): Promise<number> {
  const shapes = coreOptionShapes();
  const leading = parseCoreOptions(scanLeadingCore(world.argv, shapes));
  if (answeredWithoutTasks(world, leading)) return 0;

  if (leading.complete) {
    const at = world.argv.indexOf("--");
    const words = at === -1 ? [] : world.argv.slice(at + 1);
    // The line being completed may choose the tasks file itself (`runner -f ci.ts <TAB>`).
    let typed = leading;
    try {
      typed = parseCoreOptions(scanLeadingCore(words.slice(0, -1), shapes));
    } catch {
      // Half-typed options: complete against the tasks file found from here.
    }
    // Completion must never print an error into the user's prompt: no tasks file, no tasks.
    const loaded = await loadProject(world, typed).catch(() => undefined);
    world.stdout(completeWords(loaded?.collection, shapes, words));
    return 0;
  }

  const loaded = await loadProject(world, leading);
  if (loaded === undefined) {
    // No tasks file: core help still works.
    world.stdout(`${coreHelp()}\nNo tasks file here yet: create tasks.ts (see runner's README).\n`);
    return 0;
  }
  const { collection, configFile } = loaded;

  const split = splitArgs(world.argv, collection, shapes);
  const core = parseCoreOptions(split.coreTokens);
  // Core options are accepted after a task name too: `runner build --completion bash`.
  if (answeredWithoutTasks(world, core)) return 0;
  if (core.verbose) {
    const how = loaded.fromCache ? "from the cache" : "transpiled";
    world.stderr(
      `runner: tasks from ${displayPath(collection.file)} (${how})${configFile ? `, config from ${displayPath(configFile.path)}` : ""}\n`,
    );
  }
  const config = resolveConfig({
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
    },
  });
  const style = makeStyle(colorEnabled({ flag: core.color, config: config.color, env: world.env, isTTY: world.isTTY }));

  if (typeof core.help === "string") {
    const task = collection.find(core.help);
    if (task === undefined) throw unknownTask(core.help, collection);
    world.stdout(taskHelpText(task, style));
    return 0;
  }
  if (core.help === true) {
    world.stdout(`${coreHelp()}\n${listText(collection, undefined, style)}`);
    return 0;
  }
  if (core.list !== undefined) {
    const namespace = typeof core.list === "string" ? core.list : undefined;
    world.stdout(core.json ? listJson(collection, namespace) : listText(collection, namespace, style));
    return 0;
  }

  let invocations = split.invocations;
  if (invocations.length === 0) {
    if (collection.defaultTask === undefined) {
      world.stdout(listText(collection, undefined, style));
      return 0;
    }
    invocations = [{ task: collection.defaultTask, given: new Map(), args: [], rest: [...split.rest] }];
  }
  const steps = planRun(invocations, core.dedupe);
  if (core.plan) {
    // Waves when tasks can run at once; -j1 runs the plan's order, so it shows that.
    const waves = core.parallel && config.jobs > 1 ? planWaves(steps) : undefined;
    world.stdout(core.json ? planJson(steps, waves) : planText(steps, waves));
    return 0;
  }
  const { runSteps } = await import("./run.ts");
  return runSteps(world, steps, core, config, collection, style);
}

/** --version and --completion need no tasks: answered here, wherever they stand on the line. */
function answeredWithoutTasks(world: World, core: CoreOptions): boolean {
  if (core.version) world.stdout(`${RUNNER_VERSION}\n`);
  else if (core.completion !== undefined) world.stdout(completionScript(core.completion));
  else return false;
  return true;
}

async function loadProject(world: World, leading: CoreOptions): Promise<Loaded | undefined> {
  const startDir = leading.cwd === undefined ? world.cwd : checkStartDir(resolve(world.cwd, leading.cwd));
  const loadTs = async (path: string): Promise<unknown> => {
    const loaded = await loadTasks(path, world.env);
    return loaded.exports.default ?? loaded.exports;
  };
  let configFile = await findConfigFile(startDir, loadTs);
  let file: string;
  if (leading.file !== undefined) file = checkTasksFile(resolve(world.cwd, leading.file), "--file");
  else if (world.env.RUNNER_FILE) file = checkTasksFile(resolve(world.cwd, world.env.RUNNER_FILE), "RUNNER_FILE");
  else if (typeof configFile?.values.file === "string") {
    file = checkTasksFile(resolve(dirname(configFile.path), configFile.values.file), `file in ${configFile.path}`);
  } else {
    try {
      file = findTasksFile(startDir);
    } catch (error) {
      if (leading.help === true) return undefined;
      // `runner build -f ci/tasks.ts`: the file was named, but too late to be used.
      const named = (pattern: RegExp): boolean => world.argv.some((word) => pattern.test(word));
      if (leading.file === undefined && named(/^(-f|--file)(=|$)/)) {
        throw new UserError("Option --file must come before the first task name.");
      }
      if (leading.cwd === undefined && named(/^(-C|--cwd)(=|$)/)) {
        throw new UserError("Option --cwd must come before the first task name.");
      }
      throw error;
    }
  }
  const tasksDir = projectDir(file);
  if (tasksDir !== startDir) configFile = await findConfigFile(tasksDir, loadTs);
  const { exports, docs, fromCache } = await loadTasks(file, world.env);
  return { collection: buildCollection(file, displayPath(file), exports, docs), configFile, fromCache };
}

function cliConfig(core: CoreOptions): RawConfig {
  const raw: RawConfig = {};
  if (core.jobs !== undefined) raw.jobs = core.jobs;
  if (core.output !== undefined) raw.output = core.output;
  if (core.timeout !== undefined) raw.timeout = core.timeout;
  if (core.retries !== undefined) raw.retries = core.retries;
  if (core.echo !== undefined) raw.echo = core.echo ? "true" : "false";
  if (core.color !== undefined) raw.color = core.color ? "true" : "false";
  return raw;
}

function planText(steps: readonly Step[], waves: readonly (readonly Step[])[] | undefined): string {
  if (waves !== undefined) {
    return waves.map((wave, index) => `wave ${index + 1}: ${wave.map(describeStep).join(", ")}\n`).join("");
  }
  return steps.map((step, index) => `${index + 1}. ${describeStep(step)}\n`).join("");
}

/** Steps are numbered from 1 in plan order; deps and waves refer to them by number. */
function planJson(steps: readonly Step[], waves: readonly (readonly Step[])[] | undefined): string {
  const number = new Map(steps.map((step, index) => [step, index + 1]));
  const json = steps.map((step) => ({
    name: step.task.name,
    options: step.options,
    args: step.args,
    rest: step.rest,
    deps: step.deps.map((dep) => number.get(dep)),
  }));
  const plan =
    waves === undefined ? { steps: json } : { steps: json, waves: waves.map((w) => w.map((s) => number.get(s))) };
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/**
 * Settles once everything written to `stream` has left runner. Not just "no longer needs
 * draining": a pipe may still hold bytes below its high-water mark (Node 24 writes pipes
 * asynchronously), and process.exit() would drop them.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("error", () => resolve());
    stream.write("", () => resolve());
  });
}

export interface StartOptions {
  /** import() for files known only at run time; see import-module.ts. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

/** The real world: process.argv and friends. The only place that touches `process`. */
export async function start(options: StartOptions = {}): Promise<void> {
  if (options.importModule !== undefined) useImporter(options.importModule);
  dropOutputWhenReaderCloses(process.stdout);
  dropOutputWhenReaderCloses(process.stderr);
  // runner's own writers: bound before tasks run, when capture.ts reroutes process.stdout.write.
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const world: World = {
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    // A pseudo-terminal with no size set reports 0 columns.
    stderrTerminal: process.stderr.isTTY ? { columns: () => process.stderr.columns || 80 } : undefined,
    stdout: (text) => writeOut(text),
    stderr: (text) => writeErr(text),
    drained: (name) => whenDrained(process[name]),
  };
  try {
    process.exitCode = await main(world);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(
        `runner: internal error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 70;
    }
  }
  // The run is over and reported. Whatever task code left behind — a timer, an open client,
  // the JavaScript of a task that timed out and ignored ctx.signal — must not keep runner
  // (and the CI job calling it) alive: flush, then exit.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}
