// One service's run (SPEC §11): its readiness watched from the moment it starts, its own stop
// for when nothing needs it any more or it was not ready in time, and what its end means —
// stopped once it was no longer needed is a success (`service stopped`); ending on its own
// while something still needs it, or never getting ready, fails the run. The executor
// decides when it is no longer needed; this module knows the one service.
import { formatLimit } from "../common/duration.ts";
import { longTimer } from "../common/long-timer.ts";
import type { ServiceSpec } from "../loader/dev-options.ts";
import type { Step } from "../plan/plan.ts";
import { probeReadiness } from "../service/readiness.ts";
import { callWatch, type AttemptOptions, type RunWatch } from "./attempt.ts";
import { succeeded, type TaskRun, type TaskStatus } from "./outcomes.ts";

export interface ServiceStart {
  readonly step: Step;
  readonly spec: ServiceSpec;
  /** The run's, for every task. */
  readonly options: AttemptOptions;
  readonly watch: RunWatch;
  /** It is ready: its dependents may start. */
  readonly ready: () => void;
}

export interface ServiceRun {
  /** What its attempt runs with: see serviceOptions. */
  readonly options: AttemptOptions;
  /** The run's watch, and its own stop. */
  readonly watch: RunWatch;
  /** Nothing in the run needs it any more: it is stopped as a cancelled task is. */
  stop(): void;
  /** What it needs failed (-k): it is cancelled. */
  cancel(): void;
  /** Its end as the run sees it; `needed`: a task that needs it has not ended. */
  ended(run: TaskRun, needed: boolean): TaskRun;
}

export function startService({ step, spec, options, watch, ready }: ServiceStart): ServiceRun {
  const own = new AbortController();
  let isReady = false;
  let stoppedFor: "unneeded" | "not ready" | "cancelled" | undefined;
  // Its own stops only: once the run stops, the service is cancelled with everything else.
  const stopFor = (why: NonNullable<typeof stoppedFor>): void => {
    if (stoppedFor !== undefined || watch.stopped()) return;
    stoppedFor = why;
    dispose();
    own.abort();
  };
  const probe = probeReadiness(spec.ready, () => {
    isReady = true;
    timer.cancel();
    ready();
  });
  const timer = longTimer(() => stopFor("not ready"), spec.readyTimeoutMs);
  const dispose = (): void => {
    probe.stop();
    timer.cancel();
  };
  const notReady = (): TaskStatus => ({
    kind: "failed",
    exitCode: 1,
    message: `not ready within ${formatLimit(spec.readyTimeoutMs)} (${probe.notReady()})`,
    commandFailed: false,
  });
  return {
    options: serviceOptions(step, options, (stream, chunk) => probe.output(stream, chunk)),
    watch: callWatch(watch, own.signal),
    stop: () => stopFor("unneeded"),
    cancel: () => stopFor("cancelled"),
    ended: (run, needed) => {
      dispose();
      const { status } = run;
      const stopped = status.kind === "cancelled" || succeeded(status);
      if (stoppedFor === "unneeded" && stopped) {
        return { ...run, status: isReady ? { kind: "service-stopped" } : { kind: "cancelled" } };
      }
      if (stoppedFor === "not ready" && stopped) return { ...run, status: notReady() };
      if (status.kind === "cancelled" || status.kind === "timed-out" || !needed) return run;
      // It ended on its own while a task still waits for it or runs with it.
      const code = status.kind === "failed" ? status.exitCode : 0;
      const before = isReady ? "the tasks that need it were done" : "it was ready";
      const message = `service exited (status ${code}) before ${before}`;
      // Where its code threw, when it did, as for any failure.
      const thrown = status.kind === "failed" ? status : {};
      return { ...run, status: { ...thrown, kind: "failed", exitCode: code || 1, message, commandFailed: false } };
    },
  };
}

/**
 * A service's attempt: its output also goes to its readiness probe; it is never retried (a
 * server started again behind its dependents' backs would surprise more than help); the
 * run's time limit (--timeout, config) is for tasks that end, so only its own `timeout`
 * applies; and it runs in runner's process even with --isolate or --redis, since its
 * dependents expect it here and its stop is runner's.
 */
function serviceOptions(
  step: Step,
  options: AttemptOptions,
  output: (stream: "stdout" | "stderr", chunk: Buffer) => void,
): AttemptOptions {
  const { isolation: _isolation, remote: _remote, ...local } = options;
  return {
    ...local,
    retries: 0,
    timeoutMs: undefined,
    defaultTimeoutMs: undefined,
    emit: (event) => {
      const told = options.emit(event);
      if (event.kind === "output" && event.step === step) output(event.stream, event.chunk);
      return told;
    },
  };
}
