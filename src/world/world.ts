// The World: runner's only door to its process — arguments, environment, working
// directory, its own stdout and stderr, the clock, signals and exit (as hereby's `D`).
// Everything else in src/ takes what it needs of it as an argument, so that the whole
// program can run in a test with a world of the test's making; world/real.ts builds the
// real one, and lint keeps `process` and `console` out of every other module.

export type StreamName = "stdout" | "stderr";

/** One of runner's own output streams. */
export interface Writer {
  write(chunk: string | Uint8Array): void;
  /**
   * A promise while the stream holds more than it wants buffered (a pipe to a slow
   * reader); it settles once the stream drains, ends or fails, so nothing waits for ever.
   */
  drained(): Promise<void> | undefined;
  /** Why writing failed (`ENOSPC`), when it did for another reason than a reader gone away. */
  failure(): string | undefined;
  readonly isTTY: boolean;
  /** The terminal's width now, when it is one. */
  columns(): number;
}

/** Why the watchdog took over from a stuck main thread: a time limit passed, or a signal came. */
export type StuckReason = "time limit" | "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";

/**
 * How a run whose main thread is stuck ends: `lines` on stderr, then `after` (synchronous work
 * only: the summary and the report), then the exit with `status`.
 */
export interface StuckEnd {
  readonly status: number;
  readonly lines: readonly string[];
  readonly after?: () => void;
}

/** A watch on the main thread from outside it, for task code stuck in a synchronous loop. */
export interface Watchdog {
  /** The earliest time limit of the tasks running now (epoch ms), or undefined for none. */
  setDeadline(epochMs: number | undefined): void;
  stop(): void;
}

/** Monotonic time for durations, wall-clock time for timestamps. */
export interface Clock {
  /** Milliseconds since runner started, with sub-millisecond precision. */
  now(): number;
  /** Milliseconds since the epoch. */
  epochMs(): number;
}

/** The files a tasks file gets for `runner-ts`, `runner-ts/testing` and their short names, in each module format. */
export interface RunnerEntries {
  readonly cjs: Readonly<Record<string, string>>;
  readonly esm: Readonly<Record<string, string>>;
}

/** runner itself, as the build made it: injected, so that src/ runs without the bundle. */
export interface RunnerIdentity {
  readonly version: string;
  readonly entries: RunnerEntries;
}

/**
 * Where a write to runner's own process.stdout/stderr goes now: a sink, or undefined for
 * where it always went.
 */
export type WriteRoute = (stream: StreamName) => ((chunk: Buffer) => void) | undefined;

export interface World {
  /** The words after `runner`. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Where runner was started. It stays so after `chdir`: runner's own paths from the command
   * line (`--file`, `--report`) are relative to where the user typed them.
   */
  readonly cwd: string;
  /** Changes the process's working directory: what task code sees as `process.cwd()`. */
  readonly chdir: (dir: string) => void;
  /** The user's home directory. */
  readonly home: string;
  /** The directory for temporary files. */
  readonly tmpdir: () => string;
  readonly platform: NodeJS.Platform;
  readonly pid: number;
  /** The Node runner runs under and its flags (process.execPath, process.execArgv): pool workers are started so too. */
  readonly node: { readonly execPath: string; readonly execArgv: readonly string[] };
  /** The user's id (undefined where there are none). */
  readonly uid: number | undefined;
  readonly stdout: Writer;
  readonly stderr: Writer;
  /**
   * Output is streaming through runner in bulk (child/flood.ts): free dead read buffers
   * sooner (on V8 13 and later, cap the young generation at 8 MB). Called at most once a run.
   */
  readonly outputFlood: () => void;
  /** Whether a command may be handed runner's stdin (serial runs do). */
  readonly stdinInheritable: boolean;
  /** The size of the terminal runner's stdout (else its stderr) is, now; undefined when neither is one. */
  readonly terminalSize: () => { readonly columns: number; readonly rows: number } | undefined;
  readonly clock: Clock;
  readonly runner: RunnerIdentity;
  /** import() of a file known only at run time (an ES-module tasks bundle, a JS config file). */
  readonly importModule: (specifier: string) => Promise<unknown>;
  /**
   * From now on, every stack trace (an error's `.stack`) is passed through `map`: a loaded
   * bundle's frames then point into its sources (the tasks file, not its bundle).
   */
  readonly mapStackTraces: (map: (stack: string) => string) => void;
  /** Calls `handler` for each of `signals` that arrives, until the returned function is called. */
  readonly onSignal: (signals: readonly NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void) => () => void;
  /** Calls `handler` when nothing is left to run (an empty event loop: nothing pending can settle). */
  readonly onIdle: (handler: () => void) => () => void;
  /** Calls `handler` synchronously as runner exits, however it exits. */
  readonly onExit: (handler: () => void) => () => void;
  /** Sends `signal` (0: only checks) to `pid`, or to a process group when `pid` is negative; false when there is none. */
  readonly kill: (pid: number, signal: NodeJS.Signals | 0) => boolean;
  /** Routes writes made to runner's own process.stdout/stderr (console.log in task code) until the returned function is called. */
  readonly captureWrites: (route: WriteRoute) => () => void;
  /**
   * Calls `handler` with the code whenever process.exit is called, until the returned
   * function is called. If the handler throws, the call throws that; if it returns, the
   * process exits as asked.
   */
  readonly trapExit: (handler: (code: number) => void) => () => void;
  /** Calls `handler` for an error nothing caught, or a rejection nothing handled, instead of dying. */
  readonly onUncaught: (handler: (error: unknown, how: "uncaught" | "unhandled rejection") => void) => () => void;
  /**
   * Starts the watchdog (undefined where there is none). `onStuck` runs on the main thread
   * from inside the stuck code; it says how the run ends (StuckEnd), and the process then ends.
   */
  readonly startWatchdog: (onStuck: (reason: StuckReason) => StuckEnd) => Watchdog | undefined;
  /**
   * Sets each of `values` that the process's environment (task code's `process.env`) does not
   * have; returns how to remove them again (those task code has not changed since).
   */
  readonly fillEnv: (values: Readonly<Record<string, string>>) => () => void;
  /** process.exitCode as code left it (undefined when unset), and a way to unset it. */
  readonly exitCode: { readonly get: () => number | undefined; readonly reset: () => void };
}
