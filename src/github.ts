// GitHub Actions (SPEC §5): with GITHUB_ACTIONS=true, each failed or timed-out task emits
// an `::error title=…::…` workflow command on stdout, which GitHub shows as an annotation
// on the run's page. Emitted once the run is over, after the summary, so that no task's
// output (or ::group:: block) is cut by one.
import { stripVTControlCharacters } from "node:util";
import type { TaskRun } from "./executor.ts";
import type { TrackedIo } from "./output.ts";
import { describeStep } from "./plan.ts";

export function onGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** A command's message, escaped as @actions/core does: `%`, CR and LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A property value (`title=`), escaped as @actions/core does: also `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

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

/** Writes the ::error lines to stdout, each at the start of a line. */
export function emitGithubErrors(io: TrackedIo, runs: readonly TaskRun[]): void {
  const lines = githubErrorLines(runs);
  if (lines.length === 0) return;
  io.stdout(`${io.stdoutAtLineStart() ? "" : "\n"}${lines.join("\n")}\n`);
}
