// How tasks and runs end: typed values, never exceptions. Every display and report reads
// these; they are the one part of execution/ that display/ and report/ may import.
import type { Usage } from "../child/usage.ts";
import type { CommandRecord } from "../context/context.ts";
import type { Step } from "../plan/plan.ts";

export type TaskStatus =
  | { readonly kind: "passed" }
  | {
      readonly kind: "failed";
      readonly exitCode: number;
      readonly message: string;
      readonly commandFailed: boolean;
      /** Where a thrown error (not a failed command) was thrown: `tasks.ts:12:7`, as paths are shown. */
      readonly where?: string;
      /** Its stack, mapped to the sources (shown with -v). */
      readonly stack?: string;
    }
  | { readonly kind: "timed-out"; readonly afterMs: number; readonly message: string }
  | { readonly kind: "cancelled" }
  | { readonly kind: "skipped"; readonly reason: string }
  /** Its `sources` and the rest of its fingerprint are as after its last successful run (SPEC §10): it did not run. */
  | { readonly kind: "up-to-date" }
  /** A service that was ready and was stopped once nothing needed it any more (SPEC §11): a success. */
  | { readonly kind: "service-stopped" };

export type TaskStatusKind = TaskStatus["kind"];

/** Whether a task's end is a success: its dependents may run, and the run can pass. */
export function succeeded(status: TaskStatus): boolean {
  return status.kind === "passed" || status.kind === "up-to-date" || status.kind === "service-stopped";
}

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
  /** The last of what the task printed (all streams, as they came), for summaries and reports. */
  readonly outputTail: string;
  /** What an isolated task's code returned, as JSON text (`--report`'s `result`); undefined when nothing. */
  readonly result?: string;
  /**
   * What it used, all attempts together (SPEC §7 "Resource figures"): measured when the run
   * asks (--stats, --report) on a system that tells (Linux); undefined otherwise, when it never
   * started, or when an isolated attempt's worker ended before it could send its figures.
   */
  readonly usage?: Usage;
  /** The worker that ran its last attempt, in a distributed run (SPEC §8). */
  readonly worker?: string;
}

/** A finished run, as the summary, the report and the JUnit file describe it. */
export interface RunRecord {
  /** runner's version. */
  readonly runner: string;
  /** Wall-clock start of the run (epoch ms). */
  readonly startedAt: number;
  readonly durationMs: number;
  /** runner's exit status for the run. */
  readonly exitCode: number;
  /** Every planned task, in plan order. */
  readonly runs: readonly TaskRun[];
  /** The tasks file, relative to its project directory (JUnit's classname). */
  readonly tasksFile: string;
}
