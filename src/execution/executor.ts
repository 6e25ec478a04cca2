// The executor: runs the plan's steps — a task starts as soon as its deps have passed, at
// most `jobs` at once (1: one after another, in plan order) — with the failure policy:
// fail-fast cancels what runs and skips the rest; -k skips only what depends on a failure.
// Each task's end is a status (a typed union, never an exception), told to the reporters.
// A service (SPEC §11) lets its dependents start once it is ready, takes no `-j` slot, and
// is stopped once every task that needs it has ended (service.ts).
import type { Step } from "../plan/plan.ts";
import type { World } from "../world/world.ts";
import { callWatch, type AttemptOptions, type RunWatch, type WatchEvent } from "./attempt.ts";
import { succeeded, type TaskRun } from "./outcomes.ts";
import { runStep, type UpToDateChecker } from "./run-step.ts";
import { Schedule } from "./schedule.ts";
import { startService, type ServiceRun } from "./service.ts";

export interface ExecuteOptions extends Omit<AttemptOptions, "called"> {
  readonly keepGoing: boolean;
  /** At most this many tasks at once; 1 runs them one after another in plan order. */
  readonly jobs: number;
  /** At most this many at once of the deps of a `parallel: true` task (step.together), whatever `jobs` is. */
  readonly togetherJobs: number;
  /** Tells when nothing is left to run: a task still waiting then can never finish. */
  readonly onIdle: World["onIdle"];
  /** The steps' up-to-date checks (SPEC §10), when some step has `sources`. */
  readonly upToDate?: UpToDateChecker;
}

export async function execute(steps: readonly Step[], options: ExecuteOptions): Promise<TaskRun[]> {
  const schedule = new Schedule(steps);
  // Running tasks, services apart: they take no slot.
  const running = new Set<Step>();
  const services = new Map<Step, ServiceRun>();
  // The stops of running tasks that need a running service: with -k they are cancelled when it fails.
  const serviceUsers = new Map<Step, AbortController>();
  // Fail-fast: after a failure nothing new starts and running tasks are cancelled (their
  // process groups get SIGTERM, then SIGKILL after the grace period).
  const failFast = new AbortController();
  const stop = AbortSignal.any([options.interrupt, failFast.signal]);
  const watch = watchRun(stop, options.onIdle);
  // Post tasks run after their task whether it passed or not, so a failure does not stop
  // them; only Ctrl-C (or another signal) does.
  const postWatch = watchRun(options.interrupt, options.onIdle);
  // Tasks that task code ran with ctx.call, by the step that called them.
  const calls = new Map<Step, TaskRun[]>();
  const attemptOptions: AttemptOptions = {
    ...options,
    called: (caller, run) => calls.set(caller, [...(calls.get(caller) ?? []), run]),
  };
  const withCalls = (run: TaskRun): TaskRun[] => [...(calls.get(run.step) ?? []).flatMap(withCalls), run];

  const runs = new Promise<TaskRun[]>((resolve, reject) => {
    const finish = (run: TaskRun): void => {
      schedule.end(run);
      void options.emit({ kind: "task-ended", run });
      for (const dep of run.step.deps) if (services.has(dep) && !stillNeeded(dep)) services.get(dep)?.stop();
    };
    // Whether a task that needs the service `step` has not ended: one that waits for it or runs with it.
    const stillNeeded = (step: Step): boolean =>
      schedule.neededBy(step).some((dependent) => schedule.runOf(dependent) === undefined);
    const taskEnded = (run: TaskRun): void => {
      running.delete(run.step);
      serviceUsers.delete(run.step);
      const wasService = services.delete(run.step);
      const failed = !succeeded(run.status) && run.status.kind !== "cancelled";
      if (failed && !options.keepGoing) failFast.abort("SIGTERM");
      finish(run);
      // With -k, what depends on a task that did not pass can no longer run: it is shown as
      // skipped at once, in plan order, and what runs with a service that failed is cancelled.
      // (Fail-fast skips everything not started, in pump, and cancels what runs.)
      if (!succeeded(run.status) && !stop.aborted) {
        if (wasService) {
          for (const user of schedule.neededBy(run.step)) {
            serviceUsers.get(user)?.abort();
            services.get(user)?.cancel();
          }
        }
        for (const step of schedule.dependentsOf(run.step)) {
          finish(skipped(step, `it depends on ${blockerOf(step) ?? run.step.task.name}`));
        }
      }
      pump();
    };
    const blockerOf = (step: Step): string | undefined =>
      [...step.deps, ...step.after].find((dep) => {
        const run = schedule.runOf(dep);
        return (
          run !== undefined && (run.status.kind === "skipped" || (!succeeded(run.status) && step.deps.includes(dep)))
        );
      })?.task.name;
    // After a failure, a post task may still start when the task it follows has started, and
    // so may a service such a post task needs.
    const mayStillRun = (step: Step): boolean =>
      !options.interrupt.aborted &&
      (step.postOf === undefined
        ? step.task.service !== undefined && schedule.neededBy(step).some(mayStillRun)
        : schedule.hasStarted(step.postOf) && schedule.runOf(step.postOf)?.status.kind !== "skipped");
    // A service a post task needs is not cancelled by a failure: the post task runs after one.
    // It is stopped, as ever, once nothing that needs it is left to run.
    const servesPost = (step: Step): boolean => schedule.neededBy(step).some((user) => user.postOf !== undefined);
    // One at a time in a serial run, except the deps of a `parallel: true` task, which start
    // together while only steps of their group run.
    const mayStart = (step: Step): boolean =>
      running.size < options.jobs ||
      (step.together !== undefined &&
        running.size < options.togetherJobs &&
        [...running].every((other) => other.together === step.together));
    const serviceReady = (step: Step): void => {
      schedule.release(step);
      // What needed it may all have ended meanwhile (skipped with -k).
      if (schedule.neededBy(step).length > 0 && !stillNeeded(step)) services.get(step)?.stop();
      pump();
    };
    const start = (step: Step): void => {
      const watching = step.postOf === undefined && !servesPost(step) ? watch : postWatch;
      // A dry run's service only says what it would run, and ends: its dependents follow it as any task's.
      const spec = options.settings.dryRun ? undefined : step.task.service;
      const service =
        spec === undefined
          ? undefined
          : startService({
              step,
              spec,
              options: attemptOptions,
              watch: watching,
              ready: () => serviceReady(step),
              alone: steps.length === 1,
            });
      if (service === undefined) running.add(step);
      else services.set(step, service);
      let watched = service?.watch ?? watching;
      if (service === undefined && step.deps.some((dep) => services.has(dep))) {
        const own = new AbortController();
        serviceUsers.set(step, own);
        watched = callWatch(watching, own.signal);
      }
      void options.emit({ kind: "task-started", step });
      // A service is never up to date: its dependents need it running.
      runStep(step, service?.options ?? attemptOptions, watched, service === undefined ? options.upToDate : undefined)
        .then((run) => taskEnded(service === undefined ? run : service.ended(run, stillNeeded(step))))
        .catch(reject);
    };
    const pump = (): void => {
      if (stop.aborted) {
        const reason = options.interrupt.aborted ? "the run was interrupted" : "an earlier task failed";
        for (const step of schedule.notStarted(mayStillRun)) finish(skipped(step, reason));
      }
      for (let step = schedule.peek(); step !== undefined && mayStart(step); step = schedule.peek()) {
        schedule.next();
        start(step);
      }
      if (running.size === 0 && services.size === 0 && schedule.done()) resolve(schedule.runs().flatMap(withCalls));
    };
    pump();
  });
  try {
    return await runs;
  } finally {
    watch.dispose();
    postWatch.dispose();
  }
}

/** What every running attempt waits for besides its own code, one listener each for the whole run. */
function watchRun(stop: AbortSignal, onIdle: World["onIdle"]): RunWatch & { dispose(): void } {
  const listeners = new Set<(event: WatchEvent) => void>();
  const tell = (event: WatchEvent): void => {
    for (const notify of [...listeners]) notify(event);
  };
  const interrupted = (): void => tell("interrupted");
  stop.addEventListener("abort", interrupted, { once: true });
  // Why: a task awaiting a promise that nothing will ever settle leaves the event loop
  // empty, and Node would end the run right there (status 13, no summary). An empty loop
  // means such a task can never finish, so it fails and the run goes on.
  const removeIdle = onIdle(() => tell("stalled"));
  return {
    stopped: () => stop.aborted,
    add: (notify) => {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    dispose: () => {
      stop.removeEventListener("abort", interrupted);
      removeIdle();
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
