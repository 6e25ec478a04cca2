// The run's record for machines: `--report run.json` is built here, `--junit results.xml`
// in junit.ts; write-files.ts writes them once the run is over.
//
// The report, field by field:
//   version     1: the format of this file; it changes only when a field changes meaning.
//   runner      runner's own version.
//   startedAt   when the run started, ISO 8601 in UTC.
//   durationMs  the whole run, whole milliseconds (the summary's total).
//   exitCode    runner's exit status for the run.
//   tasks       one entry per planned task, in plan order (what the summary lists):
//     name        the task's name (`docs.build`); `options` tells apart a task run twice.
//     options     every declared option's value, defaults included ({} for a plain function);
//                 a secret option's as "***".
//     status      "passed" | "failed" | "timed-out" | "cancelled" | "skipped" | "up-to-date"
//                 (its fingerprint matched: it did not run) | "service-stopped" (a service,
//                 ready, stopped once nothing needed it: a success).
//     exitCode    0 passed; the failing command's code (128+N when signal N killed it) or
//                 1 for a thrown error; 124 timed out; null when cancelled or skipped.
//     signal      the signal that killed the command whose failure failed the task
//                 ("SIGKILL"); null otherwise, also for a time-out or a cancel, where
//                 runner sent the signal itself.
//     message     the error of a failed or timed-out task, the reason a task was skipped;
//                 else null.
//     startedAt   ISO 8601, null when the task never started.
//     durationMs  all its attempts together; 0 when skipped.
//     attempts    every attempt in order: { status, exitCode, message, durationMs }; one
//                 for a task tried once, none for a skipped one.
//     commands    every command it ran, all attempts: { command, exitCode, signal, durationMs },
//                 and `stats` (as below, for that command alone) where it was measured.
//     outputTail  the last 100 lines the task printed (all its streams, as printed).
//     result      only for an isolated task that passed and returned a value: that value
//                 as JSON (a BigInt as a string of its digits, a Map as an object, a Set as
//                 an array).
//     worker      in a distributed run (--redis), the worker that ran its last attempt.
//     stats       what the task used, all attempts together, in whole milliseconds and bytes:
//                 { cpuMs, userCpuMs, systemCpuMs, peakRssBytes }, cpuMs = userCpuMs +
//                 systemCpuMs. CPU: its commands' whole trees, and an isolated task's own
//                 worker; peak: its worker's high-water mark (isolated), or its largest
//                 command's sampled peak. Only for a task that started, on Linux; absent too
//                 when an isolated attempt's worker ended before it could send its figures
//                 (process.exit, a crash, a kill). The README's "Resource figures" says how exact.
import { taskExitStatus } from "../execution/exit-status.ts";
import type { RunRecord, TaskRun, TaskStatus } from "../execution/outcomes.ts";
import { unreachable } from "../common/unreachable.ts";
import { shownOptions } from "../plan/describe.ts";

export const REPORT_VERSION = 1;

/** How many of each task's last output lines the report and the JUnit file keep. */
export const REPORT_TAIL_LINES = 100;

export type ReportStatus = TaskStatus["kind"];

export interface ReportAttempt {
  readonly status: ReportStatus;
  readonly exitCode: number | null;
  readonly message: string | null;
  readonly durationMs: number;
}

export interface ReportStats {
  readonly cpuMs: number;
  readonly userCpuMs: number;
  readonly systemCpuMs: number;
  readonly peakRssBytes: number;
}

export interface ReportCommand {
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly stats?: ReportStats;
}

export interface ReportTask {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly status: ReportStatus;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly message: string | null;
  readonly startedAt: string | null;
  readonly durationMs: number;
  readonly attempts: readonly ReportAttempt[];
  readonly commands: readonly ReportCommand[];
  readonly outputTail: string;
  readonly result?: unknown;
  readonly stats?: ReportStats;
  readonly worker?: string;
}

export interface Report {
  readonly version: number;
  readonly runner: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly exitCode: number;
  readonly tasks: readonly ReportTask[];
}

/** A task's (or an attempt's) exit status as the report gives it: null when it did not end by itself. */
export function statusExitCode(status: TaskStatus): number | null {
  return status.kind === "cancelled" || status.kind === "skipped" ? null : taskExitStatus(status);
}

export function statusMessage(status: TaskStatus): string | null {
  switch (status.kind) {
    case "failed":
    case "timed-out":
      return status.message;
    case "skipped":
      return status.reason;
    case "passed":
    case "cancelled":
    case "up-to-date":
    case "service-stopped":
      return null;
    default:
      return unreachable("status", status);
  }
}

/** The signal of the command whose failure failed the task: the last failed command's. */
function taskSignal(run: TaskRun): string | null {
  if (run.status.kind !== "failed" || !run.status.commandFailed) return null;
  const failed = run.commands.filter((command) => command.exitCode !== 0);
  return failed[failed.length - 1]?.signal ?? null;
}

/** The last `count` lines of `text`, exactly as printed (a final newline stays). */
export function lastLinesOf(text: string, count: number): string {
  let cut = text.endsWith("\n") ? text.length - 1 : text.length;
  for (let seen = 0; seen < count; seen++) {
    cut = text.lastIndexOf("\n", cut - 1);
    if (cut === -1) return text;
  }
  return text.slice(cut + 1);
}

/** Figures in whole units; cpuMs is the sum of the two as rounded, so that it always adds up. */
function reportStats(usage: TaskRun["usage"]): { stats?: ReportStats } {
  if (usage === undefined) return {};
  const userCpuMs = Math.round(usage.userCpuMs);
  const systemCpuMs = Math.round(usage.systemCpuMs);
  return {
    stats: { cpuMs: userCpuMs + systemCpuMs, userCpuMs, systemCpuMs, peakRssBytes: Math.round(usage.peakRssBytes) },
  };
}

const iso = (epochMs: number | undefined): string | null =>
  epochMs === undefined ? null : new Date(epochMs).toISOString();

export function buildReport(record: RunRecord): Report {
  return {
    version: REPORT_VERSION,
    runner: record.runner,
    startedAt: new Date(record.startedAt).toISOString(),
    durationMs: Math.round(record.durationMs),
    exitCode: record.exitCode,
    tasks: record.runs.map((run) => ({
      name: run.step.task.name,
      options: shownOptions(run.step),
      status: run.status.kind,
      exitCode: statusExitCode(run.status),
      signal: taskSignal(run),
      message: statusMessage(run.status),
      startedAt: iso(run.startedAt),
      durationMs: Math.round(run.durationMs),
      attempts: run.attempts.map((attempt) => ({
        status: attempt.status.kind,
        exitCode: statusExitCode(attempt.status),
        message: statusMessage(attempt.status),
        durationMs: Math.round(attempt.durationMs),
      })),
      commands: run.commands.map((command) => ({
        command: command.command,
        exitCode: command.exitCode,
        signal: command.signal,
        durationMs: Math.round(command.durationMs),
        ...reportStats(command.usage),
      })),
      outputTail: lastLinesOf(run.outputTail, REPORT_TAIL_LINES),
      ...(run.result === undefined ? {} : { result: JSON.parse(run.result) as unknown }),
      ...reportStats(run.startedAt === undefined ? undefined : run.usage),
      ...(run.worker === undefined ? {} : { worker: run.worker }),
    })),
  };
}
