// Parallel runs (SPEC §5): each task's output is shown by the `--output` mode — a view —
// and runner's own lines (retries, failures, status lines, the summary) go to stderr
// through that view, so that they never cut into a task's line or block.
//   prefixed     every line carries its task's name (display-prefixed.ts)
//   grouped      each task's output as one block when it ends (display-grouped.ts)
//   quiet        the blocks of failed tasks only, then the summary
//   interleaved  raw, as it comes
import type { OutputMode } from "./config.ts";
import type { DisplaySettings, RunDisplay } from "./display.ts";
import { groupedView } from "./display-grouped.ts";
import { prefixedView } from "./display-prefixed.ts";
import type { TaskRun } from "./executor.ts";
import { emitGithubErrors } from "./github.ts";
import {
  failureMessage,
  retryLines,
  serialOutput,
  statusLine,
  summaryDue,
  summaryLines,
  trackLineStart,
  type Io,
  type TaskOutput,
} from "./output.ts";
import type { Step } from "./plan.ts";

export interface ParallelDisplaySettings extends DisplaySettings {
  readonly mode: OutputMode;
  /** Every step of the plan, in plan order: prefix widths and colours are fixed up front. */
  readonly steps: readonly Step[];
  /** runner's stderr, when it is a terminal that can show the live status line. */
  readonly terminal: { readonly columns: () => number } | undefined;
}

/** How one output mode shows task output, and writes runner's lines in step with it. */
export interface ParallelView {
  taskOutput(step: Step): TaskOutput;
  started(step: Step): void;
  /** A task ended: what it printed is let out (before runner's lines about it). */
  ended(run: TaskRun): void;
  /** runner's own lines, to stderr. */
  say(lines: readonly string[]): void;
  /** The run is over: the rest, then `lines` (the summary); settles once all is written. */
  finished(lines: readonly string[]): Promise<void> | undefined;
}

/** The output mode when neither --output nor the `output` setting names one. */
export function defaultOutputMode(isTTY: boolean, env: NodeJS.ProcessEnv): OutputMode {
  return isTTY && !isCI(env) ? "prefixed" : "grouped";
}

/** CI is set (to anything but "" or "false"): logs are kept, so no live status line either. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== "" && env.CI !== "false";
}

export function parallelDisplay(settings: ParallelDisplaySettings): RunDisplay {
  const { style, quiet, mode, github } = settings;
  // Tracks whether stdout is mid-line, so that ::error lines start on a line of their own.
  const io = trackLineStart(settings.io);
  const view = viewFor({ ...settings, io });
  // Quiet mode: the summary and failed tasks' output; no line for each task that passed.
  const statusLines = !quiet && mode !== "quiet";
  return {
    taskOutput: (step) => view.taskOutput(step),
    started: (step) => view.started(step),
    retried: (step, failed, next, of) => {
      if (mode !== "quiet") view.say(retryLines(style, step, failed, next, of));
    },
    ended: (run) => {
      if (run.status.kind === "skipped") return;
      view.ended(run);
      const failure = failureMessage(style, run);
      view.say([...(failure === undefined ? [] : [failure]), ...(statusLines ? [statusLine(style, run)] : [])]);
    },
    finished: (runs, totalMs, exitCode) => {
      // -q drops the summary of a run that went well; a failed run still says what failed.
      const summary = summaryDue(runs, exitCode, quiet) ? ["", ...summaryLines(style, runs, totalMs)] : [];
      const written = view.finished(summary);
      // ::error lines after everything else, so that no block or line is cut by one.
      if (!github) return written;
      return Promise.resolve(written).then(() => emitGithubErrors(io, runs));
    },
  };
}

function viewFor(settings: ParallelDisplaySettings): ParallelView {
  const { io, style, mode } = settings;
  switch (mode) {
    case "prefixed":
      return prefixedView({ io, style, steps: settings.steps });
    case "grouped":
    case "quiet":
      return groupedView({
        io,
        style,
        onlyFailures: mode === "quiet",
        // Quiet shows failures only: those stay in view, not folded away in a group.
        github: settings.github && mode === "grouped",
        terminal: settings.terminal,
      });
    case "interleaved":
      return interleavedView(io);
    default: {
      const never: never = mode;
      throw new Error(`unknown output mode ${String(never)}`);
    }
  }
}

/** Raw, as it comes: each task's output goes straight through. */
function interleavedView(io: Io): ParallelView {
  const say = (lines: readonly string[]): void => {
    for (const line of lines) io.stderr(`${line}\n`);
  };
  return {
    taskOutput: () => serialOutput(io),
    started: () => {},
    ended: () => {},
    say,
    finished: (lines) => {
      say(lines);
      return undefined;
    },
  };
}
