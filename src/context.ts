// The real `ctx` a task receives: run/exec/$ on top of the process module, with echo,
// dry-run, warn, hide, env and cwd handled here, and every command recorded for reports.
import { constants } from "node:os";
import { resolve } from "node:path";
import { format } from "node:util";
import type { Context, Result, RunOptions } from "./context-types.ts";
import { parseDuration } from "./duration.ts";
import { CommandError } from "./errors.ts";
import { runCommand, type CommandSpec, type Outcome } from "./process.ts";
import { directCommand } from "./simple-command.ts";
import type { TaskOutput } from "./output.ts";

export interface CommandRecord {
  readonly command: string;
  readonly exitCode: number | null;
  /** The signal that ended the command (then exitCode is null), else null. */
  readonly signal: string | null;
  readonly durationMs: number;
}

export interface ContextSettings {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly args: readonly string[];
  readonly rest: readonly string[];
  readonly cwd: string;
  readonly signal: AbortSignal;
  readonly config: Readonly<Record<string, unknown>>;
  readonly output: TaskOutput;
  /** Environment for commands: the runner's, plus dotenv, config `env`, FORCE_COLOR. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly shell: string;
  readonly echo: boolean;
  readonly dryRun: boolean;
  readonly warnOnly: boolean;
  readonly killGraceMs: number;
  readonly captureLimit: number;
  readonly inheritStdin: boolean;
  /** Every command run, in order, for the report. */
  readonly commands: CommandRecord[];
  /** Commands still running, so that a timed-out task's can be waited for as they end. */
  readonly running: Set<Promise<unknown>>;
}

/** A shell-safe rendering of an argument list, for echo and error texts. */
export function quoteArgs(parts: readonly string[]): string {
  return parts.map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** execa's template semantics: literal text splits on whitespace, each value is one argument. */
export function templateToArgs(strings: TemplateStringsArray, values: readonly unknown[]): string[] {
  const args: string[] = [];
  let open = false;
  const append = (piece: string): void => {
    if (open) args[args.length - 1] += piece;
    else args.push(piece);
    open = true;
  };
  strings.forEach((literal, index) => {
    literal.split(/\s+/).forEach((piece, k) => {
      if (k > 0) open = false;
      if (piece !== "") append(piece);
    });
    if (index >= values.length) return;
    const value = values[index];
    const items = Array.isArray(value) ? value.map(valueToArg) : [valueToArg(value)];
    items.forEach((item, k) => {
      if (k > 0) open = false;
      append(item);
    });
  });
  return args;
}

function valueToArg(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (typeof value === "object" && value !== null && "stdout" in value && typeof value.stdout === "string") {
    return value.stdout.replace(/\r?\n$/, "");
  }
  throw new TypeError(`ctx.$: cannot use ${value === null ? "null" : typeof value} as a command argument`);
}

function resultOf(
  command: string,
  end: { outcome: Outcome; stdout: string; stderr: string; all: string; durationMs: number },
): Result {
  const { outcome } = end;
  let exitCode: number | null = null;
  let signal: string | null = null;
  switch (outcome.kind) {
    case "exit":
      exitCode = outcome.code;
      break;
    case "signal":
      signal = outcome.signal;
      break;
    case "timeout":
      signal = "SIGTERM";
      break;
    case "cancelled":
      signal = outcome.signal;
      break;
    case "spawn-error":
      exitCode = 127;
      break;
    default: {
      const never: never = outcome;
      throw new Error(`unhandled outcome ${JSON.stringify(never)}`);
    }
  }
  const ok = exitCode === 0;
  return {
    command,
    stdout: end.stdout,
    stderr: end.stderr,
    all: end.all,
    exitCode,
    signal,
    ok,
    failed: !ok,
    timedOut: outcome.kind === "timeout",
    durationMs: Math.round(end.durationMs),
  };
}

/** The exit status a failed command gives its task: its own code, or 128 + signal number. */
export function commandExitStatus(result: Result): number {
  if (result.timedOut) return 124;
  if (result.exitCode !== null) return result.exitCode;
  // The platform's own numbers (SIGUSR1 is 10 on Linux, 30 on macOS), as a shell reports them.
  const signals: Readonly<Record<string, number>> = constants.signals;
  return 128 + (signals[result.signal ?? ""] ?? constants.signals.SIGTERM);
}

/** What ctx.run, ctx.exec and ctx.$ ask for: a shell command line, or a program and its arguments. */
type Command =
  | { readonly kind: "shell"; readonly command: string }
  | { readonly kind: "program"; readonly file: string; readonly args: readonly string[] };

/** How to spawn a command: a shell command line of plain words without the shell (simple-command.ts). */
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

  const execute = async (display: string, command: Command, options: RunOptions = {}): Promise<Result> => {
    if (settings.signal.aborted) throw new Error(`Task "${settings.name}" was stopped; not running: ${display}`);
    const limit = options.timeout === undefined ? undefined : parseDuration(options.timeout);
    const timeoutMs = limit === 0 ? undefined : limit; // 0: no limit, as for tasks
    if (options.timeout !== undefined && limit === undefined) {
      throw new TypeError(
        `Invalid timeout ${JSON.stringify(options.timeout)} for command ${display}: expected a duration like "90s", "5m" or milliseconds.`,
      );
    }
    if (settings.dryRun) {
      output.log(`[dry-run] ${display}`);
      const result: Result = {
        command: display,
        stdout: "",
        stderr: "",
        all: "",
        exitCode: 0,
        signal: null,
        ok: true,
        failed: false,
        timedOut: false,
        durationMs: 0,
      };
      settings.commands.push({ command: display, exitCode: 0, signal: null, durationMs: 0 });
      return result;
    }
    if (options.echo ?? settings.echo) output.log(`$ ${display}`);
    const hide =
      options.hide === true || options.hide === "both" ? "both" : options.hide === false ? undefined : options.hide;
    const cwd = options.cwd === undefined ? baseCwd : resolve(baseCwd, options.cwd);
    const env = options.env === undefined ? settings.env : { ...settings.env, ...options.env };
    const ending = runCommand({
      display,
      ...spawnOf(command, settings.shell, env, cwd),
      cwd,
      input: options.input,
      responders: options.responders ?? [],
      timeoutMs,
      killGraceMs: settings.killGraceMs,
      captureLimit: settings.captureLimit,
      signal: settings.signal,
      inheritStdin: settings.inheritStdin,
      onStdout: hide === "both" || hide === "stdout" ? () => {} : (chunk) => output.stdout(chunk),
      onStderr: hide === "both" || hide === "stderr" ? () => {} : (chunk) => output.stderr(chunk),
    });
    settings.running.add(ending);
    let end: Awaited<typeof ending>;
    try {
      end = await ending;
    } finally {
      settings.running.delete(ending);
    }
    const result = resultOf(display, end);
    settings.commands.push({
      command: display,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
    });
    if (result.failed && !(options.warn ?? settings.warnOnly)) {
      throw new CommandError(result, hide !== undefined, timeoutMs);
    }
    return result;
  };

  return {
    run: (command, options) => execute(command, { kind: "shell", command }, options),
    exec: (file, args = [], options) => execute(quoteArgs([file, ...args]), { kind: "program", file, args }, options),
    $: (strings, ...values) => {
      const [file, ...args] = templateToArgs(strings, values);
      if (file === undefined) return Promise.reject(new TypeError("ctx.$: empty command"));
      return execute(quoteArgs([file, ...args]), { kind: "program", file, args });
    },
    log: (...values) => output.log(format(...values)),
    name: settings.name,
    options: settings.options,
    args: settings.args,
    rest: settings.rest,
    cwd: settings.cwd,
    signal: settings.signal,
    config: settings.config,
  };
}
