// Support for the end-to-end tests of distributed runs (SPEC §8): runner processes — workers
// and dispatchers — started as the tests' own children and watched through their output,
// a Redis emptied between tests, and one place that ends whatever a test left running.
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { cleanEnv, collectOutput, project, runnerBin } from "./helpers.ts";
import { isAlive, killIfAlive } from "./process-helpers.ts";
import { hasRedis, startRedis, type RedisServer } from "./redis-server.ts";

/** Short BullMQ stall settings, for workers and dispatchers alike, so a dead worker's job is taken up within seconds. */
export const STALL_ENV: Readonly<Record<string, string>> = {
  RUNNER_REDIS_LOCK_DURATION: "1000",
  RUNNER_REDIS_STALLED_INTERVAL: "500",
  RUNNER_REDIS_MAX_STALLED: "1",
};

export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly all: string;
}

/** A runner process the test started and watches. */
export interface Running {
  readonly pid: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** stdout and stderr as they interleaved. */
  readonly all: () => string;
  readonly ended: Promise<Ended>;
  readonly exited: () => boolean;
  /** Waits (up to `patienceMs`) until `pattern` matches its stdout; false if it did not, or the process ended first. */
  readonly waitFor: (pattern: RegExp, patienceMs?: number, stream?: "stdout" | "all") => Promise<boolean>;
  readonly kill: (signal: NodeJS.Signals) => void;
}

/** Everything started here and not yet ended: afterEach(stopAll) ends it. */
const started = new Set<ChildProcessByStdio<null, Readable, Readable>>();
/** Pids of task commands a test learnt (from pid files): killed if still alive at the end. */
const commandPids = new Set<number>();

/** Starts `runner ...args` in `cwd`, with a clean environment plus `env` (the runner of `bin`, else the tests' build). */
export function startRunner(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
  bin = runnerBin,
): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.add(child);
  const { stdout, stderr, all } = collectOutput(child);
  let done = false;
  const ended = new Promise<Ended>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      done = true;
      started.delete(child);
      resolve({ code, signal, stdout: stdout(), stderr: stderr(), all: all() });
    });
  });
  const waitFor = async (
    pattern: RegExp,
    patienceMs = 20_000,
    stream: "stdout" | "all" = "stdout",
  ): Promise<boolean> => {
    const text = stream === "stdout" ? stdout : all;
    for (let waited = 0; waited < patienceMs; waited += 25) {
      if (pattern.test(text())) return true;
      if (done) break;
      await sleep(25);
    }
    return pattern.test(text());
  };
  return {
    pid: child.pid ?? -1,
    stdout,
    stderr,
    all,
    ended,
    exited: () => done,
    waitFor,
    kill: (signal) => {
      if (!done) child.kill(signal);
    },
  };
}

export interface WorkerOptions {
  /** A project directory holding the tasks file. */
  readonly dir: string;
  readonly url: string;
  /** RUNNER_WORKER_NAME. */
  readonly name: string;
  readonly concurrency?: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Another runner's bin/runner.js than the tests' build. */
  readonly bin?: string;
}

export interface Worker extends Running {
  readonly name: string;
}

/** The line a worker prints once it takes jobs. */
export function readyLine(name: string, shownUrl: string, concurrency: number, queue = "runner"): string {
  return `runner worker ${name}: waiting for tasks on ${shownUrl} (queue ${queue}, concurrency ${concurrency})`;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const READY = (name: string): RegExp =>
  new RegExp(`^runner worker ${escape(name)}: waiting for tasks on \\S+ \\(queue \\S+, concurrency \\d+\\)$`, "m");

/** Starts `runner --worker` and waits for its ready line (never a fixed sleep); throws with its output if it does not come. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const args = ["--worker", "--redis", options.url];
  if (options.concurrency !== undefined) args.push("--concurrency", String(options.concurrency));
  const running = startRunner(args, options.dir, { ...options.env, RUNNER_WORKER_NAME: options.name }, options.bin);
  if (!(await running.waitFor(READY(options.name), 20_000))) {
    running.kill("SIGKILL");
    throw new Error(`worker ${options.name} did not say it was ready:\n${running.all()}`);
  }
  return { ...running, name: options.name };
}

/** The `▶ <task> (attempt <n>)` lines a worker printed, as [task, attempt] pairs. */
export function taken(worker: Running): Array<[string, number]> {
  return [...worker.stdout().matchAll(/^▶ (\S+) \(attempt (\d+)\)$/gm)].map((m) => [m[1] ?? "", Number(m[2])]);
}

/** Waits (up to `patienceMs`) until `file` holds a pid; remembers it, so that stopAll kills it if it is left. */
export async function waitForPid(file: string, patienceMs = 20_000): Promise<number> {
  for (let waited = 0; waited <= patienceMs; waited += 25) {
    try {
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) {
        commandPids.add(pid);
        return pid;
      }
    } catch {
      // Not written yet.
    }
    await sleep(25);
  }
  throw new Error(`no pid in ${file} after ${patienceMs} ms`);
}

/** Ends every runner process still running (SIGTERM, then SIGKILL after a few seconds) and every remembered command. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      const gone = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("close", () => resolve());
      });
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(timer);
    }),
  );
  started.clear();
  for (const pid of commandPids) if (isAlive(pid)) killIfAlive(pid);
  commandPids.clear();
}

/** Empties the (password-less) server, so that a job a failed test left behind cannot reach the next test's worker. */
export function flushRedis(server: RedisServer): void {
  const result = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(server.port), "FLUSHALL"], {
    encoding: "utf8",
  });
  if (result.status !== 0 || !result.stdout.includes("OK")) {
    throw new Error(`redis-cli FLUSHALL failed: ${result.stderr}${result.stdout}`);
  }
}

/** `{ name, status, exitCode, worker }` of each task in a --report file. */
export function reportTasks(file: string): Array<Record<string, unknown>> {
  const report = JSON.parse(readFileSync(file, "utf8")) as { tasks: Array<Record<string, unknown>> };
  return report.tasks;
}

/** The projects of a test: one for the dispatcher, one per worker, the same tasks file in each. */
export interface Machines {
  /** Where tasks leave files for each other and for the test. */
  readonly shared: string;
  /** The dispatcher's project. */
  readonly here: string;
  /** One project per worker, each with the same tasks file. */
  readonly there: readonly string[];
}

/** Makes `Machines` whose tasks file is `tasksFile(shared)` (or another one's, given). */
export function machinesFor(
  tasksFile: (shared: string) => string,
): (workers: number, tasks?: (shared: string) => string) => Machines {
  return (workers, tasks = tasksFile) => {
    const shared = project();
    const files = { "tasks.ts": tasks(shared) };
    return { shared, here: project(files), there: Array.from({ length: workers }, () => project(files)) };
  };
}

/**
 * One redis-server for a test file (when there is one): started before its tests, emptied
 * before each, ended after them all; what a test started ends after it.
 */
export function sharedRedis(): { readonly server: RedisServer } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    if (hasRedis) server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    if (server !== undefined) flushRedis(server);
  });
  afterEach(stopAll);
  return {
    get server(): RedisServer {
      if (server === undefined) throw new Error("no redis-server (the tests using it skip without one)");
      return server;
    },
  };
}
