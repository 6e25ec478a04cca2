// The real World: process.argv and friends. With the boot loader, the only module that
// touches `process` (lint allows it here and nowhere else in src/).
import { homedir, tmpdir } from "node:os";
import { leaveWithoutTeardown } from "./leave.ts";
import { startWatchdog } from "./watchdog.ts";
import type { RunnerIdentity, StreamName, World, WriteRoute, Writer } from "./world.ts";

export interface RealWorldOptions {
  readonly runner: RunnerIdentity;
  readonly importModule: (specifier: string) => Promise<unknown>;
  /** The watchdog's worker script (dist/watchdog.cjs). */
  readonly watchdog: string;
}

export function realWorld(options: RealWorldOptions): World {
  const origin = process.hrtime.bigint();
  return {
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    chdir: (dir) => process.chdir(dir),
    home: homedir(),
    tmpdir,
    platform: process.platform,
    pid: process.pid,
    node: { execPath: process.execPath, execArgv: process.execArgv },
    uid: process.getuid?.(),
    stdout: writerOf(process.stdout),
    stderr: writerOf(process.stderr),
    outputFlood,
    stdinInheritable: true,
    terminalSize,
    clock: {
      // process.hrtime, not performance.now(): the first touch of the `performance` global
      // loads Node's whole perf_hooks machinery (a dozen internal modules) at every run.
      now: () => Number(process.hrtime.bigint() - origin) / 1e6,
      epochMs: () => Date.now(),
    },
    runner: options.runner,
    importModule: options.importModule,
    mapStackTraces,
    onSignal: (signals, handler) => {
      for (const signal of signals) process.on(signal, handler);
      return () => {
        for (const signal of signals) process.off(signal, handler);
      };
    },
    onIdle: (handler) => {
      process.on("beforeExit", handler);
      return () => process.off("beforeExit", handler);
    },
    onExit: (handler) => {
      process.on("exit", handler);
      return () => process.off("exit", handler);
    },
    kill,
    captureWrites,
    trapExit,
    startWatchdog: (onStuck) => {
      watched = true;
      return startWatchdog(options.watchdog, onStuck);
    },
    onUncaught: (handler) => {
      const uncaught = (error: unknown): void => handler(error, "uncaught");
      const rejected = (error: unknown): void => handler(error, "unhandled rejection");
      process.on("uncaughtException", uncaught);
      process.on("unhandledRejection", rejected);
      return () => {
        process.off("uncaughtException", uncaught);
        process.off("unhandledRejection", rejected);
      };
    },
    fillEnv,
    exitCode: {
      get: () => {
        const code: unknown = process.exitCode;
        return typeof code === "number"
          ? code
          : typeof code === "string" && /^\d+$/.test(code)
            ? Number(code)
            : undefined;
      },
      reset: () => {
        process.exitCode = undefined;
      },
    },
  };
}

/** Settles once everything written to stdout and stderr has left runner (or failed to). */
export async function flushOutput(): Promise<void> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
}

/**
 * Ends runner with `code`. Whatever task code left behind — a timer, an open client, the
 * JavaScript of a task that timed out and ignored ctx.signal — must not keep runner (and the
 * CI job calling it) alive. Nor may Node's own teardown: see skipTeardown.
 */
export function exitWith(code: number): never {
  process.exitCode = code;
  // The last of the exit listeners: the others (the code cache, the process groups) run first.
  process.once("exit", skipTeardown);
  process.exit();
}

/** How long a run must have lasted for its exit to skip Node's teardown (see skipTeardown). */
const TEARDOWN_RISK_AFTER_S = 1;

/** Whether this process started a watchdog thread, which Node's exit would wait for. */
let watched = false;

/**
 * Leaves without Node's teardown (leave.ts) after a run of a second or more, or once a
 * watchdog thread was started: Node's exit joins that thread, and a short run's would still be
 * booting (a Node start-up of its own, ~40 ms, that the exit would wait out). A short run with
 * no watchdog leaves as Node does: the shell's start (~3 ms) would be a noticeable part of it,
 * and such a short life leaves V8 little to be compiling at exit.
 */
function skipTeardown(code: number): void {
  if (watched || process.uptime() >= TEARDOWN_RISK_AFTER_S) leaveWithoutTeardown(Number(process.exitCode ?? code));
}

/**
 * runner's own writer for one stream, bound now (before capturing reroutes
 * process.stdout.write). A reader that went away (`runner test | head`) is not the run's
 * failure: the rest of that stream's output is dropped and the tasks run to their end. Any
 * other failure (a full disk) drops the rest too, and is told by `failure()`. Either way no
 * write is attempted again, and nothing waits on the stream.
 */
function writerOf(stream: NodeJS.WriteStream): Writer {
  const write = stream.write.bind(stream);
  let closed = false;
  let failure: string | undefined;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    closed = true;
    if (error.code !== "EPIPE" && failure === undefined) failure = error.code ?? error.message;
  });
  // One promise for every producer waiting at once, not one set of listeners each.
  let draining: Promise<void> | undefined;
  const drained = (): Promise<void> | undefined => {
    if (closed || !stream.writableNeedDrain || stream.destroyed) return undefined;
    draining ??= new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        draining = undefined;
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
      stream.on("error", done);
    });
    return draining;
  };
  return {
    write: (chunk) => {
      if (!closed) write(chunk);
    },
    drained,
    failure: () => failure,
    isTTY: stream.isTTY,
    // A pseudo-terminal with no size set reports 0 columns.
    columns: () => stream.columns || 80,
  };
}

function terminalSize(): { columns: number; rows: number } | undefined {
  const terminal = process.stdout.isTTY ? process.stdout : process.stderr.isTTY ? process.stderr : undefined;
  // A pseudo-terminal with no size set reports 0 columns and rows.
  if (terminal === undefined || !(terminal.columns > 0) || !(terminal.rows > 0)) return undefined;
  return { columns: terminal.columns, rows: terminal.rows };
}

/**
 * process.kill, telling "no such process" by its answer. It says so by throwing, and building
 * that error's stack trace costs more than the system call: every command ends with such a
 * check, so the error is made without one.
 */
function kill(pid: number, signal: NodeJS.Signals | 0): boolean {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Settles once everything written to `stream` has left runner. Not just "no longer needs
 * draining": a pipe may still hold bytes below its high-water mark (Node 24 writes pipes
 * asynchronously), and process.exit() would drop them.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("error", () => resolve());
    stream.write("", () => resolve());
  });
}

/**
 * Reroutes process.stdout.write and process.stderr.write (what console.log calls) through
 * `route` until the returned function puts them back. Exported for tests, whose worlds
 * capture their own process's console the same way.
 */
export function captureWrites(route: WriteRoute): () => void {
  const streams = [
    [process.stdout, "stdout"],
    [process.stderr, "stderr"],
  ] as const satisfies readonly (readonly [NodeJS.WriteStream, StreamName])[];
  const originals = streams.map(([stream, name]) => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back, and called with its stream
    const original = stream.write;
    const routed = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const sink = typeof chunk === "string" || chunk instanceof Uint8Array ? route(name) : undefined;
      if (sink === undefined) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      // write(text, encoding): text in another encoding than UTF-8 ("hex", "latin1") is
      // turned into the bytes it stands for. A copy either way: the writer may reuse its
      // buffer once write() returns, and the sink may hold on to the chunk.
      const encoding = typeof rest[0] === "string" && Buffer.isEncoding(rest[0]) ? rest[0] : "utf8";
      sink(typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array));
      // write(chunk, encoding?, callback?): call the callback as a stream would.
      const callback = rest.find((arg): arg is () => void => typeof arg === "function");
      if (callback !== undefined) queueMicrotask(callback);
      return true;
    };
    stream.write = routed;
    return [stream, original] as const;
  });
  return () => {
    for (const [stream, original] of originals) stream.write = original;
  };
}

/** Replaces process.exit until put back: `handler` sees the code first (and may throw). */
export function trapExit(handler: (code: number) => void): () => void {
  const original = process.exit.bind(process);
  process.exit = (code?: number | string | null) => {
    const given = code ?? process.exitCode;
    const number =
      typeof given === "number" ? given : typeof given === "string" && /^\d+$/.test(given) ? Number(given) : 0;
    handler(number);
    return original(code);
  };
  return () => {
    process.exit = original;
  };
}

/** World.fillEnv on the real process.env (test/world.ts uses it too: task code runs in the test's process). */
export function fillEnv(values: Readonly<Record<string, string>>): () => void {
  const added = Object.entries(values).filter(([key]) => process.env[key] === undefined);
  for (const [key, value] of added) process.env[key] = value;
  return () => {
    for (const [key, value] of added) if (process.env[key] === value) Reflect.deleteProperty(process.env, key);
  };
}

/**
 * V8 formats a stack when it is first read, through Error.prepareStackTrace (Node's own
 * formatter, or whatever was installed before): its text is mapped then, so nothing is
 * done for errors whose stack nobody reads.
 */
function mapStackTraces(map: (stack: string) => string): void {
  // Node 20 and 24 expose their formatter here; V8's own format where nothing is.
  const previous = Reflect.get(Error, "prepareStackTrace") as
    ((error: Error, sites: NodeJS.CallSite[]) => unknown) | undefined;
  Error.prepareStackTrace = (error, sites) => {
    const stack: unknown =
      previous === undefined
        ? // A CallSite's toString is V8's text for the frame.
          // eslint-disable-next-line @typescript-eslint/no-base-to-string
          [String(error), ...sites.map((site) => `    at ${String(site)}`)].join("\n")
        : previous(error, sites);
    if (typeof stack !== "string") return stack;
    try {
      return map(stack);
    } catch {
      return stack;
    }
  };
}

/**
 * V8 13 (Node 24) grows the young generation to 64 MB; earlier ones stop at 8–32 MB, and
 * know no such flag (setting it would print an error).
 */
function outputFlood(): void {
  if (Number(process.versions.v8.split(".")[0]) < 13) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only in a run that streams this much
  (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--scavenger-max-new-space-capacity-mb=8");
}
