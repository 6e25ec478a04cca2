// Parallel runs: each task's output is shown by the `--output` mode's view, and runner's
// own lines (retries, failures, status lines, the summary) go to stderr through that same
// view, so that they never cut into a task's line or block.
//   prefixed     every line carries its task's name (prefixed.ts)
//   grouped      each task's output as one block when it ends (grouped.ts)
//   quiet        the blocks of failed tasks only, then the summary (grouped.ts)
//   interleaved  raw, as it comes (interleaved.ts)
import type { Reporter, RunEvent } from "../execution/events.ts";
import type { TaskRun } from "../execution/outcomes.ts";
import type { Step } from "../plan/plan.ts";
import type { StreamName } from "../world/world.ts";
import type { DisplaySettings } from "./serial.ts";
import { failureMessage, retryLines, statusLine } from "./style.ts";
import { summaryDue, summaryLines } from "./summary.ts";
import { unreachable } from "../common/unreachable.ts";

/** How one output mode shows task output, and writes runner's lines in step with it. */
export interface ParallelView {
  output(step: Step, stream: StreamName, chunk: Buffer): Promise<void> | undefined;
  /** A task ended: what it printed is let out (before runner's lines about it). */
  ended(run: TaskRun): void;
  /** runner's own lines, to stderr. */
  say(lines: readonly string[]): void;
  /** The run is over: the rest, then `lines` (the summary); settles once all is written. */
  finished(lines: readonly string[]): Promise<void> | undefined;
}

/** A parallel run shown through `view`; quiet mode (`statusLines: false`) has no line per task. */
export function parallelReporter(
  settings: DisplaySettings,
  view: ParallelView,
  { quietMode }: { readonly quietMode: boolean },
): Reporter {
  const { style, quiet } = settings;
  // Quiet mode: the summary and failed tasks' output; no line for each task that passed.
  const statusLines = !quiet && !quietMode;
  return {
    handle(event: RunEvent) {
      switch (event.kind) {
        case "output":
          return view.output(event.step, event.stream, event.chunk);
        case "attempt-ended":
          if (event.retry !== undefined && !quietMode)
            view.say(retryLines(style, event.step, event.status, event.retry));
          return undefined;
        case "task-ended": {
          const { run } = event;
          if (run.status.kind === "skipped") return undefined;
          view.ended(run);
          const failure = failureMessage(style, run, settings.verbose);
          view.say([...(failure === undefined ? [] : [failure]), ...(statusLines ? [statusLine(style, run)] : [])]);
          return undefined;
        }
        case "run-ended": {
          const { runs, durationMs, exitCode } = event.record;
          // -q drops the summary of a run that went well; a failed run still says what failed.
          const { stats } = settings;
          const due = summaryDue(runs, exitCode, quiet, stats);
          return view.finished(due ? ["", ...summaryLines(style, runs, durationMs, { stats })] : []);
        }
        case "run-started":
        case "task-started":
        case "command-started":
        case "command-ended":
          return undefined;
        default:
          return unreachable("event", event);
      }
    },
  };
}
