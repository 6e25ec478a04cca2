// How a pool worker process is forked: runner's boot script under the same Node as runner,
// IPC with advanced serialization, its stdout and stderr piped to runner, leading a process
// group of its own. One function for the pool and for spares forked ahead of it (spares.ts),
// so that a spare is only ever taken where it was forked exactly as the pool would fork.
import type { ChildProcess } from "node:child_process";

export interface WorkerFork {
  /** The script the workers run (dist/boot.cjs). */
  readonly script: string;
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The workers' stdin: runner's own where commands may read it (as in-process: a serial run), else none. */
  readonly stdin: "inherit" | "ignore";
}

/** Node's inspector flags: a worker with runner's would fight it for the port. */
const INSPECT = /^--inspect(-brk|-port|-wait)?(=|$)/;

/** The workers' environment: runner's, marked, without an inspector flag in NODE_OPTIONS. */
function workerEnv(env: WorkerFork["env"]): Record<string, string | undefined> {
  const nodeOptions = env.NODE_OPTIONS?.split(/\s+/).filter((word) => word !== "" && !INSPECT.test(word));
  return {
    ...env,
    ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions.join(" ") }),
    RUNNER_POOL_WORKER: "1",
  };
}

let fork: typeof import("node:child_process").fork | undefined;

export function forkWorker(spec: WorkerFork): ChildProcess {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by runs that isolate a task only
  fork ??= (require("node:child_process") as typeof import("node:child_process")).fork;
  return fork(spec.script, [], {
    cwd: spec.cwd,
    env: workerEnv(spec.env),
    execPath: spec.execPath,
    execArgv: spec.execArgv.filter((arg) => !INSPECT.test(arg)),
    serialization: "advanced",
    stdio: [spec.stdin, "pipe", "pipe", "ipc"],
    detached: true,
  });
}

/** Whether `child` has not been reaped: until then its pid, and so its group id, cannot be anyone else's. */
export function unreaped(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Kills a worker and what it forked itself: the process group it leads (detached), only while
 * it is not yet reaped; the worker alone where there is no such group.
 */
export function killWorkerGroup(child: ChildProcess, kill: (pid: number, signal: NodeJS.Signals) => boolean): void {
  const pid = child.pid;
  if (pid !== undefined && unreaped(child) && !kill(-pid, "SIGKILL")) child.kill("SIGKILL");
}

/** Whether two forks make the same worker: same program, arguments, directory, stdin and environment. */
export function sameFork(a: WorkerFork, b: WorkerFork): boolean {
  const sameList = (x: readonly string[], y: readonly string[]): boolean =>
    x.length === y.length && x.every((item, i) => item === y[i]);
  const set = (env: WorkerFork["env"]): string[] => Object.keys(env).filter((key) => env[key] !== undefined);
  const keys = set(a.env);
  return (
    a.script === b.script &&
    a.execPath === b.execPath &&
    a.cwd === b.cwd &&
    a.stdin === b.stdin &&
    sameList(a.execArgv, b.execArgv) &&
    keys.length === set(b.env).length &&
    keys.every((key) => a.env[key] === b.env[key])
  );
}
