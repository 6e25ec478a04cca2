// Checks on real processes left behind (or not) by a run.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanEnv, runnerBin } from "./helpers.ts";

/** Whether `pid` names a live process (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", S being the state; Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/**
 * Waits (up to a few seconds: the kernel and init may take a moment to reap what was
 * killed) until `pid` is gone. Returns whether it went; the test asserts on that.
 */
export async function waitUntilGone(pid: number, patienceMs = 5000): Promise<boolean> {
  for (let waited = 0; waited < patienceMs; waited += 50) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** Reads the pid a task's command wrote into `file` in `dir`. */
export function readPid(dir: string, file = "pid"): number {
  const pid = Number(readFileSync(join(dir, file), "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${file}`);
  return pid;
}

/** Kills a process a failed test may have left behind. */
export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone, as it should be.
  }
}

/**
 * Starts runner with its stdout and stderr as pipes the test handles itself (to drain
 * a flood without keeping it, or to close the pipe early), in a clean environment.
 */
export function spawnRunner(
  args: readonly string[],
  cwd: string,
  extraEnv: Readonly<Record<string, string>> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  const env = cleanEnv(extraEnv);
  return spawn(process.execPath, [runnerBin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
}
