// User mistakes vs bugs (as hereby does): a UserError prints as one line with no stack and
// sets the documented exit status; anything else is a bug and keeps its stack.
import { formatLimit } from "./duration.ts";
import type { Result } from "./context-types.ts";

export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

const TAIL_LINES = 10;

/** Thrown by `ctx.run`/`exec`/`$` when a command fails and `warn` is not set. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    readonly result: Result,
    /** Whether the output was hidden: then its tail is part of the message. */
    hidden = false,
    /** The command's time limit, named when it expired. */
    timeoutMs?: number,
  ) {
    super(commandFailureMessage(result, hidden, timeoutMs));
  }
}

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

export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines.slice(-count).join("\n");
}
