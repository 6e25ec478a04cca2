// Distributed runs (SPEC §8 "Nothing lost"), end to end: a worker killed with SIGKILL, a
// worker stopped with SIGTERM, Ctrl-C at the dispatcher and a Redis server restarted under a
// running task — with real workers, a real dispatcher and a real redis-server.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { normalize } from "./helpers.ts";
import { isAlive, waitUntilGone } from "./process-helpers.ts";
import { hasRedis, requireRedisInCI, startRedis } from "./redis-server.ts";
import {
  machinesFor,
  reportTasks,
  sharedRedis,
  STALL_ENV,
  startRunner,
  startWorker,
  stopAll,
  taken,
  waitForPid,
  type Worker,
} from "./remote-helpers.ts";

requireRedisInCI();

function tasksFile(shared: string): string {
  const at = (file: string): string => JSON.stringify(`'${join(shared, file)}'`);
  return `import { task } from "runner";
export const nap = task({ run: (ctx) => ctx.run("echo $$ > " + ${at("nap.pid")} + "; echo nap starts; sleep 3; echo nap done") });
export const hold = task({ run: (ctx) => ctx.run("echo $$ > " + ${at("hold.pid")} + "; exec sleep 30") });
export const two = task({ run: (ctx) => ctx.run("echo two starts; sleep 2; echo two ends") });
export const ticks = task({ run: (ctx) => ctx.run("for i in $(seq 1 30); do echo tick $i; sleep 0.1; done") });
export const quick = task({ run: (ctx) => ctx.run("echo quick") });
`;
}

const machines = machinesFor(tasksFile);

/** Waits (up to `patienceMs`) until one of `workers` has taken `task`; that one. */
async function whoTook(workers: readonly Worker[], task: string, patienceMs = 20_000): Promise<Worker | undefined> {
  for (let waited = 0; waited < patienceMs; waited += 25) {
    const found = workers.find((w) => taken(w).some(([name]) => name === task));
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

const redis = sharedRedis();

describe.skipIf(!hasRedis)("distributed runs lose nothing", () => {
  it("a worker killed with SIGKILL mid-task: the other worker takes the job up, 'attempt 2 on' it shows, the run passes", async () => {
    const m = machines(2);
    const env = STALL_ENV;
    const workers = [
      await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1", concurrency: 1, env }),
      await startWorker({ dir: m.there[1] ?? "", url: redis.server.url, name: "w2", concurrency: 1, env }),
    ];
    const run = startRunner(["--redis", redis.server.url, "--report", "r.json", "nap"], m.here, env);
    const first = await whoTook(workers, "nap");
    expect(first, run.all()).toBeDefined();
    if (first === undefined) return;
    const other = workers.find((w) => w !== first);
    if (other === undefined) throw new Error("two workers");
    await waitForPid(join(m.shared, "nap.pid"));
    first.kill("SIGKILL");

    const end = await run.ended;
    expect(end.code, end.all).toBe(0);
    expect(end.all).toContain(`↻ attempt 2 on ${other.name}`);
    expect(end.stdout.match(/^nap done$/gm), end.stdout).toHaveLength(1);
    expect(taken(other), other.stdout()).toEqual([["nap", 2]]);
    expect(other.stdout()).toMatch(/^✔ nap passed in /m);
    expect(reportTasks(join(m.here, "r.json"))[0]).toMatchObject({ name: "nap", status: "passed", worker: other.name });
  }, 60_000);

  it("Ctrl-C at the dispatcher: exit 130 as locally, the task's process on the worker is gone, the worker takes the next run's task", async () => {
    const m = machines(1);
    const pidFile = join(m.shared, "hold.pid");
    const interrupt = async (
      args: readonly string[],
    ): Promise<{ code: number | null; stderr: string; pid: number }> => {
      rmSync(pidFile, { force: true });
      const run = startRunner([...args, "hold", "quick"], m.here);
      const pid = await waitForPid(pidFile);
      run.kill("SIGINT");
      const end = await run.ended;
      const gone = await waitUntilGone(pid, 10_000);
      expect(gone, `the command of ${args.join(" ") || "the local run"} is still running`).toBe(true);
      return { code: end.code, stderr: end.stderr, pid };
    };
    const local = await interrupt([]);
    expect(local.code).toBe(130);

    const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const remote = await interrupt(["--redis", redis.server.url]);
    expect(remote.code, remote.stderr).toBe(130);
    expect(normalize(remote.stderr)).toBe(normalize(local.stderr));
    expect(await w1.waitFor(/^■ hold cancelled\b/m, 10_000), w1.stdout()).toBe(true);
    expect(w1.exited()).toBe(false);
    expect(isAlive(w1.pid)).toBe(true);

    const next = startRunner(["--redis", redis.server.url, "quick"], m.here);
    const end = await next.ended;
    expect(end.code, end.all).toBe(0);
    expect(end.stdout).toBe("quick\n");
    expect(taken(w1), w1.stdout()).toEqual([
      ["hold", 1],
      ["quick", 1],
    ]);
  }, 60_000);

  it("a dispatcher killed with SIGKILL: the worker cancels its task and the task's process, and keeps running", async () => {
    const m = machines(1);
    const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const run = startRunner(["--redis", redis.server.url, "hold"], m.here);
    const pid = await waitForPid(join(m.shared, "hold.pid"));
    run.kill("SIGKILL");
    await run.ended;
    expect(await waitUntilGone(pid, 15_000), `sleep 30 still runs:\n${w1.all()}`).toBe(true);
    expect(await w1.waitFor(/^■ hold cancelled\b/m, 10_000), w1.stdout()).toBe(true);
    expect(w1.exited()).toBe(false);
  }, 60_000);

  it("SIGTERM to a worker mid-task: the task finishes and passes at the dispatcher, then the worker exits 0", async () => {
    const m = machines(1);
    const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const run = startRunner(["--redis", redis.server.url, "two"], m.here);
    expect(await w1.waitFor(/^▶ two \(attempt 1\)$/m), w1.all()).toBe(true);
    w1.kill("SIGTERM");
    const [dispatched, worker] = await Promise.all([run.ended, w1.ended]);
    expect(dispatched.code, dispatched.all).toBe(0);
    expect(dispatched.stdout).toBe("two starts\ntwo ends\n");
    expect(dispatched.all).not.toContain("attempt 2");
    expect(worker.code, worker.all).toBe(0);
    expect(worker.signal).toBe(null);
    expect(worker.stdout).toMatch(/^✔ two passed in /m);
  }, 60_000);

  it("a worker told to stop while Redis is down still exits, within its grace period", async () => {
    const lonely = await startRedis();
    try {
      const m = machines(1);
      const w1 = await startWorker({
        dir: m.there[0] ?? "",
        url: lonely.url,
        name: "w1",
        env: { RUNNER_WORKER_GRACE: "2s" },
      });
      await lonely.stop();
      w1.kill("SIGTERM");
      // Nothing runs, so nothing to wait for; 15 s is far beyond the 2 s grace.
      const end = await Promise.race([w1.ended, sleep(15_000).then(() => undefined)]);
      expect(end, `still running 15 s after SIGTERM:\n${w1.all()}`).toBeDefined();
      expect(end?.code, end?.all).toBe(0);
    } finally {
      await stopAll();
      await lonely.stop();
    }
  }, 60_000);

  it("Redis restarted under a running task costs no output", async () => {
    const persistent = await startRedis({ persist: true });
    try {
      const m = machines(1);
      const w1 = await startWorker({ dir: m.there[0] ?? "", url: persistent.url, name: "w1" });
      const run = startRunner(["--redis", persistent.url, "ticks"], m.here);
      // Output streams back live: the first lines are at the dispatcher while the task still runs.
      expect(await run.waitFor(/^tick 3$/m, 20_000), run.all()).toBe(true);
      expect(run.stdout()).not.toContain("tick 30");
      await persistent.restart(500);
      const end = await run.ended;
      expect(end.code, `${end.all}\n--- worker:\n${w1.all()}`).toBe(0);
      const ticks = end.stdout.split("\n").filter((line) => line.startsWith("tick "));
      expect(ticks).toEqual(Array.from({ length: 30 }, (_, i) => `tick ${i + 1}`));
    } finally {
      await stopAll();
      await persistent.stop();
    }
  }, 60_000);
});
