// runner's own lines: colour choice, and the header, status, failure and retry lines.
// Task output goes to stdout/stderr as the task wrote it; runner's own lines go to stderr,
// so `runner x > file` keeps only output.
import { Chalk, type ChalkInstance } from "chalk";
import { formatDuration } from "../common/duration.ts";
import { succeeded, type TaskRun, type TaskStatus } from "../execution/outcomes.ts";
import { describeStep } from "../plan/describe.ts";
import type { Step } from "../plan/plan.ts";

export interface ColorInputs {
  readonly flag: boolean | undefined;
  readonly config: boolean | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether the stream coloured text goes to is a terminal. */
  readonly isTTY: boolean;
}

/**
 * --color/--no-color > config > NO_COLOR > FORCE_COLOR > is the stream a terminal. Decided
 * for each of runner's streams: its own lines go to stderr, which may be a terminal while
 * stdout is a file (`runner build > log`), or the other way round.
 */
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

export function statusText(status: TaskStatus): string {
  switch (status.kind) {
    case "passed":
      return "passed";
    case "failed":
      // A thrown error is status 1; any other status is worth saying (process.exit(3), an exitCode).
      return status.commandFailed || status.exitCode !== 1 ? `failed (exit ${status.exitCode})` : "failed";
    case "timed-out":
      return "timed out";
    case "cancelled":
      return "cancelled";
    case "skipped":
      return "skipped";
    case "up-to-date":
      return "up to date";
    case "service-stopped":
      return "service stopped";
    default: {
      const never: never = status;
      return String(never);
    }
  }
}

export function symbol(style: ChalkInstance, status: TaskStatus): string {
  switch (status.kind) {
    case "passed":
    case "up-to-date":
    case "service-stopped":
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
  // It did not run: the time its check took is not the task's.
  if (run.status.kind === "up-to-date")
    return `${symbol(style, run.status)} ${name} ${style.green(statusText(run.status))}`;
  if (succeeded(run.status))
    return `${symbol(style, run.status)} ${name} ${style.green(statusText(run.status))} ${time}`;
  return `${symbol(style, run.status)} ${name} ${style.red(statusText(run.status))} ${time}`;
}

/**
 * The message of a failure, one block: what went wrong, as the task's error said it, and
 * where a thrown error was thrown (`(tasks.ts:12:7)`); with -v (`stacks`), its whole stack.
 */
export function failureMessage(style: ChalkInstance, run: TaskRun, stacks = false): string | undefined {
  return failureText(style, run.step, run.status, stacks);
}

function failureText(style: ChalkInstance, step: Step, status: TaskStatus, stacks = false): string | undefined {
  if (status.kind !== "failed" && status.kind !== "timed-out") return undefined;
  const line = `${style.red("✖")} ${style.bold(step.task.name)}: ${status.message}`;
  if (status.kind !== "failed") return line;
  const where = status.where === undefined ? "" : ` ${style.dim(`(${status.where})`)}`;
  const frames = stacks ? (status.stack ?? "").split("\n").filter((text) => /^\s+at /.test(text)) : [];
  return [`${line}${where}`, ...frames.map((frame) => style.dim(frame))].join("\n");
}

/** A failed attempt that will be tried again: why it failed, and which attempt comes next. */
export function retryLines(
  style: ChalkInstance,
  step: Step,
  failed: TaskStatus,
  { next, of }: { readonly next: number; readonly of: number },
): string[] {
  const why = failureText(style, step, failed);
  const again = `${style.yellow("↻")} ${describeStep(step)}: attempt ${next} of ${of}`;
  return why === undefined ? [again] : [why, again];
}
