// The runner's own output: colour choice, where a task's output goes, and the header,
// status and summary lines (SPEC §5). Task output goes to stdout/stderr as the task
// wrote it; the runner's own lines go to stderr, so `runner x > file` keeps only output.
import { stripVTControlCharacters } from "node:util";
import { Chalk, type ChalkInstance } from "chalk";
import { formatDuration } from "./duration.ts";
import type { TaskRun, TaskStatus } from "./executor.ts";
import { describeStep, type Step } from "./plan.ts";
import { Tail } from "./tail.ts";

export interface Io {
  readonly stdout: (text: string | Uint8Array) => void;
  readonly stderr: (text: string | Uint8Array) => void;
  /** A promise while that stream is too full to take more (a pipe to a slow reader). */
  readonly drained?: (stream: "stdout" | "stderr") => Promise<void> | undefined;
}

/** An Io that knows whether its stdout stands at the start of a line. */
export interface TrackedIo extends Io {
  readonly stdoutAtLineStart: () => boolean;
}

/**
 * Remembers whether what went to stdout last ended its line, so that a line of runner's
 * own that must start one (a GitHub `::error` command) can end a task's unfinished line first.
 */
export function trackLineStart(io: Io): TrackedIo {
  let atLineStart = true;
  return {
    ...io,
    stdout: (text) => {
      if (text.length > 0) atLineStart = text[text.length - 1] === (typeof text === "string" ? "\n" : 0x0a);
      io.stdout(text);
    },
    stdoutAtLineStart: () => atLineStart,
  };
}

/** Where one task's output goes. */
export interface TaskOutput {
  /** A returned promise asks the producer to wait for it before writing more. */
  stdout(chunk: string | Uint8Array): Promise<void> | undefined;
  stderr(chunk: string | Uint8Array): Promise<void> | undefined;
  /** A line of the runner's attributed to the task: `ctx.log`, echoed commands. */
  log(line: string): void;
  /** The last of what the task printed (all streams, as they came), for summaries and reports. */
  tail(): string;
}

/** How much of each task's output is kept for summaries and reports. */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

export interface ColorInputs {
  readonly flag: boolean | undefined;
  readonly config: boolean | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly isTTY: boolean;
}

/** --color/--no-color > config > NO_COLOR > FORCE_COLOR > is stdout a terminal. */
export function colorEnabled({ flag, config, env, isTTY }: ColorInputs): boolean {
  if (flag !== undefined) return flag;
  if (config !== undefined) return config;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return !["0", "false"].includes(env.FORCE_COLOR);
  return isTTY && env.TERM !== "dumb";
}

export function makeStyle(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

/** A chunk as bytes: text as UTF-8; a Buffer as it is (no copy). */
export function toBytes(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
}

export function serialOutput(io: Io): TaskOutput {
  const kept = new Tail(OUTPUT_TAIL_BYTES);
  const keep = (chunk: string | Uint8Array): void => kept.push(toBytes(chunk));
  return {
    stdout: (chunk) => {
      keep(chunk);
      io.stdout(chunk);
      return io.drained?.("stdout");
    },
    stderr: (chunk) => {
      keep(chunk);
      io.stderr(chunk);
      return io.drained?.("stderr");
    },
    log: (line) => {
      keep(`${line}\n`);
      io.stdout(`${line}\n`);
    },
    tail: () => kept.text(),
  };
}

/**
 * A reader that went away (`runner test | head`) is not the run's failure: the rest of that
 * stream's output is dropped and the tasks run to their end, with their own exit status.
 */
export function dropOutputWhenReaderCloses(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

/**
 * For `Io.drained`: a promise while `stream` holds more than it wants buffered. It also
 * settles when the stream ends or fails (a reader that went away), so nothing waits forever.
 */
export function whenDrained(stream: NodeJS.WriteStream): Promise<void> | undefined {
  if (!stream.writableNeedDrain || stream.destroyed) return undefined;
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}

export function statusText(status: TaskStatus): string {
  switch (status.kind) {
    case "passed":
      return "passed";
    case "failed":
      return status.commandFailed ? `failed (exit ${status.exitCode})` : "failed";
    case "timed-out":
      return "timed out";
    case "cancelled":
      return "cancelled";
    case "skipped":
      return "skipped";
    default: {
      const never: never = status;
      return String(never);
    }
  }
}

function symbol(style: ChalkInstance, status: TaskStatus): string {
  switch (status.kind) {
    case "passed":
      return style.green("✔");
    case "failed":
    case "timed-out":
      return style.red("✖");
    case "cancelled":
      return style.yellow("⊘");
    case "skipped":
      return style.dim("○");
    default: {
      const never: never = status;
      return String(never);
    }
  }
}

export function headerLine(style: ChalkInstance, text: string): string {
  return `${style.bold.cyan("▶")} ${style.bold(text)}`;
}

export function statusLine(style: ChalkInstance, run: TaskRun): string {
  const name = describeStep(run.step);
  const time = style.dim(formatDuration(run.durationMs));
  if (run.status.kind === "passed") return `${symbol(style, run.status)} ${name} ${time}`;
  return `${symbol(style, run.status)} ${name} ${style.red(statusText(run.status))} ${time}`;
}

/** The message of a failure, one block: what went wrong, as the task's error said it. */
export function failureMessage(style: ChalkInstance, run: TaskRun): string | undefined {
  return failureText(style, run.step, run.status);
}

function failureText(style: ChalkInstance, step: Step, status: TaskStatus): string | undefined {
  if (status.kind !== "failed" && status.kind !== "timed-out") return undefined;
  return `${style.red("✖")} ${style.bold(step.task.name)}: ${status.message}`;
}

/** A failed attempt that will be tried again: why it failed, and which attempt comes next. */
export function retryLines(style: ChalkInstance, step: Step, failed: TaskStatus, next: number, of: number): string[] {
  const why = failureText(style, step, failed);
  const again = `${style.yellow("↻")} ${describeStep(step)}: attempt ${next} of ${of}`;
  return why === undefined ? [again] : [why, again];
}

/** How many of a failed task's last lines the summary shows when its output was not shown in full. */
export const SUMMARY_TAIL_LINES = 10;

export interface SummaryOptions {
  /**
   * Whether the display showed this task's output in full. A failed task whose output it
   * did not show in full (held back, cut short) gets its last lines under its summary
   * line. Default: yes, as in serial runs, where output passes straight through.
   */
  readonly shownInFull?: (run: TaskRun) => boolean;
}

/** SPEC §5: a summary whenever more than one task ran, or any failed; -q keeps only the latter. */
export function summaryDue(runs: readonly TaskRun[], exitCode: number, quiet: boolean): boolean {
  return exitCode !== 0 || (runs.length > 1 && !quiet);
}

export function summaryLines(
  style: ChalkInstance,
  runs: readonly TaskRun[],
  totalMs: number,
  { shownInFull = () => true }: SummaryOptions = {},
): string[] {
  const width = Math.max(...runs.map((run) => describeStep(run.step).length));
  const lines = runs.flatMap((run) => {
    const name = describeStep(run.step).padEnd(width);
    const status = statusText(run.status);
    const colored =
      run.status.kind === "passed"
        ? style.green(status)
        : run.status.kind === "skipped"
          ? style.dim(status)
          : run.status.kind === "cancelled"
            ? style.yellow(status)
            : style.red(status);
    const attempts = run.attempts.length > 1 ? style.dim(` (${run.attempts.length} attempts)`) : "";
    const time = run.status.kind === "skipped" ? "" : ` ${style.dim(formatDuration(run.durationMs))}`;
    const line = `  ${symbol(style, run.status)} ${name}  ${colored}${time}${attempts}`;
    return shownInFull(run) ? [line] : [line, ...failureTail(style, run)];
  });
  // Totals in one fixed order, whatever order the tasks ended in.
  const kinds = ["passed", "failed", "timed-out", "cancelled", "skipped"] as const;
  const labels: Readonly<Record<TaskStatus["kind"], string>> = {
    passed: "passed",
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
