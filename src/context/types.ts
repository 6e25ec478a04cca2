// The shape of `ctx` and of a command's result, shared by the real context and
// `runner/testing`'s mock so that tasks type-check against both.
import type { RunnerConfig } from "../config/settings.ts";

export interface Responder {
  readonly pattern: RegExp | string;
  readonly response: string;
}

export interface RunOptions {
  /** Do not throw when the command fails; check `result.ok`. */
  readonly warn?: boolean;
  /** Hide output while still capturing it: `true`/"both", "stdout" or "stderr". */
  readonly hide?: boolean | "both" | "stdout" | "stderr";
  /** Print the command before running it. */
  readonly echo?: boolean;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory to run in, relative to the task's cwd. */
  readonly cwd?: string;
  /** Time limit for this command (`90s`, `5m`, or milliseconds). */
  readonly timeout?: string | number;
  /** Text written to the command's stdin. */
  readonly input?: string;
  /** Answers written to stdin when the output matches a pattern. */
  readonly responders?: readonly Responder[];
}

export interface Result {
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  readonly all: string;
  /** null when a signal ended the command. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly ok: boolean;
  readonly failed: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface Context {
  /** Run a command through the shell; output streams and is captured. */
  run(command: string, options?: RunOptions): Promise<Result>;
  /** Run a program with an argument list, no shell. */
  exec(file: string, args?: readonly string[], options?: RunOptions): Promise<Result>;
  /** Template tag: `` ctx.$`git tag ${name}` ``; each interpolation is one argument (no shell). */
  $(strings: TemplateStringsArray, ...values: readonly unknown[]): Promise<Result>;
  /** Print a line attributed to this task. */
  log(...values: readonly unknown[]): void;
  /** The task's full name, e.g. `docs.build`. */
  readonly name: string;
  /** The task's option values as parsed from the command line. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Extra command-line words (for tasks without positional options). */
  readonly args: readonly string[];
  /** Words after `--` (given to the last task on the line). */
  readonly rest: readonly string[];
  /** Directory commands run in: the tasks file's directory. */
  readonly cwd: string;
  /** Aborted when the task is cancelled or times out. */
  readonly signal: AbortSignal;
  /** The resolved configuration. */
  readonly config: RunnerConfig;
}
