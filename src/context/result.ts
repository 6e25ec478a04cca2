// A command's Result, built in one place for the real ctx, the dry run and mockContext, so
// that the three can never disagree on what `ok`, `failed` or `exitCode` mean.
import type { Outcome } from "../child/outcome.ts";
import type { Result } from "../api/context.ts";
import { unreachable } from "../common/unreachable.ts";

export interface ResultFields {
  readonly command: string;
  readonly stdout?: string | undefined;
  readonly stderr?: string | undefined;
  /** Both streams as they interleaved; by default stdout then stderr. */
  readonly all?: string | undefined;
  /** null when a signal ended the command. */
  readonly exitCode: number | null;
  readonly signal?: string | null | undefined;
  readonly timedOut?: boolean | undefined;
  readonly durationMs?: number | undefined;
}

export function buildResult(fields: ResultFields): Result {
  const stdout = fields.stdout ?? "";
  const stderr = fields.stderr ?? "";
  const timedOut = fields.timedOut ?? false;
  const ok = fields.exitCode === 0 && !timedOut;
  return {
    command: fields.command,
    stdout,
    stderr,
    all: fields.all ?? stdout + stderr,
    exitCode: fields.exitCode,
    signal: fields.signal ?? null,
    ok,
    failed: !ok,
    timedOut,
    durationMs: Math.round(fields.durationMs ?? 0),
  };
}

/** The exit code and signal a command's outcome gives its result. */
export function outcomeFields(outcome: Outcome): Pick<ResultFields, "exitCode" | "signal" | "timedOut"> {
  switch (outcome.kind) {
    case "exit":
      return { exitCode: outcome.code, signal: null };
    case "signal":
      return { exitCode: null, signal: outcome.signal };
    case "timeout":
      // runner sent SIGTERM when the limit expired.
      return { exitCode: null, signal: "SIGTERM", timedOut: true };
    case "cancelled":
      return { exitCode: null, signal: outcome.signal };
    case "spawn-error":
      return { exitCode: 127, signal: null };
    default:
      return unreachable("outcome", outcome);
  }
}
