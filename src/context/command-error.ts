// The error a failing command throws from ctx.run/exec/$ (unless `warn`): it names the
// command and how it failed, and, when its output was hidden, ends with that output's tail.
import { formatLimit } from "../common/duration.ts";
import type { Result } from "../api/context.ts";

const TAIL_LINES = 10;

/**
 * The error `ctx.run`, `ctx.exec` and `` ctx.$ `` throw when a command fails (non-zero exit,
 * killed by a signal, timed out) and `warn` is not set. Its message names the command and
 * how it failed — `Command failed with exit code 2: npm test`, `Command was killed with
 * SIGKILL: …`, `Command timed out after 5s: …` — followed, when the command's output was
 * hidden, by that output's last lines. A task that lets it propagate fails with the
 * command's exit status.
 *
 * @example
 * ```ts
 * try {
 *   await ctx.run("git diff --quiet");
 * } catch (error) {
 *   if (!(error instanceof CommandError)) throw error;
 *   ctx.log("uncommitted changes; exit code", error.result.exitCode);
 * }
 * ```
 */
export class CommandError extends Error {
  /** Always `"CommandError"`. */
  override readonly name = "CommandError";
  /**
   * Made by runner's `ctx` (and by `mockContext`) for a failed command; tasks rarely make one.
   * @param result - the failed command's result
   * @param hidden - whether its output was hidden; then the message ends with that output's last lines
   * @param timeoutMs - its time limit in milliseconds, named in the message when `result.timedOut`
   */
  constructor(
    /** The failed command's {@link Result}: its command, captured output, exit code or signal, `timedOut`. */
    readonly result: Result,
    hidden = false,
    timeoutMs?: number,
  ) {
    super(commandFailureMessage(result, hidden, timeoutMs));
  }
}

/** `Command failed with exit code 2: npm test`, `Command was killed with SIGTERM: …`, `Command timed out after 5s: …`. */
export function commandFailureMessage(result: Result, hidden: boolean, timeoutMs?: number): string {
  const head = result.timedOut
    ? `Command timed out after ${formatLimit(timeoutMs ?? result.durationMs)}: ${result.command}`
    : result.signal !== null
      ? `Command was killed with ${result.signal}: ${result.command}`
      : `Command failed with exit code ${result.exitCode ?? "?"}: ${result.command}`;
  if (!hidden) return head;
  const tail = lastLines(result.all, TAIL_LINES);
  return tail === "" ? head : `${head}\n${tail}`;
}

function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines.slice(-count).join("\n");
}

/** A CommandError, also one from another copy of runner (a tasks file may load its own). */
export function isCommandError(error: unknown): error is CommandError {
  return (
    error instanceof CommandError || (error instanceof Error && error.name === "CommandError" && "result" in error)
  );
}
