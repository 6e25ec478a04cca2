// The error a failing command throws from ctx.run/exec/$ (unless `warn`): it names the
// command and how it failed, and, when its output was hidden, ends with that output's tail.
import { formatLimit } from "../common/duration.ts";
import type { Result } from "./types.ts";

const TAIL_LINES = 10;

/** Thrown by `ctx.run`/`exec`/`$` when a command fails and `warn` is not set. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    /** The failed command's result: its output, exit code or signal. */
    readonly result: Result,
    /** Whether the output was hidden: then its tail is part of the message. */
    hidden = false,
    /** The command's time limit, named when it expired. */
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
