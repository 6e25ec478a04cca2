// GitHub Actions: with GITHUB_ACTIONS=true, each failed or timed-out task emits an
// `::error title=…::…` workflow command on stdout, which GitHub shows as an annotation on
// the run's page. Emitted once the run is over, after the summary, so that no task's output
// (or ::group:: block) is cut by one.
import { stripVTControlCharacters } from "node:util";
import type { TrackedStreams } from "../display/streams.ts";
import type { Reporter, RunEvent } from "../execution/events.ts";
import type { TaskRun } from "../execution/outcomes.ts";
import { describeStep } from "../plan/describe.ts";
import { escapeData, escapeProperty } from "../display/workflow-commands.ts";

export function onGithubActions(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.GITHUB_ACTIONS === "true";
}

export { escapeData, escapeProperty } from "../display/workflow-commands.ts";

/** One `::error` line per failed or timed-out task, in plan order; the message is the task's error. */
export function githubErrorLines(runs: readonly TaskRun[]): string[] {
  return runs.flatMap((run) => {
    const { status } = run;
    if (status.kind !== "failed" && status.kind !== "timed-out") return [];
    const title = `${describeStep(run.step)} ${status.kind === "failed" ? "failed" : "timed out"}`;
    const message = stripVTControlCharacters(status.message);
    return [`::error title=${escapeProperty(title)}::${escapeData(message)}`];
  });
}

/** The ::error lines at the run's end, on stdout, each at the start of a line. */
export function githubActionsReporter(streams: TrackedStreams): Reporter {
  return {
    handle(event: RunEvent) {
      if (event.kind !== "run-ended") return undefined;
      const lines = githubErrorLines(event.record.runs);
      if (lines.length > 0) streams.stdout.write(`${streams.stdoutAtLineStart() ? "" : "\n"}${lines.join("\n")}\n`);
      return undefined;
    },
  };
}
