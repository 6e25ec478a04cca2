// The summary (whenever more than one task ran, or any failed, or --stats asks): a line per
// task, then the totals; a failed task whose output was not shown in full gets its last
// lines under it. With --stats each line also tells the task's CPU time and peak memory.
import { stripVTControlCharacters } from "node:util";
import type { ChalkInstance } from "chalk";
import { formatBytes } from "../common/bytes.ts";
import { formatDuration } from "../common/duration.ts";
import { succeeded, type TaskRun, type TaskStatusKind } from "../execution/outcomes.ts";
import { describeStep } from "../plan/describe.ts";
import { statusText, symbol } from "./style.ts";

/** How many of a failed task's last lines the summary shows when its output was not shown in full. */
export const SUMMARY_TAIL_LINES = 10;

export interface SummaryOptions {
  /**
   * Whether the display showed this task's output in full. A failed task whose output it
   * did not show in full (held back, cut short) gets its last lines under its summary
   * line. Default: yes, as in serial runs, where output passes straight through.
   */
  readonly shownInFull?: (run: TaskRun) => boolean;
  /** --stats: each line tells the task's CPU time and peak memory. */
  readonly stats?: boolean;
}

/** A summary whenever more than one task ran, or any failed, or --stats asks for one; -q keeps only the last two. */
export function summaryDue(runs: readonly TaskRun[], exitCode: number, quiet: boolean, stats = false): boolean {
  return exitCode !== 0 || stats || (runs.length > 1 && !quiet);
}

export function summaryLines(
  style: ChalkInstance,
  runs: readonly TaskRun[],
  totalMs: number,
  { shownInFull = () => true, stats = false }: SummaryOptions = {},
): string[] {
  const width = Math.max(...runs.map((run) => describeStep(run.step).length));
  const lines = runs.flatMap((run) => {
    const name = describeStep(run.step).padEnd(width);
    const status = statusText(run.status);
    const colored = succeeded(run.status)
      ? style.green(status)
      : run.status.kind === "skipped"
        ? style.dim(status)
        : run.status.kind === "cancelled"
          ? style.yellow(status)
          : style.red(status);
    const attempts = run.attempts.length > 1 ? style.dim(` (${run.attempts.length} attempts)`) : "";
    const ran = run.status.kind !== "skipped" && run.status.kind !== "up-to-date";
    const time = ran ? ` ${style.dim(formatDuration(run.durationMs))}` : "";
    const used = stats && run.usage !== undefined ? `  ${style.dim(usageText(run.usage))}` : "";
    const line = `  ${symbol(style, run.status)} ${name}  ${colored}${time}${attempts}${used}`;
    return shownInFull(run) ? [line] : [line, ...failureTail(style, run)];
  });
  // Totals in one fixed order, whatever order the tasks ended in.
  const kinds = ["passed", "up-to-date", "service-stopped", "failed", "timed-out", "cancelled", "skipped"] as const;
  const labels: Readonly<Record<TaskStatusKind, string>> = {
    passed: "passed",
    "up-to-date": "up to date",
    "service-stopped": "service stopped",
    failed: "failed",
    "timed-out": "timed out",
    cancelled: "cancelled",
    skipped: "skipped",
  };
  const parts = kinds.flatMap((kind) => {
    const count = runs.filter((run) => run.status.kind === kind).length;
    return count === 0 ? [] : [`${count} ${labels[kind]}`];
  });
  const noun = runs.length === 1 ? "task" : "tasks";
  lines.push(`${style.bold(`${runs.length} ${noun}:`)} ${parts.join(", ")} in ${formatDuration(totalMs)}`);
  return lines;
}

/** `cpu 1.2s  peak 210 MB`. */
function usageText(usage: NonNullable<TaskRun["usage"]>): string {
  return `cpu ${formatDuration(usage.userCpuMs + usage.systemCpuMs)}  peak ${formatBytes(usage.peakRssBytes)}`;
}

/**
 * The last lines a failed task printed, for a summary that follows output not shown in
 * full. None when its error message already holds them (a command whose output was
 * hidden: CommandError carries that output's tail), so no line is printed twice.
 */
function failureTail(style: ChalkInstance, run: TaskRun): string[] {
  if (run.status.kind !== "failed" && run.status.kind !== "timed-out") return [];
  const lines = screenLines(run.outputTail).slice(-SUMMARY_TAIL_LINES);
  if (lines.every((line) => line.trim() === "")) return [];
  const said = new Set(screenLines(run.status.message));
  if (lines.every((line) => said.has(line))) return [];
  return tailBlock(style, lines);
}

/**
 * Output as a terminal shows it, line by line: CRLF is one line end, and a line redrawn
 * with `\r` (a progress bar) shows only its last drawing. No trailing empty line.
 */
export function screenLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  return text === "" ? [] : lines.map((line) => line.slice(line.lastIndexOf("\r") + 1));
}

/**
 * Lines of task output set off under a summary line. Without colour, escape codes are
 * dropped; with colour, a line that sets one is reset, so it cannot tint what follows.
 */
export function tailBlock(style: ChalkInstance, lines: readonly string[]): string[] {
  return lines.map((line) => {
    const text =
      style.level === 0 ? stripVTControlCharacters(line) : line.includes("\u001b") ? `${line}\u001b[0m` : line;
    return `    ${style.dim("│")} ${text}`.trimEnd();
  });
}
