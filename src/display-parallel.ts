// Parallel runs (SPEC §5): each task's output is shown by the `--output` mode, the runner
// reports each task as it ends, and the summary follows.
import type { OutputMode } from "./config.ts";
import type { DisplaySettings, RunDisplay } from "./display.ts";
import { emitGithubErrors } from "./github.ts";
import {
  failureMessage,
  retryLines,
  serialOutput,
  statusLine,
  summaryDue,
  summaryLines,
  trackLineStart,
} from "./output.ts";

export interface ParallelDisplaySettings extends DisplaySettings {
  readonly mode: OutputMode;
  /** Whether runner's stdout is a terminal (the live status line needs one). */
  readonly isTTY: boolean;
  /** GITHUB_ACTIONS=true: ::group:: blocks and ::error lines. */
  readonly github: boolean;
}

/** The output mode when neither --output nor the `output` setting names one. */
export function defaultOutputMode(isTTY: boolean, env: NodeJS.ProcessEnv): OutputMode {
  const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false";
  return isTTY && !ci ? "prefixed" : "grouped";
}

export function parallelDisplay(settings: ParallelDisplaySettings): RunDisplay {
  const { style, quiet, github } = settings;
  const io = trackLineStart(settings.io);
  const say = (line: string): void => io.stderr(`${line}\n`);
  return {
    taskOutput: () => serialOutput(io),
    started: () => {},
    retried: (step, failed, next, of) => {
      for (const line of retryLines(style, step, failed, next, of)) say(line);
    },
    ended: (run) => {
      if (run.status.kind === "skipped") return;
      const failure = failureMessage(style, run);
      if (failure !== undefined) say(failure);
      if (!quiet) say(statusLine(style, run));
    },
    finished: (runs, totalMs, exitCode) => {
      if (summaryDue(runs, exitCode, quiet)) {
        say("");
        for (const line of summaryLines(style, runs, totalMs)) say(line);
      }
      if (github) emitGithubErrors(io, runs);
    },
  };
}
