// The run itself: from planned steps to an exit status, with a display, the executor, the
// interrupt handlers and the files asked for. Imported by cli.ts only when tasks run, so
// `--list`, `--help` and `--plan` never load the process, display or executor modules.
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { captureConsole } from "./capture.ts";
import type { World } from "./cli.ts";
import type { Collection } from "./collection.ts";
import type { Config } from "./config.ts";
import type { CoreOptions } from "./core-options.ts";
import { projectDir } from "./discover.ts";
import { serialDisplay } from "./display.ts";
import { UserError } from "./errors.ts";
import { execute, runExitStatus, type TaskRun } from "./executor.ts";
import { onGithubActions } from "./github.ts";
import { interruptExitStatus, listenForInterrupts } from "./interrupt.ts";
import type { makeStyle } from "./output.ts";
import type { Step } from "./plan.ts";
import { endLeftovers } from "./process.ts";
import { now } from "./clock.ts";

declare const RUNNER_VERSION: string;

async function loadDotenv(paths: readonly string[], base: string): Promise<Record<string, string>> {
  if (paths.length === 0) return {};
  // dotenv is CommonJS, bundled into dist/: its exports are the default export's properties.
  const { parse } = (await import("dotenv")).default;
  const values: Record<string, string> = {};
  for (const path of paths) {
    const full = resolve(base, path);
    let text: string;
    try {
      text = readFileSync(full, "utf8");
    } catch {
      throw new UserError(`The dotenv file ${path} does not exist (from the dotenv setting).`);
    }
    Object.assign(values, parse(text));
  }
  return values;
}

export async function runSteps(
  world: World,
  steps: readonly Step[],
  core: CoreOptions,
  config: Config,
  collection: Collection,
  style: ReturnType<typeof makeStyle>,
): Promise<number> {
  const cwd = projectDir(collection.file);
  const colored = style.level > 0;
  // dotenv files fill in what the environment does not set (as dotenv itself does, so a CI
  // secret beats a checked-in .env); the `env` setting is explicit and wins over both.
  const env: Record<string, string | undefined> = {
    ...(await loadDotenv(config.dotenv, cwd)),
    ...world.env,
    ...config.env,
  };
  if (colored && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "1";
  const base = { io: world, style, quiet: core.quiet, taskCount: steps.length, github: onGithubActions(world.env) };
  // The parallel displays (and the spill files grouped output may need) load only for -p.
  const parallel = core.parallel ? await import("./display-parallel.ts") : undefined;
  const display = parallel
    ? parallel.parallelDisplay({
        ...base,
        mode: config.output ?? parallel.defaultOutputMode(world.isTTY, world.env),
        steps,
        terminal: world.env.TERM === "dumb" || parallel.isCI(world.env) ? undefined : world.stderrTerminal,
      })
    : serialDisplay(base);
  const startedAt = Date.now();
  const started = now();
  const interrupt = listenForInterrupts();
  const capture = captureConsole();
  let runs: TaskRun[];
  try {
    runs = await execute(steps, {
      settings: {
        cwd,
        config: config as unknown as Record<string, unknown>,
        env,
        shell: config.shell,
        echo: config.echo || core.verbose,
        dryRun: core.dryRun,
        warnOnly: core.warnOnly,
        killGraceMs: config.killGrace,
        captureLimit: config.captureLimit,
        // Several commands at once cannot share the terminal's input.
        inheritStdin: !core.parallel,
      },
      jobs: core.parallel ? config.jobs : 1,
      keepGoing: core.keepGoing,
      timeoutMs: core.timeout !== undefined ? config.timeout : undefined,
      defaultTimeoutMs: config.timeout,
      retries: core.retries !== undefined ? config.retries : undefined,
      defaultRetries: config.retries,
      outputFor: (step) => display.taskOutput(step),
      withOutput: capture.withOutput,
      interrupt: interrupt.signal,
      onStart: (step) => display.started(step),
      onRetry: (step, failed, next, of) => display.retried(step, failed, next, of),
      onEnd: (run) => display.ended(run),
    });
  } finally {
    capture.restore();
    interrupt.dispose();
  }
  const stoppedBy = interrupt.received();
  const exitCode = stoppedBy === undefined ? runExitStatus(runs) : interruptExitStatus(stoppedBy);
  const totalMs = now() - started;
  await display.finished(runs, totalMs, exitCode);
  // Background processes commands left behind (a server for later tasks) end with the run.
  await endLeftovers(config.killGrace);
  if (core.report === undefined && core.junit === undefined) return exitCode;
  // Loaded only when asked for: most runs write no files.
  const { writeRunFiles } = await import("./run-files.ts");
  const record = {
    runner: RUNNER_VERSION,
    startedAt,
    durationMs: totalMs,
    exitCode,
    runs,
    tasksFile: relative(cwd, collection.file),
  };
  const problems = writeRunFiles(record, { report: core.report, junit: core.junit }, world.cwd);
  for (const problem of problems) world.stderr(`${problem}\n`);
  // A run that passed but whose files are missing must not look like a success to CI;
  // a failed run keeps its own status.
  return problems.length > 0 && exitCode === 0 ? 2 : exitCode;
}
