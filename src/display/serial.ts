// Serial runs: output passes straight through; with more than one task, each gets a header
// and a status line; the summary follows when it is due.
import type { ChalkInstance } from "chalk";
import type { Reporter, RunEvent } from "../execution/events.ts";
import { describeStep } from "../plan/describe.ts";
import { sayLines, type Streams } from "./streams.ts";
import { failureMessage, headerLine, retryLines, statusLine } from "./style.ts";
import { summaryDue, summaryLines } from "./summary.ts";
import { unreachable } from "../common/unreachable.ts";

export interface DisplaySettings {
  readonly streams: Streams;
  /** Colours of runner's own lines, on stderr. */
  readonly style: ChalkInstance;
  /** Colours of what runner adds to stdout (the prefixes of task output there). */
  readonly stdoutStyle: ChalkInstance;
  /** -q: fewer of runner's own lines. */
  readonly quiet: boolean;
  /** -v: a thrown error's whole stack under its task's failure line. */
  readonly verbose: boolean;
  /** How many tasks the plan holds: with one, there are no headers or status lines. */
  readonly taskCount: number;
  /** --stats: the summary, always, with each task's CPU time and peak memory. */
  readonly stats: boolean;
}

export function serialReporter(settings: DisplaySettings): Reporter {
  const { streams, style, quiet } = settings;
  // A task that ctx.call runs inside another makes this a run of several tasks too.
  let many = settings.taskCount > 1;
  let running = 0;
  const say = (...lines: readonly string[]): void => sayLines(streams, lines);
  return {
    handle(event: RunEvent) {
      switch (event.kind) {
        case "output": {
          const stream = streams[event.stream];
          stream.write(event.chunk);
          return stream.drained();
        }
        case "task-started":
          if (running++ > 0) many = true;
          if (many && !quiet) say(headerLine(style, describeStep(event.step)));
          return undefined;
        case "attempt-ended":
          if (event.retry !== undefined) say(...retryLines(style, event.step, event.status, event.retry));
          return undefined;
        case "task-ended": {
          const { run } = event;
          if (run.status.kind === "skipped") return undefined;
          running--;
          const failure = failureMessage(style, run, settings.verbose);
          if (failure !== undefined) say(failure);
          // A task that did not run says so even alone: its output is missing for a reason.
          if ((many || run.status.kind === "up-to-date") && !quiet) say(statusLine(style, run));
          return undefined;
        }
        case "run-ended": {
          const { record } = event;
          // -q drops the summary of a run that went well; a failed run still says what failed.
          if (summaryDue(record.runs, record.exitCode, quiet, settings.stats))
            say("", ...summaryLines(style, record.runs, record.durationMs, { stats: settings.stats }));
          return undefined;
        }
        case "run-started":
        case "command-started":
        case "command-ended":
          return undefined;
        default:
          return unreachable("event", event);
      }
    },
  };
}
