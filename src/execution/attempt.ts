// One task's attempts: its code run with a fresh ctx, raced against its time limit, the
// run's stop and a stall, then its deferred cleanup, retried as configured. JavaScript
// cannot be killed, so stopping a task means stopping its commands, letting its cleanup
// run for the grace period, and no longer waiting for its code (stop-task.ts).
import type { CommandRun } from "../child/command-process.ts";
import { formatLimit } from "../common/duration.ts";
import { isCommandError } from "../context/command-error.ts";
import { createContext, type CommandRecord, type ContextSettings, type TaskOutput } from "../context/context.ts";
import type { Context } from "../api/context.ts";
import { showValue } from "../common/show-value.ts";
import { notATaskError, type Task } from "../loader/collection.ts";
import { checkGivenOptions } from "../loader/dep-options.ts";
import type { OptionValue } from "../loader/option-declarations.ts";
import { finishOptions } from "../plan/option-values.ts";
import type { Step } from "../plan/plan.ts";
import type { Clock, World } from "../world/world.ts";
import type { RunEvent } from "./events.ts";
import { commandExitStatus } from "./exit-status.ts";
import type { Deadlines } from "./deadlines.ts";
import type { Attempt, TaskRun, TaskStatus } from "./outcomes.ts";
import { keptOutput } from "./task-output.ts";
import { Deferred } from "../context/deferred.ts";
import { stopTask } from "./stop-task.ts";
import { isTaskExit, TaskExit as IsolatedExit, type TaskScope, type TaskScopes } from "./task-scope.ts";
import { messageOf } from "../common/error-text.ts";
import { unreachable } from "../common/unreachable.ts";
import { longTimer, type LongTimer } from "../common/long-timer.ts";
import type { IsolatedEnd, WorkerPool } from "../pool/worker-pool.ts";
import { addUsage, NO_USAGE, sumUsage, type Usage } from "../child/usage.ts";

/** Where isolated tasks run (SPEC §7). */
export interface Isolation {
  /** --isolate: every task, not only those with `isolate: true`. */
  readonly all: boolean;
  /** The run's pool, made when first needed. */
  readonly pool: () => WorkerPool;
  /** The tasks file, which each worker loads. */
  readonly file: string;
  /** Its code as runner loaded it (the bundle's content hash): a worker must run the same. */
  readonly codeHash: string;
  /** The task of this name, for a `ctx.call` from an isolated task (a worker names what it calls). */
  readonly task: (name: string) => Task | undefined;
}

/**
 * Where tasks run in a distributed run (SPEC §8): on workers, one job per attempt
 * (remote/dispatcher.ts). The executor plans, schedules, times out and retries as ever.
 */
export interface Remote {
  run(step: Step, attempt: RemoteAttempt): Promise<RemoteAttemptEnd>;
}

/** One remote attempt's way back: where its output and its commands' events go, and its stop. */
export interface RemoteAttempt {
  readonly signal: AbortSignal;
  readonly output: TaskOutput;
  readonly commandStarted: (command: string) => void;
  readonly commandEnded: (record: CommandRecord) => void;
}

/** How a remote attempt ended, as its worker said. */
export interface RemoteAttemptEnd {
  readonly status: TaskStatus;
  readonly durationMs: number;
  readonly usage: Usage | undefined;
  readonly result: string | undefined;
  /** The worker that ran the attempt that finished ("" when none took it). */
  readonly worker: string;
  /** A retry cannot help (unknown task, invalid options, tasks file differs). */
  readonly unrecoverable: boolean;
}

/** What every task's context shares; the attempt adds the per-task parts. */
export type SharedSettings = Omit<
  ContextSettings,
  | "name"
  | "options"
  | "args"
  | "rest"
  | "signal"
  | "output"
  | "commands"
  | "running"
  | "run"
  | "commandSignal"
  | "defer"
  | "call"
>;

export interface AttemptOptions {
  readonly settings: SharedSettings;
  /** The run's process groups and clock, for commands. */
  readonly commandRun: CommandRun;
  readonly clock: Clock;
  /** --timeout, overriding each task's own. */
  readonly timeoutMs: number | undefined;
  /** The configured time limit, for tasks that declare none. */
  readonly defaultTimeoutMs: number | undefined;
  /** --retries (or config), used when the task declares none. */
  readonly retries: number | undefined;
  readonly defaultRetries: number;
  /** Tells the reporters. */
  readonly emit: (event: RunEvent) => Promise<void> | undefined;
  /** Runs task code within its scope: its console, process.exit and escaped errors (task-scope.ts). */
  readonly scopes: Pick<TaskScopes, "run">;
  /** Told as a task's code is about to run on runner's main thread (not in a pool worker, nor remotely). */
  readonly onMainThread?: () => void;
  /** process.exitCode, as task code may leave it. */
  readonly exitCode: World["exitCode"];
  /** Something task code did to the process after its attempt was over. */
  readonly late: (error: unknown, how: string) => void;
  /** Where the attempt's time limit is told (for the watchdog). */
  readonly deadlines: Deadlines | undefined;
  /** Aborted (reason: the signal's name) when runner is asked to stop. */
  readonly interrupt: AbortSignal;
  /** The task a `task()` or function given to `ctx.call` stands for. */
  readonly taskOf: (source: unknown) => Task | undefined;
  /** A task that `caller`'s code ran with ctx.call has ended. */
  readonly called: (caller: Step, run: TaskRun) => void;
  /** Where an error task code threw was thrown (`tasks.ts:12:7`), and its stack, mapped to the sources. */
  readonly locate: (error: unknown) => { readonly where: string | undefined; readonly stack: string } | undefined;
  readonly isolation?: Isolation;
  /** --redis: every task with code runs on a worker. */
  readonly remote?: Remote;
}

/** What ends an attempt early, besides its own code: the run stops, or the task can never finish. */
export type WatchEvent = "interrupted" | "stalled";

/** The run's watch, shared by every attempt (a run may start thousands). */
export interface RunWatch {
  /** Whether the run is stopping (interrupted, or fail-fast after a failure). */
  readonly stopped: () => boolean;
  /** Calls `notify` at the next event; returns how to stop listening. */
  readonly add: (notify: (event: WatchEvent) => void) => () => void;
}

export async function runAttempts(step: Step, options: AttemptOptions, watch: RunWatch): Promise<TaskRun> {
  return (await runTask(step, options, watch)).run;
}

/** How the last attempt's code ended: what it returned, or what it threw (for ctx.call). */
interface Returned {
  value?: unknown;
  error?: unknown;
}

async function runTask(
  step: Step,
  options: AttemptOptions,
  watch: RunWatch,
): Promise<{ run: TaskRun; returned: Returned }> {
  const { clock } = options;
  const retries = options.retries ?? step.task.retries ?? options.defaultRetries;
  const attempts: Attempt[] = [];
  const commands: CommandRecord[] = [];
  const output = keptOutput(step, options.emit);
  const startedAt = clock.epochMs();
  const started = clock.now();
  // An isolated task's figures come from its worker, one `done` per attempt; undefined once an attempt's never came.
  let isolatedUsage: Usage | undefined = NO_USAGE;
  // How the last remote attempt ended, as its worker said (set by the attempt's callback).
  let remoteEnd: RemoteAttemptEnd | undefined;
  // A function, so that TypeScript does not take the value as the one set before the attempt.
  const lastRemote = (): RemoteAttemptEnd | undefined => remoteEnd;
  for (let attempt = 0; ; attempt++) {
    const attemptStarted = clock.now();
    const returned: Returned = {};
    let usageTold: Usage | undefined;
    remoteEnd = undefined;
    const status = await runOnce(
      step,
      options,
      commands,
      output,
      watch,
      returned,
      (usage) => (usageTold = usage),
      (end) => {
        remoteEnd = end;
        usageTold = end.usage;
      },
    );
    attempts.push({ status, durationMs: clock.now() - attemptStarted });
    isolatedUsage =
      isolatedUsage === undefined || usageTold === undefined ? undefined : addUsage(isolatedUsage, usageTold);
    const last =
      status.kind === "passed" ||
      status.kind === "cancelled" ||
      attempt >= retries ||
      watch.stopped() ||
      lastRemote()?.unrecoverable === true;
    void options.emit({
      kind: "attempt-ended",
      step,
      status,
      retry: last ? undefined : { next: attempt + 2, of: retries + 1 },
    });
    if (last) {
      const durationMs = clock.now() - started;
      const isolated = isIsolated(step, options);
      const remote = isRemote(step, options);
      // Measured runs only; a task in runner's own process counts its commands.
      const usage =
        options.commandRun.meter === undefined
          ? undefined
          : isolated || remote
            ? isolatedUsage
            : sumUsage(commands.map((command) => command.usage));
      const run: TaskRun = {
        step,
        status,
        startedAt,
        durationMs,
        attempts,
        commands,
        outputTail: output.tail(),
        ...(usage === undefined ? {} : { usage }),
        ...workerOf(lastRemote()),
      };
      const result =
        status.kind !== "passed"
          ? undefined
          : remote
            ? lastRemote()?.result
            : isolated
              ? jsonOf(returned.value)
              : undefined;
      return { run: result === undefined ? run : { ...run, result }, returned };
    }
  }
}

async function runOnce(
  step: Step,
  options: AttemptOptions,
  commands: CommandRecord[],
  output: TaskOutput,
  watch: RunWatch,
  returned: Returned,
  used: (usage: Usage | undefined) => void,
  remoteEnded: (end: RemoteAttemptEnd) => void,
): Promise<TaskStatus> {
  const controller = new AbortController();
  // Commands started once the task is being stopped (a `finally` block's, a deferred
  // function's) run until the grace period ends; aborting this ends them.
  const grace = new AbortController();
  const running = new Set<Promise<unknown>>();
  const deferred = new Deferred();
  // ctx.call, from this task's code here or in its worker: counted in `running`, so that a
  // stop of this task waits for the called task to stop too.
  const call = (callee: () => Task, values: unknown): Promise<unknown> =>
    track(running, callTask(step, callee, values, options, callWatch(watch, controller.signal)));
  const ctx: Context = createContext({
    ...options.settings,
    name: step.task.name,
    options: step.options,
    args: step.args,
    rest: step.rest,
    signal: controller.signal,
    output,
    run: options.commandRun,
    commands: {
      started: (command) => void options.emit({ kind: "command-started", step, command }),
      ended: (record) => {
        commands.push(record);
        void options.emit({ kind: "command-ended", step, record });
      },
    },
    running,
    commandSignal: () => (controller.signal.aborted ? grace.signal : controller.signal),
    defer: (fn) => deferred.add(fn),
    call: (source, values) => call(() => calledTask(source, options), values),
  });
  const isolated = isIsolated(step, options);
  const remote = isRemote(step, options);
  // 0 means no limit, so `--timeout 0` lifts a task's own limit.
  const limit = options.timeoutMs ?? step.task.timeoutMs ?? options.defaultTimeoutMs;
  const timeoutMs = limit === 0 ? undefined : limit;
  // The first of: the task's code settles (or calls process.exit, or lets an error escape),
  // the run stops, the time limit expires, or nothing is left that could settle its promise.
  let over = false;
  let settle: (value: Ending) => void = () => {};
  const scope: TaskScope = {
    name: step.task.name,
    output,
    exit: (code) => {
      if (!over) settle({ kind: "exited", code });
      else if (code !== 0) options.late(new Error(`called process.exit(${code}) after it ended`), step.task.name);
    },
    crash: (error, how) => {
      if (!over) settle(escapedStatus(error, how, options.locate));
      else options.late(error, `${step.task.name}, after it ended (${how})`);
    },
  };
  const cleanup = (): Promise<void> => options.scopes.run(scope, () => deferred.run());
  const inProcess = (): unknown => {
    if (!step.task.group) options.onMainThread?.();
    return options.scopes.run(scope, () => step.task.run(ctx, step.options as Record<string, unknown>));
  };
  // The task's code, then its deferred functions: how it ends when nothing stops it first.
  let ended: Promise<unknown> = Promise.resolve();
  const code = { ended: false };
  const first = await new Promise<Ending>((resolve) => {
    let timer: LongTimer | undefined;
    let unwatch = (): void => {};
    settle = (value) => {
      if (over) return;
      over = true;
      timer?.cancel();
      options.deadlines?.delete(scope);
      unwatch();
      resolve(value);
    };
    if (timeoutMs !== undefined) {
      timer = longTimer(() => settle("expired"), timeoutMs);
      options.deadlines?.set(scope, step.task.name, options.clock.epochMs() + timeoutMs, timeoutMs);
    }
    unwatch = watch.add(settle);
    if (watch.stopped()) settle("interrupted");
    // In a microtask of its own, as the task's code always started: after this round of starts.
    ended = Promise.resolve()
      .then(() =>
        isolated
          ? // Running as its commands are: a stop waits (up to the grace period) for the worker
            // to stop the task's commands itself, as it alone may know of one just started.
            track(
              running,
              runIsolated(step, options, {
                signal: controller.signal,
                output,
                commands,
                call,
                used,
                cleanupFailed: (errors) => deferred.fail(errors),
              }),
            )
          : remote
            ? track(
                running,
                runRemote(step, options, { signal: controller.signal, output, commands, ended: remoteEnded }),
              )
            : inProcess(),
      )
      .then(
        (value: unknown): TaskStatus | Exited => {
          if (!over) returned.value = value;
          return { kind: "passed" };
        },
        (error: unknown): TaskStatus | Exited => {
          if (!over) returned.error = error;
          if (isRemoteStatus(error)) return error.status;
          return isTaskExit(error) ? { kind: "exited", code: error.code } : statusOfError(error, options.locate);
        },
      )
      .then(async (status) => {
        await cleanup();
        code.ended = true;
        settle(afterCleanup(status, deferred.takeErrors(), output));
      });
  });
  // A process.exitCode the task left is its own: it fails it, and never becomes runner's.
  const leftCode = options.exitCode.get();
  options.exitCode.reset();
  const stop = async (reason: unknown): Promise<void> => {
    await stopTask({ controller, grace, running, killGraceMs: options.settings.killGraceMs, ended, cleanup }, reason);
    options.exitCode.reset(); // What its cleanup left is not runner's either.
  };
  // The status of a stopped task, and its cleanup's errors printed.
  const withCleanup = <S extends TaskStatus | Exited>(status: S): S | TaskStatus =>
    afterCleanup(status, deferred.takeErrors(), output);
  // A task that ends because its commands got the Ctrl-C was cancelled, not failed.
  if (
    first === "interrupted" ||
    (options.interrupt.aborted && (typeof first === "string" || first.kind !== "passed"))
  ) {
    await stop(options.interrupt.reason);
    return withCleanup({ kind: "cancelled" });
  }
  if (first === "stalled") {
    await stop("SIGTERM");
    return withCleanup({
      kind: "failed",
      exitCode: 1,
      message: "never finished: it awaits a promise that nothing left running can settle",
      commandFailed: false,
    });
  }
  if (typeof first !== "string" && first.kind === "exited") {
    // As if its process ended: what it started ends with it.
    await stop("SIGTERM");
    const status = withCleanup(first);
    if (status.kind !== "exited") return status;
    if (status.code === 0) return { kind: "passed" };
    return codeFailure(status.code, `called process.exit(${status.code})`);
  }
  if (first !== "expired" && first.kind !== "passed" && (running.size > 0 || !code.ended)) {
    // Failed by an error that escaped its code, or by one command of several, while its code,
    // its other commands or a task it ran by ctx.call go on: stopped as process.exit stops
    // it, so that none of it runs on beside the tasks after it.
    await stop("SIGTERM");
    return withCleanup(first);
  }
  if (first !== "expired") {
    if (first.kind === "passed" && leftCode !== undefined && leftCode !== 0) {
      return codeFailure(leftCode, `set process.exitCode to ${leftCode}`);
    }
    return first;
  }
  await stop("timeout");
  return withCleanup({
    kind: "timed-out",
    afterMs: timeoutMs ?? 0,
    message: `Task timed out after ${formatLimit(timeoutMs ?? 0)}`,
  });
}

/** How an attempt's first phase ends: a status, or what stopped it. */
type Ending = TaskStatus | WatchEvent | "expired" | Exited;

/**
 * `ctx.call(task, options)`: runs the task's code now, as a task of its own (its header,
 * result line and summary line; its time limit and retries), not its deps or post tasks.
 * Resolves to what its code returned; rejects with what it threw when it did not pass.
 */
async function callTask(
  caller: Step,
  callee: () => Task,
  values: unknown,
  options: AttemptOptions,
  watch: RunWatch,
): Promise<unknown> {
  const task = callee();
  if (task.group) throw new TypeError(`ctx.call: "${task.name}" is a group task with no run; list it in deps instead`);
  const given =
    values === undefined
      ? new Map<string, OptionValue>()
      : checkGivenOptions(values, task.options, `ctx.call in task "${caller.task.name}" gives "${task.name}"`);
  const step: Step = {
    task,
    options: finishOptions(task.name, task.options, given),
    args: [],
    rest: [],
    deps: [],
    after: [],
    postOf: caller.postOf,
    together: caller.together,
  };
  void options.emit({ kind: "task-started", step });
  const { run, returned } = await runTask(step, options, watch);
  options.called(caller, run);
  void options.emit({ kind: "task-ended", run });
  if (run.status.kind === "passed") return returned.value;
  // What the called task threw, as it threw it: its caller then fails as it did.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  if (returned.error !== undefined) throw returned.error;
  const why = run.status.kind === "failed" || run.status.kind === "timed-out" ? `: ${run.status.message}` : "";
  throw new CalledTaskError(`Task "${task.name}" (run by ctx.call) did not pass${why}`, run.status);
}

/** The task `source`, given to ctx.call in runner's process, stands for. */
function calledTask(source: unknown, options: AttemptOptions): Task {
  const task = options.taskOf(source);
  if (task === undefined) throw notATaskError(source);
  return task;
}

/** The task an isolated task's worker named in its ctx.call (the worker loaded the same tasks file). */
function namedTask(name: string, options: AttemptOptions): Task {
  const task = options.isolation?.task(name);
  if (task === undefined) throw new Error(`ctx.call: runner found no task "${name}" in its tasks file`);
  return task;
}

/** A task ctx.call ran did not pass, with no error of its own to pass on (it timed out, or was cancelled). */
class CalledTaskError extends Error {
  override readonly name = "CalledTaskError";
  constructor(
    message: string,
    readonly status: TaskStatus,
  ) {
    super(message);
  }
}

/**
 * `watch`, and `stop` too: a called task stops with its caller's end (its time limit), a
 * service when its own stop comes (service.ts).
 */
export function callWatch(watch: RunWatch, caller: AbortSignal): RunWatch {
  return {
    stopped: () => watch.stopped() || caller.aborted,
    add: (notify) => {
      const stop = watch.add(notify);
      const aborted = (): void => notify("interrupted");
      caller.addEventListener("abort", aborted, { once: true });
      return () => {
        stop();
        caller.removeEventListener("abort", aborted);
      };
    },
  };
}

/**
 * A task's status once its deferred functions have run: the first error one threw fails a
 * task that would otherwise pass; every other is printed in the task's output, so that none
 * hides the task's own failure and none goes unsaid.
 */
function afterCleanup<S extends TaskStatus | Exited>(
  status: S,
  errors: readonly unknown[],
  output: TaskOutput,
): S | TaskStatus {
  const passed = status.kind === "passed" || (status.kind === "exited" && status.code === 0);
  const failing = passed && errors.length > 0 ? cleanupFailure(errors[0]) : undefined;
  for (const error of failing === undefined ? errors : errors.slice(1)) {
    void output.stderr(Buffer.from(`${messageOfStatus(cleanupFailure(error))}\n`));
  }
  return failing ?? status;
}

/** The status an error thrown by a deferred function gives, its message saying where it came from. */
function cleanupFailure(error: unknown): TaskStatus {
  const status = statusOfError(error);
  if (status.kind !== "failed" && status.kind !== "timed-out") return status;
  return { ...status, message: `deferred cleanup failed: ${status.message}` };
}

function messageOfStatus(status: TaskStatus): string {
  return status.kind === "failed" || status.kind === "timed-out" ? status.message : status.kind;
}

/**
 * A task failed with the exit status its code asked for. One no process could end with
 * (256 would end it with 0, -1 with 255) fails it with 1, as an error's exitCode does.
 */
function codeFailure(code: number, message: string): TaskStatus {
  if (Number.isInteger(code) && code >= 1 && code <= 255) {
    return { kind: "failed", exitCode: code, message, commandFailed: false };
  }
  const why = `${code} is not a whole number from 0 to 255, so the task's status is 1`;
  return { kind: "failed", exitCode: 1, message: `${message} (${why})`, commandFailed: false };
}

/** The task's code called process.exit(code). */
interface Exited {
  readonly kind: "exited";
  readonly code: number;
}

/** An error that escaped the task's code: the task fails as if its code had thrown it. */
function escapedStatus(
  error: unknown,
  how: "uncaught" | "unhandled rejection",
  locate: AttemptOptions["locate"],
): TaskStatus {
  const status = statusOfError(error, locate);
  if (status.kind !== "failed" && status.kind !== "timed-out") return status;
  const where = how === "uncaught" ? "thrown where nothing caught it" : "a promise rejected with nothing to handle it";
  return { ...status, message: `${status.message} (${where})` };
}

/**
 * How a task ends when its code throws `error`. A failed command says what failed itself;
 * any other error also tells where it was thrown and its stack (for -v).
 */
export function statusOfError(error: unknown, locate: AttemptOptions["locate"] = () => undefined): TaskStatus {
  try {
    // A task run by ctx.call that timed out: its caller ends as it did.
    const called = calledTimeOut(error);
    if (called !== undefined) return { kind: "timed-out", afterMs: called.afterMs, message: called.message };
    if (isCommandError(error)) {
      const message = messageOf(error);
      if (error.result.timedOut) return { kind: "timed-out", afterMs: error.result.durationMs, message };
      return { kind: "failed", exitCode: commandExitStatus(error.result), message, commandFailed: true };
    }
    const message = error instanceof Error ? messageOf(error) : `Task threw ${messageOf(error)}`;
    // An error that carries its exit status (invoke's `Exit`, execa's errors) ends the task
    // with it, as process.exit would: 0 passes.
    const code = typeof error === "object" && error !== null ? (error as { exitCode?: unknown }).exitCode : undefined;
    const site = siteOf(error, locate);
    if (code === undefined) return { kind: "failed", exitCode: 1, message, commandFailed: false, ...site };
    if (code === 0) return { kind: "passed" };
    if (typeof code === "number" && Number.isInteger(code) && code >= 1 && code <= 255) {
      return { kind: "failed", exitCode: code, message, commandFailed: false, ...site };
    }
    const why = `its exitCode ${showValue(code)} is not a whole number from 0 to 255, so the task's status is 1`;
    return { kind: "failed", exitCode: 1, message: `${message} (${why})`, commandFailed: false, ...site };
  } catch {
    // A thrown value that cannot even be looked at (a Proxy whose traps throw).
    return { kind: "failed", exitCode: 1, message: "Task threw a value that cannot be shown", commandFailed: false };
  }
}

/**
 * The time-out of a task ctx.call ran, when `error` is the CalledTaskError that says so: the
 * one thrown here, or one that came back from an isolated caller that let it go (an Error
 * named so, its `status` an own property, the class lost on the way).
 */
function calledTimeOut(error: unknown): { readonly afterMs: number; readonly message: string } | undefined {
  if (!(error instanceof Error) || error.name !== "CalledTaskError") return undefined;
  const status = (error as { status?: Partial<Extract<TaskStatus, { kind: "timed-out" }>> }).status;
  if (status?.kind !== "timed-out" || typeof status.afterMs !== "number") return undefined;
  return { afterMs: status.afterMs, message: error.message };
}

/** `where` and `stack` where there are some: never a reason for the task's result to be lost. */
function siteOf(error: unknown, locate: AttemptOptions["locate"]): { where?: string; stack?: string } {
  try {
    const site = locate(error);
    if (site === undefined) return {};
    return site.where === undefined ? { stack: site.stack } : { where: site.where, stack: site.stack };
  } catch {
    return {};
  }
}

/** Whether a worker's status came back; never throws (instanceof runs a Proxy's getPrototypeOf trap). */
function isRemoteStatus(error: unknown): error is RemoteStatus {
  try {
    return error instanceof RemoteStatus;
  } catch {
    return false;
  }
}

/** `work`, counted in `running` until it settles. */
function track<T>(running: Set<Promise<unknown>>, work: Promise<T>): Promise<T> {
  running.add(work);
  return work.finally(() => running.delete(work));
}

/** The task's code in a pool worker: resolves to what it returned, throws what it threw (SPEC §7). */
async function runIsolated(
  step: Step,
  options: AttemptOptions,
  attempt: {
    readonly signal: AbortSignal;
    readonly output: TaskOutput;
    readonly commands: CommandRecord[];
    /** ctx.call, for the task the worker named. */
    readonly call: (callee: () => Task, values: unknown) => Promise<unknown>;
    /** What the task's worker measured it used (when measured, and when the figures came). */
    readonly used: (usage: Usage | undefined) => void;
    /** What the task's deferred functions threw in its worker: its status then comes as in-process (afterCleanup). */
    readonly cleanupFailed: (errors: readonly unknown[]) => void;
  },
): Promise<unknown> {
  const { signal, output, commands } = attempt;
  const isolation = options.isolation;
  if (isolation === undefined) throw new Error("no pool");
  const { settings } = options;
  const groups = options.commandRun.groups;
  const end: IsolatedEnd = await isolation.pool().run(
    {
      file: isolation.file,
      codeHash: isolation.codeHash,
      task: step.task.name,
      options: step.options,
      args: step.args,
      rest: step.rest,
      settings: {
        cwd: settings.cwd,
        invocationDir: settings.invocationDir,
        config: settings.config as unknown as Record<string, unknown>,
        env: settings.env,
        shell: settings.shell,
        echo: settings.echo,
        dryRun: settings.dryRun,
        warnOnly: settings.warnOnly,
        killGraceMs: settings.killGraceMs,
        captureLimit: settings.captureLimit,
        inheritStdin: settings.inheritStdin,
        concurrent: settings.concurrent,
      },
      measure: options.commandRun.meter !== undefined,
    },
    {
      output,
      ...commandEvents(step, options, commands),
      signal,
      killGraceMs: settings.killGraceMs,
      // Registered with the run's groups, which check a group is certainly its command's before signalling it.
      group: (pgid) => groups.add(pgid),
      killGroup: (pgid) => void groups.signal(pgid, "SIGKILL"),
      call: (name, values) => attempt.call(() => namedTask(name, options), values),
    },
    { fresh: step.task.freshWorker, maxRssBytes: step.task.maxRssBytes },
  );
  attempt.used(end.kind === "returned" || end.kind === "threw" ? end.usage : undefined);
  if (end.kind !== "crashed" && end.cleanupErrors !== undefined) attempt.cleanupFailed(end.cleanupErrors);
  switch (end.kind) {
    case "returned":
      return end.value;
    case "threw":
      throw end.error;
    case "exited":
      throw new IsolatedExit(end.code);
    case "crashed": {
      if (end.error === undefined) throw new Error(`Task crashed: ${end.message}`);
      const error = end.error;
      if (error instanceof Error) error.message = `${error.message} (${end.message} in its worker process)`;
      // What the task's code let escape, as it was (a thrown string stays one).
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw error;
    }
    default:
      return unreachable("isolated end", end);
  }
}

/** What a worker says of the commands it runs for `step`: recorded in `commands`, and told to the reporters. */
function commandEvents(
  step: Step,
  options: AttemptOptions,
  commands: CommandRecord[],
): Pick<RemoteAttempt, "commandStarted" | "commandEnded"> {
  return {
    commandStarted: (command) => void options.emit({ kind: "command-started", step, command }),
    commandEnded: (record) => {
      commands.push(record);
      void options.emit({ kind: "command-ended", step, record });
    },
  };
}

function isIsolated(step: Step, options: AttemptOptions): boolean {
  return (
    !step.task.group &&
    options.remote === undefined &&
    options.isolation !== undefined &&
    (step.task.isolate || options.isolation.all)
  );
}

function isRemote(step: Step, options: AttemptOptions): boolean {
  return !step.task.group && options.remote !== undefined;
}

function workerOf(end: RemoteAttemptEnd | undefined): { worker?: string } {
  return end === undefined || end.worker === "" ? {} : { worker: end.worker };
}

/** A remote attempt that did not pass, carrying the status its worker gave. */
class RemoteStatus extends Error {
  constructor(readonly status: TaskStatus) {
    super(status.kind);
  }
}

/** One attempt on a worker (SPEC §8): its output and commands come back as they happen. */
async function runRemote(
  step: Step,
  options: AttemptOptions,
  attempt: {
    readonly signal: AbortSignal;
    readonly output: TaskOutput;
    readonly commands: CommandRecord[];
    readonly ended: (end: RemoteAttemptEnd) => void;
  },
): Promise<unknown> {
  const remote = options.remote;
  if (remote === undefined) throw new Error("no remote");
  const end = await remote.run(step, {
    signal: attempt.signal,
    output: attempt.output,
    ...commandEvents(step, options, attempt.commands),
  });
  attempt.ended(end);
  if (end.status.kind === "passed") return undefined;
  throw new RemoteStatus(end.status);
}

/** A returned value as JSON text: a BigInt as its digits, a Map as an object, a Set as an array; undefined when there is none. */
function jsonOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === "bigint") return item.toString();
      if (item instanceof Map) return Object.fromEntries([...item].map(([k, v]: [unknown, unknown]) => [String(k), v]));
      if (item instanceof Set) return [...item] as unknown[];
      return item;
    });
  } catch {
    return undefined;
  }
}
