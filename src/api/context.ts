// The shape of `ctx` and of a command's result, shared by the real context and
// `runner-ts/testing`'s mock so that tasks type-check against both.
import type { Responder } from "./responder.ts";
import type { RunnerConfig } from "../config/settings.ts";

export type { Responder };

/** How `ctx.run` and `ctx.exec` run one command; every field is optional. */
export interface RunOptions {
  /**
   * Do not throw when the command fails (non-zero exit, killed by a signal, timed out):
   * return the {@link Result} and let the task check `result.ok`. `-w`/`--warn-only` sets it
   * for every command.
   * @defaultValue `false`
   */
  readonly warn?: boolean;
  /**
   * Keep the command's output off the terminal; it is still captured in the result.
   * `true` or `"both"` hides stdout and stderr, `"stdout"` or `"stderr"` only that stream.
   * When a command with hidden output fails, the error's message ends with its last lines.
   * @defaultValue `false` (output is shown as it comes)
   */
  readonly hide?: boolean | "both" | "stdout" | "stderr";
  /**
   * Print the command (`$ npm test`) as a line of the task's output before running it.
   * @defaultValue the `echo` setting (`-e`, `RUNNER_ECHO`), off unless configured
   */
  readonly echo?: boolean;
  /**
   * Extra environment variables for this command, on top of the environment commands get
   * anyway (runner's own, the `dotenv` files, the `env` setting). A variable set to
   * `undefined` is removed from the command's environment.
   * @example `{ env: { CC: "clang", NODE_ENV: "production" } }`
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The directory to run the command in: absolute, or relative to `ctx.cwd`.
   * @defaultValue `ctx.cwd`
   * @example `{ cwd: "native" }`
   */
  readonly cwd?: string;
  /**
   * A time limit for this command: `"90s"`, `"5m"`, `"1h"`, `"250ms"` or a number of
   * milliseconds; `0` means no limit. When it expires the command and everything it started
   * get SIGTERM (then SIGKILL after `killGrace`), `result.timedOut` is true, and the call
   * throws (unless `warn`). The task's own time limit applies as well.
   * @defaultValue no limit of its own
   */
  readonly timeout?: string | number;
  /**
   * Text written to the command's stdin, which is then closed (unless `responders` keep it
   * open). Without `input` or `responders`, a command in a serial run reads runner's own
   * stdin (the terminal, say); where other tasks may run at once (`-p` with more than one
   * job) its stdin is empty.
   */
  readonly input?: string;
  /** Answers written to stdin whenever the output matches a pattern, for commands that prompt. */
  readonly responders?: readonly Responder[];
  /**
   * Run the command on a pseudo-terminal (invoke's `pty=True`): it sees a terminal, so it
   * keeps its colours (`ls --color=auto`, git, cargo) and prints its progress as it goes
   * instead of buffering it until it exits (Python, C programs). Its output is still shown,
   * attributed to the task and captured; but a terminal has one output, so stdout and stderr
   * arrive merged in `result.stdout` (`result.stderr` is empty). The terminal has the size
   * of runner's own (80×24 when runner has none); `TERM` is `xterm-256color` unless set.
   * `input` and responders are typed into it (and echoed, as a terminal does), then an end
   * of file; for a person to type, use `interactive`.
   * @defaultValue `false`
   */
  readonly pty?: boolean;
  /**
   * Hand the command runner's own terminal (stdin, stdout and stderr), for editors, pagers
   * and prompts a person answers (`git rebase -i`, `less`, `npm login`). Its output is not
   * captured: `result.stdout`, `stderr` and `all` are empty. Only where one task runs at a
   * time: in a parallel run (`-p` with more than one job) the call throws. Not together with
   * `pty`, `input`, `responders` or `hide`.
   * @defaultValue `false`
   */
  readonly interactive?: boolean;
}

/** The result of a command run by `ctx.run`, `ctx.exec` or `` ctx.$`…` ``. */
export interface Result {
  /**
   * The command as it ran: `ctx.run`'s command line as given; for `ctx.exec` and `` ctx.$ ``
   * the program and its arguments, quoted as a shell would need them (`git tag 'v1 beta'`).
   */
  readonly command: string;
  /**
   * What the command wrote to stdout, as text exactly as printed, final newline included
   * (`"main\n"`). Captured even when hidden. Only the last `captureLimit` bytes (1 MiB by
   * default) are kept.
   */
  readonly stdout: string;
  /** What the command wrote to stderr, like {@link Result.stdout}. */
  readonly stderr: string;
  /** stdout and stderr together, interleaved as they arrived, exactly as printed. */
  readonly all: string;
  /**
   * The command's exit code (`0` for success); `null` when a signal ended it, which is also
   * what happens when it timed out or was cancelled. `127` when the program could not be started.
   */
  readonly exitCode: number | null;
  /** The name of the signal that ended the command (`"SIGTERM"`, `"SIGKILL"`), or `null` when it exited. */
  readonly signal: string | null;
  /** Whether the command succeeded: exit code 0 and not timed out. */
  readonly ok: boolean;
  /** Whether the command failed: the opposite of `ok`. */
  readonly failed: boolean;
  /**
   * Whether the command was stopped because its own `timeout` option expired. (A command
   * stopped because its task timed out or was cancelled shows that in `signal`.)
   */
  readonly timedOut: boolean;
  /** How long the command ran, in whole milliseconds. */
  readonly durationMs: number;
}

/**
 * What a task's `run` receives as `ctx`: ways to run commands and to print, and what the
 * task was run with. A fresh one for every attempt.
 */
export interface Context {
  /**
   * Runs a command line through the shell (the `shell` setting, `/bin/sh` by default), in
   * `ctx.cwd`. Its output streams to the terminal as it comes (unless hidden) and is
   * captured in the result. A failing command throws a {@link CommandError} unless `warn`
   * (or `-w`) is set.
   * With `-n`/`--dry-run` the command is printed, not run, and the result is a success
   * with empty output (see {@link Context.dryRun}).
   *
   * @example
   * ```ts
   * const { stdout } = await ctx.run("git status --short", { hide: true });
   * const r = await ctx.run("npm test", { warn: true });
   * if (!r.ok) ctx.log("tests failed with exit code", r.exitCode);
   * ```
   */
  run(command: string, options?: RunOptions): Promise<Result>;
  /**
   * Runs a program with a list of arguments, without a shell, so no quoting is needed and
   * nothing in the arguments is interpreted. Otherwise as {@link Context.run}.
   * @example `await ctx.exec("git", ["tag", name]);`
   */
  exec(file: string, args?: readonly string[], options?: RunOptions): Promise<Result>;
  /**
   * A template tag that runs a command without a shell, following execa's template rules
   * (not zx's): the literal text splits into words at whitespace, and each interpolated
   * value is one argument however many spaces or quotes it holds (an array gives one
   * argument per item; a {@link Result} gives its stdout without the final newline). No
   * quoting is needed and nothing can be injected. It takes no options (use
   * {@link Context.exec} for those), and throws a {@link CommandError} when the command fails
   * (unless `-w`).
   *
   * @example
   * ```ts
   * await ctx.$`git tag ${name}`; // one argument even if name is "v1 beta"
   * const { stdout } = await ctx.$`git log -1 --format=${fmt}`;
   * ```
   */
  $(strings: TemplateStringsArray, ...values: readonly unknown[]): Promise<Result>;
  /**
   * Prints one line as this task's output (on stdout), formatting its values as
   * `console.log` does: `ctx.log("copied", n, "files")`. In parallel runs the line is shown
   * with the task's other output (prefixed or grouped).
   */
  log(...values: readonly unknown[]): void;
  /**
   * Runs another task now, inside this one, and returns what its `run` returned. Options not
   * given take their defaults (`required` ones must be given); values are checked as on the
   * command line. It gets its own header and result line and its own line in the summary and
   * reports, with its own time limit and retries; its deps and post tasks are not run (list
   * them in `deps` for that). When it fails, the call rejects with its error, and so this
   * task fails too unless it catches it (the run's exit status still counts the failure).
   *
   * @example
   * ```ts
   * const out = await ctx.call(build, { target: "esnext" });
   * ```
   */
  call<P extends object, R>(
    task: { readonly run: (ctx: Context, opts: P) => R },
    options?: Partial<P>,
  ): Promise<Awaited<R>>;
  call<R>(task: (ctx: Context) => R): Promise<Awaited<R>>;
  /** The task's full name, as `runner --list` shows it: `build`, or `docs.build` in a namespace. */
  readonly name: string;
  /**
   * The task's option values, defaults included, untyped: the same values `opts` holds
   * (prefer `opts`, which is typed). Empty for a task that is a plain function.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The extra words after the task's name on the command line, for a task that is a plain
   * exported function (`runner greet Ada Lovelace` → `["Ada", "Lovelace"]`). Empty for a
   * `task()`, which declares positional options instead.
   */
  readonly args: readonly string[];
  /**
   * The words after `--` on the command line (`runner test -- --watch` → `["--watch"]`),
   * given to the last task named before it; empty for every other task.
   */
  readonly rest: readonly string[];
  /**
   * The directory commands run in, absolute: the directory where the tasks file was found
   * (for `tasks/index.ts`, the directory holding `tasks/`, the project root). A command's
   * own `cwd` option is relative to it. Task code runs with it as `process.cwd()` too, so
   * relative paths mean the same in `fs` calls and in commands.
   */
  readonly cwd: string;
  /**
   * The directory runner was started in, absolute (just's `invocation_directory()`): the
   * shell's working directory, also with `-C`/`--cwd`, which only changes where the search
   * for the tasks file starts. Resolve paths the user typed as task options against it:
   * `resolve(ctx.invocationDir, opts.file)`.
   */
  readonly invocationDir: string;
  /**
   * Aborted when the task is cancelled (Ctrl-C, or another task failed in a parallel run)
   * or times out. Running commands are stopped for you (the await of one throws a
   * {@link CommandError} once it has ended); pass it on to what else the task waits on
   * (`fetch(url, { signal: ctx.signal })`) so that it stops too. Commands started after it
   * aborted — cleanup in a `finally` block or a {@link Context.defer} function — still run,
   * until the grace period (`killGrace`) ends.
   */
  readonly signal: AbortSignal;
  /**
   * Whether this is a dry run (`-n`/`--dry-run`): task code runs, but its commands are
   * printed, not run. A command that did not run has no output, so in a dry run every
   * `ctx.run`, `ctx.exec` and `` ctx.$ `` returns a success with empty output: `exitCode`
   * 0, `ok` true, `stdout`, `stderr` and `all` `""`. Check it to skip what the task does
   * itself (writing or deleting files from JavaScript, calling an API).
   * @example `if (!ctx.dryRun) rmSync("dist", { recursive: true, force: true });`
   */
  readonly dryRun: boolean;
  /**
   * Registers cleanup to run when the task ends, however it ends: passed, failed, cancelled
   * (another task failed, Ctrl-C) or timed out. Deferred functions run after the task's
   * code has settled, the last registered first, each awaited before the next. After a
   * cancel or a time-out their commands still run, until the grace period (`killGrace`)
   * ends; then what still runs is killed and the task ends. An error one throws fails a
   * task that would otherwise pass; when the task failed anyway, it is printed in the
   * task's output and the task's own failure stays what is reported.
   * @example `ctx.defer(() => ctx.run("docker rm -f db"));`
   */
  defer(fn: () => unknown): void;
  /** runner's resolved settings (defaults, config file, environment and command line combined). */
  readonly config: RunnerConfig;
}
