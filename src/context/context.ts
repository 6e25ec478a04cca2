// The real `ctx` a task receives: run/exec/$ on top of the child-process module, with echo,
// dry run, warn, hide, env and cwd handled here, and every command recorded for reports.
import { resolve } from "node:path";
import { format } from "node:util";
import { runCommand, type CommandRun, type CommandSpec } from "../child/command-process.ts";
import { directCommand } from "../child/direct-command.ts";
import type { Usage } from "../child/usage.ts";
import { parseDuration } from "../common/duration.ts";
import { CommandError } from "./command-error.ts";
import { quoteArgs, templateToArgs } from "./command-line.ts";
import { buildResult, outcomeFields } from "./result.ts";
import type { Context, Result, RunOptions } from "../api/context.ts";

/** A command as the report records it. */
export interface CommandRecord {
  readonly command: string;
  readonly exitCode: number | null;
  /** The signal that ended the command (then exitCode is null), else null. */
  readonly signal: string | null;
  readonly durationMs: number;
  /** What it used (its whole tree), when the run measures commands (--stats, --report) and could. */
  readonly usage?: Usage;
}

/** Where a task's output goes: its commands', its console's and ctx.log's. */
export interface TaskOutput {
  /** A returned promise asks the producer to wait for it before writing more. */
  stdout(chunk: Buffer): Promise<void> | undefined;
  stderr(chunk: Buffer): Promise<void> | undefined;
}

/** What a task's commands report as they start and end (for reports and traces). */
export interface CommandObserver {
  started(command: string): void;
  ended(record: CommandRecord): void;
}

/** What the task sees as it is (its name, options, words, directory, signal, config), and how its commands run. */
export interface ContextSettings extends Pick<
  Context,
  "name" | "options" | "args" | "rest" | "cwd" | "invocationDir" | "signal" | "config"
> {
  readonly output: TaskOutput;
  /** Environment for commands: runner's, plus dotenv, config `env`, FORCE_COLOR. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly shell: string;
  readonly echo: boolean;
  readonly dryRun: boolean;
  readonly warnOnly: boolean;
  readonly killGraceMs: number;
  readonly captureLimit: number;
  readonly inheritStdin: boolean;
  /** Whether other tasks may run while this one does (-p with more than one job): no `interactive` then. */
  readonly concurrent: boolean;
  /** The size of runner's terminal, for a command's pseudo-terminal; undefined when it has none. */
  readonly terminalSize: () => { readonly columns: number; readonly rows: number } | undefined;
  /** The run's process groups and clock. */
  readonly run: CommandRun;
  readonly commands: CommandObserver;
  /** Commands still running, so that a stopped task's can be waited for as they end. */
  readonly running: Set<Promise<unknown>>;
  /**
   * What stops a command started now: the task's signal, or once that has aborted, the end
   * of the grace period (cleanup after a cancel still runs). Aborted: no command may start.
   */
  readonly commandSignal: () => AbortSignal;
  /** Registers a function to run when the task ends (ctx.defer). */
  readonly defer: (fn: () => unknown) => void;
  /** ctx.call: runs another task now (execution/attempt.ts). */
  readonly call: (task: unknown, options: unknown) => Promise<unknown>;
}

/** What ctx.run, ctx.exec and ctx.$ ask for: a shell command line, or a program and its arguments. */
type Command =
  | { readonly kind: "shell"; readonly command: string }
  | { readonly kind: "program"; readonly file: string; readonly args: readonly string[] };

/** A pseudo-terminal's size when runner has no terminal to take it from. */
const DEFAULT_PTY_SIZE = { columns: 80, rows: 24 };

/**
 * Where the command's output goes (pipes, a pseudo-terminal, runner's terminal), or a
 * one-line error for options that cannot go together or a run that cannot hand over its
 * terminal.
 */
function terminalOf(display: string, options: RunOptions, concurrent: boolean): CommandSpec["terminal"] {
  if (options.interactive !== true) return options.pty === true ? "pty" : "pipes";
  const clash = (["pty", "input", "responders", "hide"] as const).find(
    (key) => options[key] !== undefined && options[key] !== false,
  );
  if (clash !== undefined) {
    throw new TypeError(`${display}: interactive: true hands over runner's terminal, so it cannot take ${clash} too`);
  }
  if (concurrent) {
    throw new Error(
      `${display}: interactive: true needs runner's terminal to itself, but other tasks may run at the same time (-p with more than one job); run it without -p, or with -j1`,
    );
  }
  return "terminal";
}

/** How to spawn a command: a shell command line of plain words without the shell (direct-command.ts). */
function spawnOf(
  command: Command,
  shell: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Pick<CommandSpec, "file" | "args" | "shell" | "env" | "shellCommand"> {
  if (command.kind === "program") return { file: command.file, args: command.args, shell: false, env };
  const direct = directCommand(command.command, shell, env, cwd);
  if (direct === undefined) return { file: command.command, args: [], shell, env };
  return { ...direct, shell: false, shellCommand: { shell, command: command.command } };
}

export function createContext(settings: ContextSettings): Context {
  const { output } = settings;
  const baseCwd = resolve(settings.cwd);
  const log = (line: string): void => void output.stdout(Buffer.from(`${line}\n`));

  const execute = async (display: string, command: Command, options: RunOptions = {}): Promise<Result> => {
    const signal = settings.commandSignal();
    if (signal.aborted) throw new Error(`Task "${settings.name}" was stopped; not running: ${display}`);
    const limit = options.timeout === undefined ? undefined : parseDuration(options.timeout);
    const timeoutMs = limit === 0 ? undefined : limit; // 0: no limit, as for tasks
    if (options.timeout !== undefined && limit === undefined) {
      throw new TypeError(
        `Invalid timeout ${JSON.stringify(options.timeout)} for command ${display}: expected a duration like "90s", "5m" or milliseconds.`,
      );
    }
    const terminal = terminalOf(display, options, settings.concurrent);
    if (settings.dryRun) {
      log(`[dry-run] ${display}`);
      settings.commands.started(display);
      settings.commands.ended({ command: display, exitCode: 0, signal: null, durationMs: 0 });
      return buildResult({ command: display, exitCode: 0 });
    }
    if (options.echo ?? settings.echo) log(`$ ${display}`);
    const hide =
      options.hide === true || options.hide === "both" ? "both" : options.hide === false ? undefined : options.hide;
    const cwd = options.cwd === undefined ? baseCwd : resolve(baseCwd, options.cwd);
    const env = options.env === undefined ? settings.env : { ...settings.env, ...options.env };
    // Loaded before the command counts as started: a missing binary is the call's error.
    if (terminal === "pty") await (await import("../child/pty-leader.ts")).loadPty();
    settings.commands.started(display);
    const ending = runCommand(
      {
        display,
        ...spawnOf(command, settings.shell, env, cwd),
        cwd,
        input: options.input,
        responders: options.responders ?? [],
        timeoutMs,
        killGraceMs: settings.killGraceMs,
        captureLimit: settings.captureLimit,
        signal,
        inheritStdin: settings.inheritStdin,
        terminal,
        ptySize: settings.terminalSize() ?? DEFAULT_PTY_SIZE,
        onStdout: hide === "both" || hide === "stdout" ? () => undefined : (chunk) => output.stdout(chunk),
        onStderr: hide === "both" || hide === "stderr" ? () => undefined : (chunk) => output.stderr(chunk),
      },
      settings.run,
    );
    settings.running.add(ending);
    let end: Awaited<typeof ending>;
    try {
      end = await ending;
    } finally {
      settings.running.delete(ending);
    }
    const result = buildResult({
      command: display,
      stdout: end.stdout,
      stderr: end.stderr,
      all: end.all,
      durationMs: end.durationMs,
      ...outcomeFields(end.outcome),
    });
    settings.commands.ended({
      command: display,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
      ...(end.usage === undefined ? {} : { usage: end.usage }),
    });
    if (result.failed && !(options.warn ?? settings.warnOnly)) {
      throw new CommandError(result, hide !== undefined, timeoutMs);
    }
    return result;
  };

  return {
    run: (command, options) => execute(command, { kind: "shell", command }, options),
    exec: (file, args = [], options) => {
      // Called from JavaScript a string would spread into single letters.
      if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
        const got =
          typeof args === "string" ? "a string" : Array.isArray(args) ? "a list holding other values" : typeof args;
        return Promise.reject(new TypeError(`ctx.exec: its arguments must be a list of strings, not ${got}`));
      }
      return execute(quoteArgs([file, ...args]), { kind: "program", file, args }, options);
    },
    $: (strings, ...values) => {
      const [file, ...args] = templateToArgs(strings, values);
      if (file === undefined) return Promise.reject(new TypeError("ctx.$: empty command"));
      return execute(quoteArgs([file, ...args]), { kind: "program", file, args });
    },
    log: (...values) => log(format(...values)),
    call: (task: unknown, options?: unknown) => settings.call(task, options),
    name: settings.name,
    options: settings.options,
    args: settings.args,
    rest: settings.rest,
    cwd: settings.cwd,
    invocationDir: settings.invocationDir,
    signal: settings.signal,
    config: settings.config,
    dryRun: settings.dryRun,
    defer: (fn) => {
      // Called from JavaScript anything may come; a non-function would only fail at the end.
      if (typeof fn !== "function") throw new TypeError(`ctx.defer: expected a function, not ${typeof fn}`);
      settings.defer(fn);
    },
  };
}
