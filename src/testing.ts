// `runner/testing`: a `ctx` for unit-testing tasks without running anything (as invoke's
// MockContext). run/exec/$ answer from a table, every call is recorded, and a command
// nobody expected throws, so a test cannot silently run less than it thinks.
import { defaults, type RunnerConfig } from "./config/settings.ts";
import { CommandError } from "./context/command-error.ts";
import { quoteArgs, templateToArgs } from "./context/command-line.ts";
import { buildResult } from "./context/result.ts";
import type { Context, Result, RunOptions } from "./context/types.ts";

/** What a mocked command returns: its stdout as a string, or some of a result's fields. */
export type MockAnswer = string | Partial<Pick<Result, "stdout" | "stderr" | "exitCode" | "signal" | "timedOut">>;

/** Exact command strings as keys, or [string | RegExp, answer] pairs (a Map works too). */
export type MockTable = Readonly<Record<string, MockAnswer>> | Iterable<readonly [string | RegExp, MockAnswer]>;

export interface MockCall {
  readonly kind: "run" | "exec" | "$";
  readonly command: string;
  readonly options: RunOptions;
}

export interface MockContextSettings {
  readonly name?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly args?: readonly string[];
  readonly rest?: readonly string[];
  readonly cwd?: string;
  readonly config?: Partial<RunnerConfig>;
  readonly signal?: AbortSignal;
}

export interface MockContext extends Context {
  /** Every run/exec/$ call, in order. */
  readonly calls: MockCall[];
  /** Every ctx.log line. */
  readonly logs: string[];
  /** The commands run, as strings: handy for `expect(ctx.commands).toEqual([...])`. */
  readonly commands: string[];
}

function entriesOf(table: MockTable): (readonly [string | RegExp, MockAnswer])[] {
  if (Symbol.iterator in Object(table) && typeof (table as Iterable<unknown>)[Symbol.iterator] === "function") {
    return [...(table as Iterable<readonly [string | RegExp, MockAnswer]>)];
  }
  return Object.entries(table as Record<string, MockAnswer>);
}

/** A key matches the whole command when it is a string, anywhere when it is a RegExp. */
function matches(key: string | RegExp, command: string): boolean {
  if (typeof key === "string") return key === command;
  // A /g or /y RegExp remembers where its last match ended; start afresh for every command.
  key.lastIndex = 0;
  return key.test(command);
}

function toResult(command: string, answer: MockAnswer): Result {
  const fields = typeof answer === "string" ? { stdout: answer } : answer;
  const timedOut = fields.timedOut ?? false;
  // As from the real ctx: a command ended by a signal (a time-out sends SIGTERM) has no exit code.
  const signal = fields.signal ?? (timedOut && fields.exitCode === undefined ? "SIGTERM" : null);
  const exitCode = signal !== null ? null : (fields.exitCode ?? 0);
  return buildResult({ command, stdout: fields.stdout, stderr: fields.stderr, exitCode, signal, timedOut });
}

export function mockContext(table: MockTable = {}, settings: MockContextSettings = {}): MockContext {
  const entries = entriesOf(table);
  const calls: MockCall[] = [];
  const logs: string[] = [];
  const commands: string[] = [];

  const answer = (kind: MockCall["kind"], command: string, options: RunOptions = {}): Promise<Result> => {
    calls.push({ kind, command, options });
    commands.push(command);
    const entry = entries.find(([key]) => matches(key, command));
    if (entry === undefined) {
      const known = entries.map(([key]) => String(key)).join(", ") || "none";
      return Promise.reject(new Error(`mockContext: unexpected command "${command}" (expected one of: ${known})`));
    }
    const result = toResult(command, entry[1]);
    if (result.failed && options.warn !== true) {
      return Promise.reject(new CommandError(result, options.hide !== undefined && options.hide !== false));
    }
    return Promise.resolve(result);
  };

  return {
    run: (command, options) => answer("run", command, options),
    exec: (file, args = [], options) => answer("exec", quoteArgs([file, ...args]), options),
    $: (strings, ...values) => {
      const args = templateToArgs(strings, values);
      if (args.length === 0) return Promise.reject(new TypeError("ctx.$: empty command"));
      return answer("$", quoteArgs(args));
    },
    log: (...values) => {
      logs.push(values.map(String).join(" "));
    },
    name: settings.name ?? "task",
    options: settings.options ?? {},
    args: settings.args ?? [],
    rest: settings.rest ?? [],
    // The test's own directory: mockContext runs in the user's test process, not in runner.
    // eslint-disable-next-line no-restricted-globals -- see above
    cwd: settings.cwd ?? process.cwd(),
    signal: settings.signal ?? new AbortController().signal,
    config: { ...defaults(), ...settings.config },
    calls,
    logs,
    commands,
  };
}
