// The exit status of `runner`, decided here and nowhere else. As the README's table says:
//   0        every task passed, or nothing had to run (--list, --help, --plan, ...)
//   1-255    the first failed task's failing command's own code
//   128+N    that command was killed by signal N
//   1        a task threw an error, or the tasks file threw while loading
//   124      a task or its command timed out
//   128+N    runner was stopped by signal N: 130 after SIGINT, 143 after SIGTERM
//   2        bad input (nothing run), or a report file or runner's output that could not
//            be written after a run that passed
//   70       an internal error: a bug in runner
import { constants } from "node:os";
import { LoadError, UserError } from "../common/user-error.ts";
import { unreachable } from "../common/unreachable.ts";
import type { Result } from "../api/context.ts";
import type { TaskRun, TaskStatus } from "./outcomes.ts";

export const PASSED = 0;
export const THREW = 1;
export const BAD_INPUT = 2;
export const INTERNAL_ERROR = 70;
export const TIMED_OUT = 124;

/** 128 + the signal's number, as shells report a process a signal ended (the platform's numbers). */
export function signalExitStatus(signal: string): number {
  const signals: Readonly<Record<string, number>> = constants.signals;
  return 128 + (signals[signal] ?? constants.signals.SIGTERM);
}

/** What a task's end gives runner: its status when it is the first failure. */
export function taskExitStatus(status: TaskStatus): number {
  switch (status.kind) {
    case "passed":
    case "skipped":
    case "up-to-date":
    case "service-stopped":
      return PASSED;
    case "failed":
      return status.exitCode;
    case "timed-out":
      return TIMED_OUT;
    case "cancelled":
      return signalExitStatus("SIGINT");
    default:
      return unreachable("status", status);
  }
}

/** The status a failed command gives its task: its own code, 128 + its signal, 124 timed out. */
export function commandExitStatus(result: Result): number {
  if (result.timedOut) return TIMED_OUT;
  if (result.exitCode !== null) return result.exitCode;
  return signalExitStatus(result.signal ?? "SIGTERM");
}

/**
 * The run's exit status: after a signal, 128 + its number; else that of the task that failed
 * first (by the time it ended), else 0. Cancelled and skipped tasks are what a failure
 * caused, not failures of their own.
 */
export function runExitStatus(runs: readonly TaskRun[], stoppedBy: string | undefined): number {
  if (stoppedBy !== undefined) return signalExitStatus(stoppedBy);
  const endOf = (run: TaskRun): number => (run.startedAt ?? Infinity) + run.durationMs;
  const failures = runs.filter((run) => run.status.kind === "failed" || run.status.kind === "timed-out");
  const first = failures.sort((a, b) => endOf(a) - endOf(b))[0];
  if (first !== undefined) return taskExitStatus(first.status);
  return runs.some((run) => run.status.kind === "cancelled") ? signalExitStatus("SIGINT") : PASSED;
}

/** A run that passed but whose report files are missing must not look like a success to CI. */
export function afterReportFiles(status: number, problems: number): number {
  return problems > 0 && status === PASSED ? BAD_INPUT : status;
}

/** Nor one where an error escaped task code after its task was over (a timer it left threw). */
export function afterEscapedErrors(status: number, escaped: number): number {
  return escaped > 0 && status === PASSED ? THREW : status;
}

/** Nor one whose output could not be written (a full disk): what it printed is gone. */
export function afterLostOutput(status: number, lost: boolean): number {
  return lost && status === PASSED ? BAD_INPUT : status;
}

/** What an error that ended runner gives: a tasks file that threw 1, other user errors 2, bugs 70. */
export function errorExitStatus(error: unknown): number {
  if (error instanceof LoadError) return error.kind === "threw" ? THREW : BAD_INPUT;
  if (error instanceof UserError) return BAD_INPUT;
  return INTERNAL_ERROR;
}
