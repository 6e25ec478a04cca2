// One task's attempts: its code run with a fresh ctx, raced against its time limit, the
// run's stop and a stall, retried as configured. JavaScript cannot be killed, so stopping a
// task means stopping its commands and no longer waiting for its code.
import type { CommandRun } from "../child/command-process.ts";
import { formatLimit } from "../common/duration.ts";
import { isCommandError } from "../context/command-error.ts";
import { createContext, type CommandRecord, type ContextSettings, type TaskOutput } from "../context/context.ts";
import type { Context } from "../api/context.ts";
import { showValue } from "../common/show-value.ts";
import type { Task } from "../loader/collection.ts";
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
import { TaskExit, type TaskScope, type TaskScopes } from "./task-scope.ts";
import { messageOf } from "../common/error-text.ts";
import { longTimer, type LongTimer } from "../common/long-timer.ts";

/** What every task's context shares; the attempt adds the per-task parts. */
export type SharedSettings = Omit<
  ContextSettings,
  "name" | "options" | "args" | "rest" | "signal" | "output" | "commands" | "running" | "run" | "call"
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
  for (let attempt = 0; ; attempt++) {
    const attemptStarted = clock.now();
    const returned: Returned = {};
    const status = await runOnce(step, options, commands, output, watch, returned);
    attempts.push({ status, durationMs: clock.now() - attemptStarted });
    const last = status.kind === "passed" || status.kind === "cancelled" || attempt >= retries || watch.stopped();
    void options.emit({
      kind: "attempt-ended",
      step,
      status,
      retry: last ? undefined : { next: attempt + 2, of: retries + 1 },
    });
    if (last) {
      const durationMs = clock.now() - started;
      return { run: { step, status, startedAt, durationMs, attempts, commands, outputTail: output.tail() }, returned };
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
): Promise<TaskStatus> {
  const controller = new AbortController();
  const running = new Set<Promise<unknown>>();
  const call = (source: unknown, values: unknown): Promise<unknown> => {
    const calling = callTask(step, source, values, options, callWatch(watch, controller.signal));
    running.add(calling);
    return calling.finally(() => running.delete(calling));
  };
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
    call,
  });
  // 0 means no limit, so `--timeout 0` lifts a task's own limit.
  const limit = options.timeoutMs ?? step.task.timeoutMs ?? options.defaultTimeoutMs;
  const timeoutMs = limit === 0 ? undefined : limit;
  // The first of: the task's code settles (or calls process.exit, or lets an error escape),
  // the run stops, the time limit expires, or nothing is left that could settle its promise.
  let over = false;
  const first = await new Promise<TaskStatus | WatchEvent | "expired" | Exited>((resolve) => {
    let timer: LongTimer | undefined;
    let unwatch = (): void => {};
    const settle = (value: TaskStatus | WatchEvent | "expired" | Exited): void => {
      if (over) return;
      over = true;
      timer?.cancel();
      options.deadlines?.delete(scope);
      unwatch();
      resolve(value);
    };
    const scope: TaskScope = {
      name: step.task.name,
      output,
      exit: (code) => {
        if (!over) settle({ kind: "exited", code });
        else if (code !== 0) options.late(new Error(`called process.exit(${code}) after it ended`), step.task.name);
      },
      crash: (error, how) => {
        if (!over) settle(escapedStatus(error, how));
        else options.late(error, `${step.task.name}, after it ended (${how})`);
      },
    };
    if (timeoutMs !== undefined) {
      timer = longTimer(() => settle("expired"), timeoutMs);
      options.deadlines?.set(scope, step.task.name, options.clock.epochMs() + timeoutMs, timeoutMs);
    }
    unwatch = watch.add(settle);
    if (watch.stopped()) settle("interrupted");
    // In a microtask of its own, as the task's code always started: after this round of starts.
    Promise.resolve()
      .then(() => options.scopes.run(scope, () => step.task.run(ctx, step.options as Record<string, unknown>)))
      .then(
        (value: unknown) => {
          if (!over) returned.value = value;
          settle({ kind: "passed" });
        },
        (error: unknown) => {
          if (!over) returned.error = error;
          settle(error instanceof TaskExit ? { kind: "exited", code: error.code } : statusOfError(error));
        },
      );
  });
  // A process.exitCode the task left is its own: it fails it, and never becomes runner's.
  const leftCode = options.exitCode.get();
  options.exitCode.reset();
  // A task that ends because its commands got the Ctrl-C was cancelled, not failed.
  if (
    first === "interrupted" ||
    (options.interrupt.aborted && (typeof first === "string" || first.kind !== "passed"))
  ) {
    await stopTask(controller, options.interrupt.reason, running, options.settings.killGraceMs);
    return { kind: "cancelled" };
  }
  if (first === "stalled") {
    return {
      kind: "failed",
      exitCode: 1,
      message: "never finished: it awaits a promise that nothing left running can settle",
      commandFailed: false,
    };
  }
  if (typeof first !== "string" && first.kind === "exited") {
    // As if its process ended: what it started ends with it.
    await stopTask(controller, "SIGTERM", running, options.settings.killGraceMs);
    if (first.code === 0) return { kind: "passed" };
    return {
      kind: "failed",
      exitCode: first.code,
      message: `called process.exit(${first.code})`,
      commandFailed: false,
    };
  }
  if (first !== "expired") {
    if (first.kind === "passed" && leftCode !== undefined && leftCode !== 0) {
      return {
        kind: "failed",
        exitCode: leftCode,
        message: `set process.exitCode to ${leftCode}`,
        commandFailed: false,
      };
    }
    return first;
  }
  await stopTask(controller, "timeout", running, options.settings.killGraceMs);
  return { kind: "timed-out", afterMs: timeoutMs ?? 0, message: `Task timed out after ${formatLimit(timeoutMs ?? 0)}` };
}

/**
 * `ctx.call(task, options)`: runs the task's code now, as a task of its own (its header,
 * result line and summary line; its time limit and retries), not its deps or post tasks.
 * Resolves to what its code returned; rejects with what it threw when it did not pass.
 */
async function callTask(
  caller: Step,
  source: unknown,
  values: unknown,
  options: AttemptOptions,
  watch: RunWatch,
): Promise<unknown> {
  const task = options.taskOf(source);
  if (task === undefined) {
    throw new TypeError(`ctx.call: expected a task made by task() or a function, not ${showValue(source)}`);
  }
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

/** The caller's watch, and the caller's own end (its time limit): a called task stops with its caller. */
function callWatch(watch: RunWatch, caller: AbortSignal): RunWatch {
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
 * Stops a task's commands (their process groups get SIGTERM, or the Ctrl-C's signal, then
 * SIGKILL after the grace period) and waits until they have ended, so that nothing of this
 * task runs on into the next one. Its own code may run on: JavaScript cannot be killed.
 */
async function stopTask(
  controller: AbortController,
  reason: unknown,
  running: ReadonlySet<Promise<unknown>>,
  killGraceMs: number,
): Promise<void> {
  controller.abort(reason);
  // Not the task's own promise: it settles as soon as its first command throws, while
  // others it started (Promise.all) may still be on their way down.
  const commandsEnded = Promise.allSettled([...running]).then(() => new Promise((resolve) => setImmediate(resolve)));
  let timer: LongTimer | undefined;
  const cap = new Promise((resolve) => {
    timer = longTimer(() => resolve(undefined), killGraceMs + 1000).unref();
  });
  await Promise.race([commandsEnded, cap]);
  timer?.cancel();
}

/** The task's code called process.exit(code). */
interface Exited {
  readonly kind: "exited";
  readonly code: number;
}

/** An error that escaped the task's code: the task fails as if its code had thrown it. */
function escapedStatus(error: unknown, how: "uncaught" | "unhandled rejection"): TaskStatus {
  const status = statusOfError(error);
  if (status.kind === "passed" || status.kind === "cancelled" || status.kind === "skipped") return status;
  const where = how === "uncaught" ? "thrown where nothing caught it" : "a promise rejected with nothing to handle it";
  return { ...status, message: `${status.message} (${where})` };
}

export function statusOfError(error: unknown): TaskStatus {
  try {
    // A task run by ctx.call that timed out: its caller ends as it did.
    if (error instanceof CalledTaskError && error.status.kind === "timed-out") {
      return { kind: "timed-out", afterMs: error.status.afterMs, message: error.message };
    }
    if (isCommandError(error)) {
      const message = messageOf(error);
      if (error.result.timedOut) return { kind: "timed-out", afterMs: error.result.durationMs, message };
      return { kind: "failed", exitCode: commandExitStatus(error.result), message, commandFailed: true };
    }
    const message = error instanceof Error ? messageOf(error) : `Task threw ${messageOf(error)}`;
    return { kind: "failed", exitCode: 1, message, commandFailed: false };
  } catch {
    // A thrown value that cannot even be looked at (a Proxy whose traps throw).
    return { kind: "failed", exitCode: 1, message: "Task threw a value that cannot be shown", commandFailed: false };
  }
}
