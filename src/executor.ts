// The executor: runs the plan's steps — a task starts as soon as its deps have passed, at
// most `jobs` at once (1: one after another, in plan order) — with time limits, retries and
// the failure policy, and turns each task's end into a status (a typed union, never an
// exception).
import { formatLimit } from "./duration.ts";
import { CommandError } from "./errors.ts";
import type { Context } from "./context-types.ts";
import { commandExitStatus, createContext, type CommandRecord, type ContextSettings } from "./context.ts";
import type { Step } from "./plan.ts";
import { Schedule } from "./schedule.ts";
import type { TaskOutput } from "./output.ts";
import { now } from "./clock.ts";

export type TaskStatus =
  | { readonly kind: "passed" }
  | { readonly kind: "failed"; readonly exitCode: number; readonly message: string; readonly commandFailed: boolean }
  | { readonly kind: "timed-out"; readonly afterMs: number; readonly message: string }
  | { readonly kind: "cancelled" }
  | { readonly kind: "skipped"; readonly reason: string };

export interface Attempt {
  readonly status: TaskStatus;
  readonly durationMs: number;
}

export interface TaskRun {
  readonly step: Step;
  readonly status: TaskStatus;
  /** Wall-clock start (epoch ms), for reports; undefined for a task that never started. */
  readonly startedAt: number | undefined;
  readonly durationMs: number;
  readonly attempts: readonly Attempt[];
  readonly commands: readonly CommandRecord[];
  /** The last lines the task printed (all streams), for summaries and reports. */
  readonly outputTail: string;
}

/** What every task's context shares; the executor adds the per-task parts. */
export type SharedSettings = Omit<
  ContextSettings,
  "name" | "options" | "args" | "rest" | "signal" | "output" | "commands" | "running"
>;

export interface ExecuteOptions {
  readonly settings: SharedSettings;
  readonly keepGoing: boolean;
  /** --timeout, overriding each task's own. */
  readonly timeoutMs: number | undefined;
  /** The configured time limit, for tasks that declare none. */
  readonly defaultTimeoutMs: number | undefined;
  /** --retries (or config), used when the task declares none. */
  readonly retries: number | undefined;
  readonly defaultRetries: number;
  /** At most this many tasks at once; 1 runs them one after another in plan order. */
  readonly jobs: number;
  /** Where a task's output goes (its commands', its console's and ctx.log's). */
  readonly outputFor: (step: Step) => TaskOutput;
  /** Runs task code so that its console.log/console.error go to `output` (see capture.ts). */
  readonly withOutput: <T>(output: TaskOutput, work: () => T) => T;
  /** Aborted (reason: the signal's name) when runner is asked to stop. */
  readonly interrupt: AbortSignal;
  readonly onStart: (step: Step) => void;
  /** An attempt failed and attempt `next` (1-based) of `of` starts now. */
  readonly onRetry: (step: Step, failed: TaskStatus, next: number, of: number) => void;
  readonly onEnd: (run: TaskRun) => void;
}

export function exitStatusOf(status: TaskStatus): number {
  switch (status.kind) {
    case "passed":
    case "skipped":
      return 0;
    case "failed":
      return status.exitCode;
    case "timed-out":
      return 124;
    case "cancelled":
      return 130;
    default: {
      const never: never = status;
      throw new Error(`unhandled status ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The run's exit status: that of the task that failed first (by the time it ended), else 0.
 * Cancelled and skipped tasks are what a failure caused, not failures of their own.
 */
export function runExitStatus(runs: readonly TaskRun[]): number {
  const endOf = (run: TaskRun): number => (run.startedAt ?? Infinity) + run.durationMs;
  const failures = runs.filter((run) => run.status.kind === "failed" || run.status.kind === "timed-out");
  const first = failures.sort((a, b) => endOf(a) - endOf(b))[0];
  if (first !== undefined) return exitStatusOf(first.status);
  return runs.some((run) => run.status.kind === "cancelled") ? 130 : 0;
}

export async function execute(steps: readonly Step[], options: ExecuteOptions): Promise<TaskRun[]> {
  const schedule = new Schedule(steps);
  let running = 0;
  // Fail-fast: after a failure nothing new starts and running tasks are cancelled (their
  // process groups get SIGTERM, then SIGKILL after the grace period).
  const failFast = new AbortController();
  const stop = AbortSignal.any([options.interrupt, failFast.signal]);
  const watch = watchRun(stop);

  const runs = new Promise<TaskRun[]>((resolve, reject) => {
    const finish = (run: TaskRun): void => {
      schedule.end(run);
      options.onEnd(run);
    };
    const taskEnded = (run: TaskRun): void => {
      running--;
      const failed = run.status.kind !== "passed" && run.status.kind !== "cancelled";
      if (failed && !options.keepGoing) failFast.abort("SIGTERM");
      finish(run);
      // With -k, what depends on a task that did not pass can no longer run: it is shown as
      // skipped at once, in plan order. (Fail-fast skips everything not started: pump.)
      if (run.status.kind !== "passed" && !stop.aborted) {
        for (const step of schedule.dependentsOf(run.step)) {
          finish(skipped(step, `it depends on ${blockerOf(step) ?? run.step.task.name}`));
        }
      }
      pump();
    };
    const blockerOf = (step: Step): string | undefined =>
      step.deps.find((dep) => {
        const run = schedule.runOf(dep);
        return run !== undefined && run.status.kind !== "passed";
      })?.task.name;
    const pump = (): void => {
      if (stop.aborted) {
        const reason = options.interrupt.aborted ? "the run was interrupted" : "an earlier task failed";
        for (const step of schedule.notStarted()) finish(skipped(step, reason));
      }
      while (running < options.jobs) {
        const step = schedule.next();
        if (step === undefined) break;
        running++;
        options.onStart(step);
        runWithRetries(step, options, watch).then(taskEnded).catch(reject);
      }
      if (running === 0 && schedule.done()) resolve(steps.map((step) => schedule.runOf(step)!));
    };
    pump();
  });
  try {
    return await runs;
  } finally {
    watch.dispose();
  }
}

/** What ends an attempt early, besides its own code: the run stops, or the task can never finish. */
type Event = "interrupted" | "stalled";

/**
 * What every running attempt waits for besides its own code, one listener each for the
 * whole run rather than one per attempt (a run may start thousands).
 */
interface RunWatch {
  /** Whether the run is stopping (interrupted, or fail-fast after a failure). */
  readonly stopped: () => boolean;
  /** Calls `notify` at the next event; returns how to stop listening. */
  readonly add: (notify: (event: Event) => void) => () => void;
  readonly dispose: () => void;
}

function watchRun(stop: AbortSignal): RunWatch {
  const listeners = new Set<(event: Event) => void>();
  const tell = (event: Event): void => {
    for (const notify of [...listeners]) notify(event);
  };
  const interrupted = (): void => tell("interrupted");
  // Why: a task awaiting a promise that nothing will ever settle leaves Node's event loop
  // empty, and Node would end the run right there (status 13, no summary). "beforeExit"
  // says the loop is empty: such a task can never finish, so it fails and the run goes on.
  const stalled = (): void => tell("stalled");
  stop.addEventListener("abort", interrupted, { once: true });
  process.on("beforeExit", stalled);
  return {
    stopped: () => stop.aborted,
    add: (notify) => {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    dispose: () => {
      stop.removeEventListener("abort", interrupted);
      process.off("beforeExit", stalled);
    },
  };
}

function skipped(step: Step, reason: string): TaskRun {
  return {
    step,
    status: { kind: "skipped", reason },
    startedAt: undefined,
    durationMs: 0,
    attempts: [],
    commands: [],
    outputTail: "",
  };
}

async function runWithRetries(step: Step, options: ExecuteOptions, watch: RunWatch): Promise<TaskRun> {
  const retries = options.retries ?? step.task.retries ?? options.defaultRetries;
  const attempts: Attempt[] = [];
  const commands: CommandRecord[] = [];
  const output = options.outputFor(step);
  const startedAt = Date.now();
  const started = now();
  for (let attempt = 0; ; attempt++) {
    const attemptStarted = now();
    const status = await runOnce(step, options, commands, output, watch);
    attempts.push({ status, durationMs: now() - attemptStarted });
    if (status.kind === "passed" || status.kind === "cancelled" || attempt >= retries || watch.stopped()) {
      const durationMs = now() - started;
      return { step, status, startedAt, durationMs, attempts, commands, outputTail: output.tail() };
    }
    options.onRetry(step, status, attempt + 2, retries + 1);
  }
}

async function runOnce(
  step: Step,
  options: ExecuteOptions,
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
    commands,
    running,
  });
  // 0 means no limit, so `--timeout 0` lifts a task's own limit.
  const limit = options.timeoutMs ?? step.task.timeoutMs ?? options.defaultTimeoutMs;
  const timeoutMs = limit === 0 ? undefined : limit;
  // The first of: the task's code settles, the run stops, the time limit expires, or
  // nothing is left that could settle the task's promise.
  const first = await new Promise<TaskStatus | Event | "expired">((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let unwatch = (): void => {};
    const settle = (value: TaskStatus | Event | "expired"): void => {
      clearTimeout(timer);
      unwatch();
      resolve(value);
    };
    if (timeoutMs !== undefined) timer = setTimeout(() => settle("expired"), timeoutMs);
    unwatch = watch.add(settle);
    if (watch.stopped()) settle("interrupted");
    // In a microtask of its own, as the task's code always started: after this round of starts.
    Promise.resolve()
      .then(() => options.withOutput(output, () => step.task.run(ctx, step.options as Record<string, unknown>)))
      .then(
        () => settle({ kind: "passed" }),
        (error: unknown) => settle(statusOfError(error)),
      );
  });
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
  if (first !== "expired") return first;
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
  const cap = after(killGraceMs + 1000, undefined, { unref: true });
  await Promise.race([commandsEnded, cap.promise]);
  cap.cancel();
}

/** Something to wait for, and a way to stop waiting (dropping its timer). */
interface Wait<T> {
  readonly promise: Promise<T>;
  readonly cancel: () => void;
}

function after<T>(ms: number, value: T, { unref = false } = {}): Wait<T> {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), ms);
    if (unref) timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function isCommandError(error: unknown): error is CommandError {
  return (
    error instanceof CommandError || (error instanceof Error && error.name === "CommandError" && "result" in error)
  );
}

export function statusOfError(error: unknown): TaskStatus {
  if (isCommandError(error)) {
    if (error.result.timedOut) return { kind: "timed-out", afterMs: error.result.durationMs, message: error.message };
    return { kind: "failed", exitCode: commandExitStatus(error.result), message: error.message, commandFailed: true };
  }
  const message = error instanceof Error ? error.message : `Task threw ${String(error)}`;
  return { kind: "failed", exitCode: 1, message, commandFailed: false };
}
