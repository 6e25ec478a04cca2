// The run itself: from planned steps to an exit status — the commands' environment, the
// reporters for the output mode and the files asked for, the signal policy, the executor,
// and the cleanup of what commands left behind. Imported by main.ts only when tasks run,
// so `--list`, `--help` and `--plan` never load the process, display or executor modules.
import { dirname, isAbsolute, relative } from "node:path";
import type { Dispatcher } from "../remote/dispatcher.ts";
import type { Spares } from "../pool/spares.ts";
import { runPool, type WorkerPool } from "../pool/worker-pool.ts";
import type { ChalkInstance } from "chalk";
import { ProcessGroups } from "../child/process-groups.ts";
import { commandMeter } from "../child/usage.ts";
import { commandEnvironment } from "../config/dotenv.ts";
import type { RunnerConfig } from "../config/settings.ts";
import { serialReporter, type DisplaySettings } from "../display/serial.ts";
import { trackLineStart } from "../display/streams.ts";
import { formatLimit } from "../common/duration.ts";
import { messageOf } from "../common/error-text.ts";
import { unreachable } from "../common/unreachable.ts";
import { Reporters, type Reporter } from "../execution/events.ts";
import { EventMasker } from "../execution/masked-events.ts";
import { Masker } from "../common/secrets.ts";
import { secretValues } from "../plan/describe.ts";
import { execute, type ExecuteOptions } from "../execution/executor.ts";
import { Deadlines } from "../execution/deadlines.ts";
import { RunLedger } from "../execution/run-ledger.ts";
import {
  afterEscapedErrors,
  afterReportFiles,
  runExitStatus,
  signalExitStatus,
  TIMED_OUT,
} from "../execution/exit-status.ts";
import type { RunRecord, TaskRun, TaskStatus } from "../execution/outcomes.ts";
import { SignalPolicy } from "../execution/signal-policy.ts";
import { taskScopes } from "../execution/task-scope.ts";
import { projectDir } from "../loader/discover.ts";
import type { StepLineage } from "../incremental/checker.ts";
import type { Collection } from "../loader/collection.ts";
import type { Step } from "../plan/plan.ts";
import { githubActionsReporter, onGithubActions } from "../report/github-actions.ts";
import { defaultOutputMode, isCI } from "../display/output-mode.ts";
import { floodGauge } from "../child/flood.ts";
import type { Watchdog, World } from "../world/world.ts";
import type { CoreOptions } from "./grammar.ts";

export interface RunRequest {
  readonly steps: readonly Step[];
  readonly core: CoreOptions;
  readonly config: RunnerConfig;
  readonly collection: Collection;
  /** Colours for stdout (task output's prefixes), and for runner's own lines on stderr. */
  readonly style: ChalkInstance;
  readonly stderrStyle: ChalkInstance;
  /** Where task code threw, in the user's files. */
  readonly locate: ExecuteOptions["locate"];
  /** Pool workers forked ahead of the run (spares-ahead.ts), for its pool to take. */
  readonly spares?: Spares | undefined;
  /** The tasks' content hash, which a distributed run's workers must share. */
  readonly sourceHash: string;
  /** The tasks' code as bundled: part of every up-to-date fingerprint (SPEC §10). */
  readonly codeHash: string;
  /** Where the Redis URL came from, for its errors. */
  readonly redisSource: string;
  /**
   * --watch: aborted (reason: the signal commands get) when a change makes this run stale. It
   * stops the run as a Ctrl-C would, but runner goes on: the watch loop runs again.
   */
  readonly restart?: AbortSignal;
  /** --watch: how each step of the run ended (what a cancelled or failed run left to do). */
  readonly ended?: (runs: readonly TaskRun[]) => void;
  /** --watch: the plan's steps the run's steps stand for, and their fingerprints so far. */
  readonly lineage?: StepLineage;
}

export async function runSteps(world: World, request: RunRequest): Promise<number> {
  const { steps, core, config, collection, style, stderrStyle, locate } = request;
  const cwd = projectDir(collection.file);
  // A distributed run checks its server before anything starts: a wrong URL or password is one line (exit 2).
  const dispatcher = config.redis === undefined ? undefined : await openRemote(world, request, config.redis, cwd);
  // dotenv values fill in task code's process.env too (`unset`, below), not only commands'.
  const { env, unset } = await commandEnvironment(config, world.env, cwd, world.uid);
  if (style.level > 0 && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "1";
  // Up-to-date checks (SPEC §10) where a task has `sources`; not in a distributed run, whose
  // workers' files are not the ones here.
  const upToDate =
    dispatcher === undefined && steps.some((step) => step.task.sources !== undefined)
      ? (await import("../incremental/checker.ts")).openChecks(world, {
          project: cwd,
          env,
          force: core.force,
          dryRun: core.dryRun,
          warnOnly: core.warnOnly,
          code: request.codeHash,
          ...(request.lineage === undefined ? {} : { lineage: request.lineage }),
        })
      : undefined;
  // Tasks at once, from -p or from a `parallel: true` task's deps: shown as -p shows them.
  const together = steps.some((step) => step.together !== undefined);
  // A service runs alongside the tasks that need it (SPEC §11): shown as -p shows a run, so
  // that its lines, coming while another task runs, say whose they are.
  const withService = steps.length > 1 && steps.some((step) => step.task.service !== undefined);
  const parallelDisplay = core.parallel || (config.jobs > 1 && together) || withService;
  const streams = trackLineStart(world);
  const display: DisplaySettings = {
    streams,
    style: stderrStyle,
    stdoutStyle: style,
    quiet: core.quiet,
    verbose: core.verbose,
    taskCount: steps.length,
    stats: core.stats,
  };
  const github = onGithubActions(world.env);
  const files =
    core.report === undefined && core.junit === undefined && core.trace === undefined
      ? undefined
      : new (await import("../report/write-files.ts")).RunFilesReporter(
          { report: core.report, junit: core.junit, trace: core.trace },
          world.cwd,
          streams,
          () => world.clock.now(),
        );
  // Secret option values are masked in every event, before any reporter sees it: the plan's,
  // and those of tasks that ctx.call runs (any task with a secret option may be called).
  const secrets = secretValues(steps);
  const anySecret = secrets.length > 0 || collection.tasks.some((task) => task.options.some((def) => def.secret));
  const masker = anySecret ? new Masker(secrets) : undefined;
  const events = masker === undefined ? undefined : new EventMasker(masker, (step) => secretValues([step]));
  const reporters = new Reporters(
    [
      ...(parallelDisplay ? await parallelReporters(world, display, config, steps, github) : [serialReporter(display)]),
      // ::error lines after everything else, so that no block or line is cut by one.
      ...(github ? [githubActionsReporter(streams)] : []),
      ...(files === undefined ? [] : [files]),
    ],
    events === undefined ? undefined : (event) => events.events(event),
  );

  const groups = new ProcessGroups(world);
  // Only a run that shows or reports them measures what tasks use (reading /proc as commands run).
  const meter = core.stats || core.report !== undefined ? commandMeter() : undefined;
  const streamed = floodGauge(world.outputFlood);
  // More than one task may run at once (-p, or a `parallel: true` task's deps, with -j above
  // 1); -p -j1 runs one task at a time, as a serial run does.
  const concurrent = config.jobs > 1 && (core.parallel || together);
  // Several commands at once cannot share the terminal's input.
  const inheritStdin = !concurrent && world.stdinInheritable;
  // Task code stuck in a synchronous loop blocks the event loop, and with it every timer and
  // signal handler: a watchdog outside the main thread takes over then (watchdog.ts).
  const deadlines = new Deadlines((earliest) => watchdog?.setDeadline(earliest));
  // What the events said, for the summary and report of a run the watchdog ends.
  const ledger = new RunLedger(world.clock);
  let watchdog: Watchdog | undefined;
  // Only task code on this thread can hold it: the watchdog starts once some runs here (not
  // for isolated or remote tasks, whose code runs elsewhere), at once — a later start would
  // need the event loop that stuck code holds.
  const startWatchdog = (): void => {
    watchdog ??= world.startWatchdog((reason) => {
      const limit = deadlines.earliest();
      const name = scopes.current()?.name ?? limit?.name ?? "a task";
      groups.stopAllNow(config.killGrace);
      const timedOut = reason === "time limit";
      const why = timedOut ? `its time limit (${formatLimit(limit?.limitMs ?? 0)}) passed` : `runner got ${reason}`;
      const message = `stuck in synchronous code when ${why}; its commands were stopped and the run ended`;
      const status = timedOut ? TIMED_OUT : signalExitStatus(reason);
      return {
        status,
        // A time-out is the stuck task's status, whose message the display prints; a signal cancels it.
        lines: timedOut ? [] : [`✖ ${name}: ${message}`],
        after: () => {
          const ended = ledger.endNow(
            steps,
            (step): TaskStatus =>
              timedOut && step.task.name === name
                ? { kind: "timed-out", afterMs: limit?.limitMs ?? 0, message }
                : { kind: "cancelled" },
            timedOut ? "the run ended on a task stuck in synchronous code" : "the run was interrupted",
          );
          for (const run of ended) void reporters.emit({ kind: "task-ended", run });
          void reporters.emit({ kind: "run-ended", record: runRecord(status, ledger.runs(steps)) });
        },
      };
    });
    watchdog?.setDeadline(deadlines.earliest()?.epochMs);
  };
  const signals = new SignalPolicy(world, () => groups.killAll("SIGKILL"));
  // Errors that escaped task code with no attempt left to fail: one line each, and the run
  // cannot pass.
  let escaped = 0;
  const late = (error: unknown, where: string): void => {
    escaped++;
    const line = `runner: an error escaped task code (${where}): ${messageOf(error)}`;
    world.stderr.write(`${masker?.text(line) ?? line}\n`);
  };
  const scopes = taskScopes(world, (error, how) => late(error, how));
  const unfillEnv = world.fillEnv(unset);
  const startedAt = world.clock.epochMs();
  const started = world.clock.now();
  // The run as the summary and the report files describe it, as it ends (or as the watchdog ends it).
  const runRecord = (exitCode: number, ended: readonly TaskRun[]): RunRecord => ({
    runner: world.runner.version,
    startedAt,
    durationMs: world.clock.now() - started,
    exitCode,
    runs: ended,
    tasksFile: relative(cwd, collection.file),
  });
  let runs: TaskRun[];
  let pool: WorkerPool | undefined;
  let closing: Promise<void> | undefined;
  try {
    void reporters.emit({ kind: "run-started", steps });
    try {
      runs = await execute(steps, {
        settings: {
          cwd,
          invocationDir: world.cwd,
          config,
          env,
          shell: config.shell,
          echo: config.echo || core.verbose,
          dryRun: core.dryRun,
          warnOnly: core.warnOnly,
          killGraceMs: config.killGrace,
          captureLimit: config.captureLimit,
          inheritStdin,
          concurrent,
          terminalSize: world.terminalSize,
        },
        commandRun: { groups, clock: world.clock, meter, streamed },
        clock: world.clock,
        jobs: core.parallel ? config.jobs : 1,
        togetherJobs: config.jobs,
        taskOf: (source) => collection.taskOf(source),
        keepGoing: core.keepGoing,
        timeoutMs: core.timeout !== undefined ? config.timeout : undefined,
        defaultTimeoutMs: config.timeout,
        retries: core.retries !== undefined ? config.retries : undefined,
        defaultRetries: config.retries,
        emit: (event) => {
          ledger.see(event);
          return reporters.emit(event);
        },
        scopes,
        onMainThread: startWatchdog,
        exitCode: world.exitCode,
        late,
        deadlines,
        interrupt: request.restart === undefined ? signals.stop : AbortSignal.any([signals.stop, request.restart]),
        onIdle: world.onIdle,
        locate,
        ...(dispatcher === undefined ? {} : { remote: dispatcher }),
        ...(upToDate === undefined ? {} : { upToDate }),
        isolation: {
          all: core.isolate || config.isolate,
          file: collection.file,
          codeHash: request.codeHash,
          task: (name) => collection.tasks.find((task) => task.name === name),
          pool: () =>
            (pool ??= runPool({
              // Not 1 in a serial run: a `parallel: true` group runs up to `jobs` tasks at once
              // there too. Workers are made as tasks need them.
              max: config.jobs,
              dist: dirname(world.runner.entries.cjs["runner-ts"] ?? ""),
              spares: request.spares,
              ...world.node,
              env,
              cwd,
              // An isolated task's commands read runner's stdin where an in-process task's would.
              stdin: inheritStdin ? "inherit" : "ignore",
              kill: world.kill,
              maxRssBytes: config.isolateMaxRss,
              endGraceMs: config.killGrace,
              streamed,
              late,
              groups,
            })),
        },
      });
    } finally {
      // Its workers end as the summary is written; the run waits for them below.
      closing = Promise.all([pool?.close(config.killGrace), dispatcher?.close()]).then(() => undefined);
      signals.runEnded();
    }
    request.ended?.(runs);
    const exitCode = afterEscapedErrors(runExitStatus(runs, signals.stoppedBy()), escaped);
    await reporters.end(runRecord(exitCode, runs));
    await closing;
    // Background processes commands left behind (a server for later tasks) end with the run.
    await groups.endLeftovers(config.killGrace);
    return afterReportFiles(exitCode, files?.problems ?? 0);
  } finally {
    unfillEnv();
    watchdog?.stop();
    scopes.restore();
    signals.dispose();
  }
}

/** The run's dispatcher to Redis (SPEC §8), once its server has answered. */
async function openRemote(world: World, request: RunRequest, url: string, cwd: string): Promise<Dispatcher> {
  const { parseRedisTarget } = await import("../remote/redis-target.ts");
  const { preflight } = await import("../remote/connection.ts");
  const { openDispatcher } = await import("../remote/dispatcher.ts");
  const target = parseRedisTarget(url, world.env, request.redisSource);
  const { evictionWarning } = await preflight(target);
  if (evictionWarning !== undefined) world.stderr.write(`runner: warning: ${evictionWarning}\n`);
  const { config, core } = request;
  // Where runner was started, as the worker's own checkout names it; outside the project: its directory.
  const from = relative(cwd, world.cwd);
  return openDispatcher({
    target,
    queue: config.redisQueue,
    hash: request.sourceHash,
    cwd: from.startsWith("..") || isAbsolute(from) ? "" : from,
    echo: config.echo || core.verbose,
    dryRun: core.dryRun,
    warnOnly: core.warnOnly,
    measure: core.stats || core.report !== undefined,
    stalledIntervalMs: config.redisStalledInterval,
    warn: (line) => world.stderr.write(`${line}\n`),
  });
}

/** The reporters of a parallel run: its output mode's, and the live status line on a terminal. */
async function parallelReporters(
  world: World,
  display: DisplaySettings,
  config: RunnerConfig,
  steps: readonly Step[],
  github: boolean,
): Promise<Reporter[]> {
  // Loaded only for -p: the parallel displays and what grouped output may need to spill.
  const mode = config.output ?? defaultOutputMode(world.stdout.isTTY, world.env);
  switch (mode) {
    case "prefixed":
      return [(await import("../display/prefixed.ts")).prefixedReporter({ ...display, steps })];
    case "interleaved":
      return [(await import("../display/interleaved.ts")).interleavedReporter(display)];
    case "grouped":
    case "quiet": {
      const { groupedReporter, quietReporter } = await import("../display/grouped.ts");
      const { WriteQueue } = await import("../display/write-queue.ts");
      const { LiveStatus } = await import("../display/status-line.ts");
      const queue = new WriteQueue();
      const terminal = world.stderr.isTTY && world.env.TERM !== "dumb" && !isCI(world.env);
      const live = terminal
        ? new LiveStatus({
            write: (text) => world.stderr.write(text),
            columns: () => world.stderr.columns(),
            style: display.style,
            clock: world.clock,
            queue,
          })
        : undefined;
      const settings = { ...display, github, tmpdir: world.tmpdir, queue, overlay: live };
      const view = mode === "grouped" ? groupedReporter(settings) : quietReporter(settings);
      return live === undefined ? [view] : [live, view];
    }
    default:
      return unreachable("output mode", mode);
  }
}
