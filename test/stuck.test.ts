// A task stuck in synchronous code (`for (;;) {}`) blocks runner's event loop: no timer, no
// signal handler can run. The watchdog, outside the main thread, still ends the run with the
// right status, a line naming the stuck task, and no command of the run left behind.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, project, runnerBin, runRunner } from "./helpers.ts";
import { killIfAlive, waitUntilGone } from "./process-helpers.ts";

const TASKS = `import { task } from "runner-ts";
export const spin = task({
  timeout: "1s",
  run: async (ctx) => {
    void ctx.run("sleep 300 & echo $! > bg; wait");
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (;;) {}
  },
});
export const bare = task({ timeout: "500ms", run: () => { for (;;) {} } });
export const first = task({ run: () => { console.log("first ran"); } });
export const later = task({ run: () => { console.log("later ran"); } });
export const forever = task({
  run: async (ctx) => {
    void ctx.run("sleep 300 & echo $! > bg; wait");
    await new Promise((resolve) => setTimeout(resolve, 300));
    console.log("spinning");
    for (;;) {}
  },
});
export const atOnce = task({ run: () => { console.log("spinning"); for (;;) {} } });
`;

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    killIfAlive(pid);
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Gone, as it should be.
    }
  }
});

/**
 * Starts runner as the leader of a process group of its own, as a shell starts a job: with no
 * terminal and not in CI (the watchdog is there all the same).
 */
function start(dir: string, args: readonly string[]) {
  const child = spawn(process.execPath, [runnerBin, ...args], {
    cwd: dir,
    env: cleanEnv({}),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid !== undefined) started.push(child.pid);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const ended = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stderr })),
  );
  const spinning = (async () => {
    for (let waited = 0; !stdout.includes("spinning") && waited < 10_000; waited += 50) await sleep(50);
  })();
  return { pid: child.pid ?? 0, ended, spinning };
}

describe("a task stuck in synchronous code", () => {
  it("still times out: status 124, a line naming it, its commands stopped", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["spin"], { cwd: dir, timeoutMs: 15_000 });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("✖ spin: stuck in synchronous code when its time limit (1s) passed");
    const background = Number(readFileSync(join(dir, "bg"), "utf8"));
    started.push(background);
    expect(await waitUntilGone(background)).toBe(true);
  });

  it("also when it never yields at all, from its first line", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["bare"], { cwd: dir, timeoutMs: 15_000 });
    expect([run.signal, run.code]).toEqual([null, 124]);
    expect(run.stderr).toMatch(
      /^✖ bare: stuck in synchronous code when its time limit \(500 ms\) passed; its commands were stopped and the run ended\n/,
    );
    expect(run.stderr).toMatch(/^1 task: 1 timed out in /m);
  });

  it("ends the run with its summary, and the report and JUnit files, as a time-out does", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["first", "bare", "later", "--report", "r.json", "--junit", "j.xml"], {
      cwd: dir,
      timeoutMs: 15_000,
    });
    expect(run.code, run.stderr).toBe(124);
    expect(run.stdout).toBe("first ran\n");
    expect(run.stderr).toMatch(/^ {2}✔ first +passed .*\n {2}✖ bare +timed out .*\n {2}○ later +skipped\n/m);
    expect(run.stderr).toMatch(/^3 tasks: 1 passed, 1 timed out, 1 skipped in /m);
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as {
      exitCode: number;
      tasks: { name: string; status: string; message: string | null }[];
    };
    expect(report.exitCode).toBe(124);
    expect(report.tasks.map((task) => [task.name, task.status])).toEqual([
      ["first", "passed"],
      ["bare", "timed-out"],
      ["later", "skipped"],
    ]);
    expect(report.tasks[1]?.message).toContain("stuck in synchronous code");
    expect(readFileSync(join(dir, "j.xml"), "utf8")).toContain('<testcase name="bare"');
  });

  it("still hears Ctrl-C (SIGINT to runner's process group): status 130, its commands stopped", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = start(dir, ["forever"]);
    await run.spinning;
    await sleep(700);
    process.kill(-run.pid, "SIGINT");
    const end = await run.ended;
    expect(end.code).toBe(130);
    expect(end.stderr).toContain("✖ forever: stuck in synchronous code when runner got SIGINT");
    // The summary still follows (every fatal signal ends in one).
    expect(end.stderr).toMatch(/^1 task: 1 cancelled in /m);
    const background = Number(readFileSync(join(dir, "bg"), "utf8"));
    started.push(background);
    expect(await waitUntilGone(background)).toBe(true);
  });

  /** Sends SIGTERM to runner alone `afterMs` into `task`'s spinning; how runner ended. */
  async function sigtermWhileStuck(
    task: string,
    afterMs: number,
  ): Promise<{ code: number | string | null; stderr: string }> {
    const dir = project({ "tasks.ts": TASKS });
    const run = start(dir, [task]);
    await run.spinning;
    await sleep(afterMs);
    process.kill(run.pid, "SIGTERM");
    return Promise.race([run.ended, sleep(10_000).then(() => ({ code: "still running", stderr: "" }))]);
  }

  // A worker thread hears signals sent to runner's pid alone only through Node's signal
  // binding: process.binding up to Node 22, an internal binding on Node 24.
  it("still hears SIGTERM sent to runner alone: status 143", async () => {
    const end = await sigtermWhileStuck("forever", 700);
    expect(end.code).toBe(143);
    expect(end.stderr).toContain("✖ forever: stuck in synchronous code when runner got SIGTERM");
    expect(end.stderr).not.toContain("internal");
    expect(end.stderr).toMatch(/^1 task: 1 cancelled in /m);
  });

  // The watchdog starts with the task's first line, not a while into the run: a start on a
  // timer would need the event loop that the stuck code holds from then on.
  it("hears SIGTERM also when stuck from its first line, with no time limit, terminal or CI", async () => {
    const end = await sigtermWhileStuck("at-once", 1500);
    expect(end.code).toBe(143);
    expect(end.stderr).toContain("✖ at-once: stuck in synchronous code when runner got SIGTERM");
    expect(end.stderr).toMatch(/^1 task: 1 cancelled in /m);
  });
});
