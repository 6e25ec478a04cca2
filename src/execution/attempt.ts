// One task's attempts: its code run with a fresh ctx, raced against its time limit, the
// run's stop and a stall, retried as configured. JavaScript cannot be killed, so stopping a
// task means stopping its commands and no longer waiting for its code.
import type { CommandRun } from "../child/command-process.ts";
import { formatLimit } from "../common/duration.ts";
import { isCommandError } from "../context/command-error.ts";
import { createContext, type CommandRecord, type ContextSettings, type TaskOutput } from "../context/context.ts";
import type { Context } from "../api/context.ts";
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
  "name" | "options" | "args" | "rest" | "signal" | "output" | "commands" | "running" | "run"
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
  /** Where an error task code threw was thrown (`tasks.ts:12:7`), and its stack, mapped to the sources. */
  readonly locate: (error: unknown) => { readonly where: string | undefined; readonly stack: string } | undefined;
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
  const { clock } = options;
  const retries = options.retries ?? step.task.retries ?? options.defaultRetries;
  const attempts: Attempt[] = [];
  const commands: CommandRecord[] = [];
  const output = keptOutput(step, options.emit);
  const startedAt = clock.epochMs();
  const started = clock.now();
  for (let attempt = 0; ; attempt++) {
    const attemptStarted = clock.now();
    const status = await runOnce(step, options, commands, output, watch);
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
      return { step, status, startedAt, durationMs, attempts, commands, outputTail: output.tail() };
    }
  }
}

async function runOnce(
  step: Step,
  options: AttemptOptions,
  commands: CommandRecord[],
  output: TaskOutput,
  watch: RunWatch,
): Promise<TaskStatus> {
  const controller = new AbortController();
  const running = new Set<Promise<unknown>>();
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
        if (!over) settle(escapedStatus(error, how, options.locate));
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
        () => settle({ kind: "passed" }),
        (error: unknown) =>
          settle(
            error instanceof TaskExit ? { kind: "exited", code: error.code } : statusOfError(error, options.locate),
          ),
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
function escapedStatus(
  error: unknown,
  how: "uncaught" | "unhandled rejection",
  locate: AttemptOptions["locate"],
): TaskStatus {
  const status = statusOfError(error, locate);
  if (status.kind === "passed" || status.kind === "cancelled" || status.kind === "skipped") return status;
  const where = how === "uncaught" ? "thrown where nothing caught it" : "a promise rejected with nothing to handle it";
  return { ...status, message: `${status.message} (${where})` };
}

/**
 * How a task ends when its code throws `error`. A failed command says what failed itself;
 * any other error also tells where it was thrown and its stack (for -v).
 */
export function statusOfError(error: unknown, locate: AttemptOptions["locate"] = () => undefined): TaskStatus {
  try {
    if (isCommandError(error)) {
      const message = messageOf(error);
      if (error.result.timedOut) return { kind: "timed-out", afterMs: error.result.durationMs, message };
      return { kind: "failed", exitCode: commandExitStatus(error.result), message, commandFailed: true };
    }
    const message = error instanceof Error ? messageOf(error) : `Task threw ${messageOf(error)}`;
    const site = siteOf(error, locate);
    return { kind: "failed", exitCode: 1, message, commandFailed: false, ...site };
  } catch {
    // A thrown value that cannot even be looked at (a Proxy whose traps throw).
    return { kind: "failed", exitCode: 1, message: "Task threw a value that cannot be shown", commandFailed: false };
  }
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
