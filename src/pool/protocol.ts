// The messages between runner and its pool workers (worker-pool.ts, worker-main.ts). Each
// carries `runner: 1`, so that what a task's own code sends with process.send is told apart
// and ignored. Output does not travel here: it goes through the worker's stdout and stderr
// pipes (blocking in the worker, so nothing is lost at process.exit), and `done` names the
// mark the worker wrote into each after the task's output (output-marks.ts), so runner ends
// the task only once it has read up to it.
import type { Usage } from "../child/usage.ts";
import type { CommandRecord, ContextSettings } from "../context/context.ts";
import type { SerializedError } from "./errors.ts";
import type { Marks } from "./output-marks.ts";

/** What of the run's settings a worker's ctx gets (functions cannot cross processes). */
export type WorkerSettings = Pick<
  ContextSettings,
  | "cwd"
  | "invocationDir"
  | "env"
  | "shell"
  | "echo"
  | "dryRun"
  | "warnOnly"
  | "killGraceMs"
  | "captureLimit"
  | "inheritStdin"
  | "concurrent"
> & { readonly config: Readonly<Record<string, unknown>> };

/** Runs task `task` of tasks file `file` with these options and words. */
export interface RunRequest {
  readonly file: string;
  /** The bundle's content hash runner planned with: a worker that loads other code does not run it. */
  readonly codeHash: string;
  readonly task: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly args: readonly string[];
  readonly rest: readonly string[];
  readonly settings: WorkerSettings;
  /** Whether to measure the task and its commands (--stats, --report): `done` then carries `usage`. */
  readonly measure: boolean;
}

/** How a task ended, as it travels: what its code returned, or what it threw. */
export type SentOutcome =
  { readonly kind: "returned"; readonly value: unknown } | { readonly kind: "threw"; readonly error: SerializedError };

export type ToWorker =
  | ({
      readonly runner: 1;
      readonly kind: "run";
      readonly id: number;
      /** The start of the marks the worker writes into its pipes (output-marks.ts's markPrefix). */
      readonly marks: string;
    } & RunRequest)
  /** Stop the task's commands (ctx.signal aborts with `reason`). */
  | { readonly runner: 1; readonly kind: "cancel"; readonly id: number; readonly reason: string }
  /** The task that task `id`'s ctx.call number `call` ran has ended so. */
  | {
      readonly runner: 1;
      readonly kind: "call-ended";
      readonly id: number;
      readonly call: number;
      readonly outcome: SentOutcome;
    }
  /**
   * Stop your commands and exit: the worker is not used again. (Not a disconnect from runner's
   * side: Node then never emits the child's `close`, nodejs/node#19433, and the pool waits for it.)
   */
  | { readonly runner: 1; readonly kind: "end" };

export type FromWorker =
  | { readonly runner: 1; readonly kind: "command-started"; readonly id: number; readonly command: string }
  | { readonly runner: 1; readonly kind: "command-ended"; readonly id: number; readonly record: CommandRecord }
  /** A command's process group, its leader just spawned (runner may have to kill it). */
  | { readonly runner: 1; readonly kind: "group"; readonly id: number; readonly pgid: number }
  /** Task `id`'s code called ctx.call (its number `call` in this worker) of the task named `task`. */
  | {
      readonly runner: 1;
      readonly kind: "call";
      readonly id: number;
      readonly call: number;
      readonly task: string;
      readonly values: unknown;
      /** Written after what the task printed before the call: the called task starts once runner has read up to them (their order kept). */
      readonly marks: Marks;
    }
  | {
      readonly runner: 1;
      readonly kind: "done";
      readonly id: number;
      readonly outcome:
        | { readonly kind: "returned"; readonly value: unknown }
        | { readonly kind: "threw"; readonly error: SerializedError };
      /** Written after everything the task printed: runner ends it once it has read up to them. */
      readonly marks: Marks;
      /** What the task used: the worker's CPU and its reaped commands', and the larger of its own and its commands' peak. */
      readonly usage?: Usage;
      /** The worker's resident size after the task (process.memoryUsage.rss()): past a ceiling, it is replaced. */
      readonly rssBytes: number;
      /** The worker cannot be used again (its task ended its stdout or stderr). */
      readonly spent?: true;
      /** What its deferred functions threw (run in the worker, made the task's status by runner as in-process). */
      readonly cleanupErrors?: readonly SerializedError[];
    }
  /**
   * Task `id`'s code called process.exit: its commands were stopped and its deferred
   * functions ran; the worker now exits with the code asked for. A worker that exits during
   * a task without saying so lost its channel to runner.
   */
  | {
      readonly runner: 1;
      readonly kind: "exit";
      readonly id: number;
      /** The status it asked for, which the worker's own exit status may not hold (256 ends it with 0). */
      readonly code: number;
      readonly cleanupErrors?: readonly SerializedError[];
    }
  /** An error escaped the task's code; the worker exits after this. */
  | {
      readonly runner: 1;
      readonly kind: "crash";
      /** The task whose code it came from (an earlier one's, from a timer it left), else the one running. */
      readonly id: number | undefined;
      readonly task?: string;
      readonly error: SerializedError;
      readonly how: string;
      /** It came from an earlier task's code while another runs: the worker goes on with that one. */
      readonly goesOn?: true;
    };

export function isFromWorker(message: unknown): message is FromWorker {
  return typeof message === "object" && message !== null && (message as { runner?: unknown }).runner === 1;
}

export function isToWorker(message: unknown): message is ToWorker {
  return isFromWorker(message);
}
