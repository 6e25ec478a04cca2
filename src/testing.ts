// `runner-ts/testing`: a `ctx` for unit-testing tasks without running anything (as invoke's
// MockContext). run/exec/$ answer from a table, every call is recorded, and a command
// nobody expected throws, so a test cannot silently run less than it thinks.
import { defaults, type RunnerConfig } from "./config/settings.ts";
import { CommandError } from "./context/command-error.ts";
import { quoteArgs, templateToArgs } from "./context/command-line.ts";
import { buildResult } from "./context/result.ts";
import type { Context, Result, RunOptions } from "./api/context.ts";
import { isTaskDefinition, type TaskDefinition } from "./api/task.ts";
import { normalizeOptions, type OptionValue } from "./loader/option-declarations.ts";
import { finishOptions } from "./plan/option-values.ts";

/**
 * What a mocked command answers: a string is its stdout (and it succeeds); an object gives
 * some of a {@link Result}'s fields, the rest being those of a success with no output.
 * `exitCode` defaults to 0; it is null with a `signal`, or with `timedOut: true` and no
 * `exitCode` (the command then ended with SIGTERM, as a real time-out does). An answer that
 * fails makes the call throw a {@link CommandError} unless it used `warn`.
 *
 * @example `"main\n"`, `{ stdout: "", stderr: "not found\n", exitCode: 1 }`, `{ timedOut: true }`
 */
export type MockAnswer = string | Partial<Pick<Result, "stdout" | "stderr" | "exitCode" | "signal" | "timedOut">>;

/**
 * The commands a {@link mockContext} expects and what each answers: an object with exact
 * command strings as keys, or `[string | RegExp, answer]` pairs (an array or a `Map`). A
 * string matches the whole command, a RegExp any part of it; the first entry that matches wins.
 * Commands are matched as {@link Result.command} shows them: `ctx.run`'s text as given, and
 * for `ctx.exec` and `` ctx.$ `` the program and arguments joined by spaces, quoted where a
 * shell would need it.
 *
 * @example
 * ```ts
 * { "git status --short": "", "npm publish": { exitCode: 0 } }
 * new Map([[/^git tag /, ""], ["npm test", { exitCode: 1 }]])
 * ```
 */
export type MockTable = Readonly<Record<string, MockAnswer>> | Iterable<readonly [string | RegExp, MockAnswer]>;

/** One command a task asked a {@link MockContext} to run, as recorded in `ctx.calls`. */
export interface MockCall {
  /** Which method was called: `"run"`, `"exec"` or `"$"`. */
  readonly kind: "run" | "exec" | "$";
  /** The command as matched against the table (see {@link MockTable}). */
  readonly command: string;
  /** The options the call was given; `{}` when none (always for `` ctx.$ ``). */
  readonly options: RunOptions;
}

/** One `ctx.call(task, options)` a task made, as recorded in `ctx.called`. */
export interface MockTaskCall {
  /** The task (or function) it called. */
  readonly task: unknown;
  /** The options it gave, as given (no defaults): `{}` when none. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** What the mock `ctx` reports about the task, for code that reads more than `opts`; all optional. */
export interface MockContextSettings {
  /**
   * Whether `ctx.call(task, options)` runs the called task's `run` (with this same mock
   * `ctx`, so its commands answer from the same table, and its options' defaults filled in)
   * and returns what it returns. Otherwise a call is only recorded and resolves to undefined.
   * @defaultValue `false`
   */
  readonly runCalls?: boolean;
  /** `ctx.name`. @defaultValue `"task"` */
  readonly name?: string;
  /**
   * `ctx.options`. This is not `opts`: a test passes `opts` to the task's `run` itself.
   * @defaultValue `{}`
   */
  readonly options?: Readonly<Record<string, unknown>>;
  /** `ctx.args`, the extra command-line words. @defaultValue `[]` */
  readonly args?: readonly string[];
  /** `ctx.rest`, the words after `--`. @defaultValue `[]` */
  readonly rest?: readonly string[];
  /** `ctx.cwd`. @defaultValue the test process's current directory */
  readonly cwd?: string;
  /** `ctx.invocationDir`, where runner was started. @defaultValue `cwd` */
  readonly invocationDir?: string;
  /**
   * Settings for `ctx.config`, over runner's built-in defaults.
   * @example `{ config: { jobs: 2, shell: "/bin/bash" } }`
   */
  readonly config?: Partial<RunnerConfig>;
  /**
   * `ctx.signal`: pass an `AbortController`'s signal to test how the task reacts to being
   * cancelled. @defaultValue a signal that is never aborted
   */
  readonly signal?: AbortSignal;
  /**
   * `ctx.dryRun`, to test how the task behaves under `-n`. Commands are still answered from
   * the table (what runner would print instead of running), so a test can check them.
   * @defaultValue `false`
   */
  readonly dryRun?: boolean;
}

/** A {@link Context} for unit tests, made by {@link mockContext}, that records what the task did. */
export interface MockContext extends Context {
  /** Every `run`, `exec` and `$` call, in order, also those that threw. */
  readonly calls: MockCall[];
  /** Every `ctx.log` line, its values joined by spaces. */
  readonly logs: string[];
  /** The commands run, as strings, in order: handy for `expect(ctx.commands).toEqual([...])`. */
  readonly commands: string[];
  /** The functions `ctx.defer` registered that have not run yet, in the order they were registered. */
  readonly deferred: (() => unknown)[];
  /**
   * Runs the deferred functions as runner does when the task ends: the last registered
   * first, each awaited, all of them even if one throws (also those they register). Rejects
   * with the first error one threw, once all have run.
   * @example `await release.run(ctx, opts).finally(() => ctx.runDeferred());`
   */
  runDeferred(): Promise<void>;
  /** Every `ctx.call`, in order. */
  readonly called: MockTaskCall[];
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

/**
 * A `ctx` for unit-testing tasks without running anything: `run`, `exec` and `` $ `` answer
 * from `table`, every call is recorded (`ctx.calls`, `ctx.commands`, `ctx.logs`), and a
 * command the table does not expect makes the call reject with an error naming it, so a
 * test cannot silently run less than it thinks. Nothing is printed. Of the run options only
 * `warn` (no throw) and `hide` (the error's message then ends with the output) change what a
 * call does; all of them are recorded in `ctx.calls`.
 *
 * @param table - the expected commands and their answers; none by default
 * @param settings - the task's name, `ctx.options`, `ctx.cwd`, `ctx.config` and the rest
 * @example
 * ```ts
 * import { mockContext } from "runner-ts/testing";
 * import { release } from "../tasks.ts";
 *
 * const ctx = mockContext({ "git status --short": "", "npm publish": { exitCode: 0 } });
 * await release.run(ctx, { tag: "latest" });
 * expect(ctx.commands).toEqual(["git status --short", "npm publish"]);
 * ```
 */
export function mockContext(table: MockTable = {}, settings: MockContextSettings = {}): MockContext {
  const entries = entriesOf(table);
  const calls: MockCall[] = [];
  const logs: string[] = [];
  const commands: string[] = [];
  // The test's own directory: mockContext runs in the user's test process, not in runner.
  // eslint-disable-next-line no-restricted-globals -- see above
  const cwd = settings.cwd ?? process.cwd();
  const deferred: (() => unknown)[] = [];
  const called: MockTaskCall[] = [];

  const call = async (task: unknown, options: Readonly<Record<string, unknown>> = {}): Promise<unknown> => {
    called.push({ task, options });
    if (settings.runCalls !== true) return undefined;
    if (typeof task === "function") return await (task as (ctx: Context) => unknown)(ctx);
    if (!isTaskDefinition(task) || typeof task.run !== "function") {
      throw new TypeError("mockContext: ctx.call was given something that is not a task with a run function");
    }
    const definition: TaskDefinition = task;
    const defs = normalizeOptions(definition.options, "mockContext: ctx.call");
    const given = new Map(Object.entries(options).filter(([, value]) => value !== undefined)) as Map<
      string,
      OptionValue
    >;
    return await definition.run(ctx, finishOptions("task", defs, given) as never);
  };

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

  const ctx: MockContext = {
    call,
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
    cwd,
    invocationDir: settings.invocationDir ?? cwd,
    signal: settings.signal ?? new AbortController().signal,
    config: { ...defaults(), ...settings.config },
    dryRun: settings.dryRun ?? false,
    defer: (fn) => {
      if (typeof fn !== "function") throw new TypeError(`ctx.defer: expected a function, not ${typeof fn}`);
      deferred.push(fn);
    },
    calls,
    logs,
    commands,
    deferred,
    runDeferred: async () => {
      const errors: unknown[] = [];
      for (let fn = deferred.pop(); fn !== undefined; fn = deferred.pop()) {
        try {
          await fn();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
    called,
  };
  return ctx;
}
