// How a run shows itself: where each task's output goes, and the runner's own lines around
// it (headers, status lines, retries, the summary). One interface, one implementation per
// way of showing a run: serial here (output passes straight through); the parallel output
// modes of SPEC §5 live in display-parallel.ts.
import type { ChalkInstance } from "chalk";
import type { TaskRun, TaskStatus } from "./executor.ts";
import { emitGithubErrors } from "./github.ts";
import {
  failureMessage,
  headerLine,
  retryLines,
  serialOutput,
  statusLine,
  summaryDue,
  summaryLines,
  trackLineStart,
  type Io,
  type TaskOutput,
} from "./output.ts";
import { describeStep, type Step } from "./plan.ts";

export interface RunDisplay {
  /** The output of one task: its commands', its console's and ctx.log's. */
  taskOutput(step: Step): TaskOutput;
  started(step: Step): void;
  retried(step: Step, failed: TaskStatus, next: number, of: number): void;
  ended(run: TaskRun): void;
  /**
   * The run is over: the summary (when it is due) and anything still held back. A promise
   * settles once all of that is written (held output is written with backpressure).
   */
  finished(runs: readonly TaskRun[], totalMs: number, exitCode: number): Promise<void> | undefined;
}

export interface DisplaySettings {
  readonly io: Io;
  readonly style: ChalkInstance;
  /** -q: fewer of runner's own lines. */
  readonly quiet: boolean;
  /** How many tasks the plan holds: with one, there are no headers or status lines. */
  readonly taskCount: number;
  /** GITHUB_ACTIONS=true: an ::error line per failed task (and, in parallel runs, ::group:: blocks). */
  readonly github: boolean;
}

/** Serial runs: output passes straight through; headers and status lines when several run. */
export function serialDisplay(settings: DisplaySettings): RunDisplay {
  const { style, quiet, taskCount, github } = settings;
  const io = trackLineStart(settings.io);
  const many = taskCount > 1;
  const say = (line: string): void => io.stderr(`${line}\n`);
  return {
    taskOutput: () => serialOutput(io),
    started: (step) => {
      if (many && !quiet) say(headerLine(style, describeStep(step)));
    },
    retried: (step, failed, next, of) => {
      for (const line of retryLines(style, step, failed, next, of)) say(line);
    },
    ended: (run) => {
      if (run.status.kind === "skipped") return;
      const failure = failureMessage(style, run);
      if (failure !== undefined) say(failure);
      if (many && !quiet) say(statusLine(style, run));
    },
    finished: (runs, totalMs, exitCode) => {
      // -q drops the summary of a run that went well; a failed run still says what failed.
      if (summaryDue(runs, exitCode, quiet)) {
        say("");
        for (const line of summaryLines(style, runs, totalMs)) say(line);
      }
      if (github) emitGithubErrors(io, runs);
      return undefined;
    },
  };
}
