// Distributed runs (SPEC §8), end to end: the real CLI as dispatcher and as workers, a real
// redis-server. A remote run must look like a local run of the same tasks — output, summary,
// report, JUnit, exit status — with each task's worker recorded. The dispatcher and each
// worker have project directories of their own holding the same tasks file, as machines
// would; what tasks must share (a file a dep writes, pid files) is under one more directory.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner, type RunResult } from "./helpers.ts";
import { waitUntilGone } from "./process-helpers.ts";
import { freePort, hasOpenssl, hasRedis, requireRedisInCI, startRedis } from "./redis-server.ts";
import {
  machinesFor,
  readyLine,
  sharedRedis,
  reportTasks,
  startRunner,
  startWorker,
  stopAll,
  taken,
  waitForPid,
} from "./remote-helpers.ts";

requireRedisInCI();

/** The tasks file of every project in a test; `shared` is where tasks leave files for each other and for the test. */
function tasksFile(shared: string): string {
  const at = (file: string): string => JSON.stringify(`'${join(shared, file)}'`);
  return `import { task } from "runner";
export const base = task({ run: (ctx) => ctx.run("sleep 0.2; echo built > " + ${at("base.txt")} + "; echo base done") });
export const use = task({ deps: [base], run: (ctx) => ctx.run("cat " + ${at("base.txt")} + "; echo use done") });
export const a = task({ run: (ctx) => ctx.run("echo a starts; sleep 2; echo a ends") });
export const b = task({ run: (ctx) => ctx.run("echo b starts; sleep 3; echo b ends") });
export const flood = task({ run: (ctx) => ctx.run("for i in $(seq 1 2000); do echo line $i; done") });
// Some 4 MB on stdout and 0.6 MB on stderr: many stream entries each, with their ends mid-line.
export const big = task({ run: (ctx) => ctx.run("seq 1 600000; seq 1 100000 >&2") });
export const fail3 = task({ run: (ctx) => ctx.run("echo failing; exit 3") });
// slow writes its pid and sleeps; failLater fails once slow is running, so fail-fast always has slow to cancel.
export const slow = task({ run: (ctx) => ctx.run("echo $$ > " + ${at("slow.pid")} + "; exec sleep 3") });
export const failLater = task({
  run: (ctx) => ctx.run("while [ ! -e " + ${at("slow.pid")} + " ]; do sleep 0.05; done; echo failing later; exit 3"),
});
export const after = task({ deps: [failLater], run: (ctx) => ctx.run("echo after") });
export const greet = task({
  options: { count: { type: "number", default: 1 } },
  run: (ctx, o) => ctx.run("echo hello " + o.count),
});
export const once = task({ run: (ctx) => ctx.run("echo ran >> " + ${at("once.txt")} + "; echo once") });
`;
}

const machines = machinesFor(tasksFile);

/** What a run says about each task in its --report, without times and workers. */
function statuses(file: string): unknown[] {
  return reportTasks(file).map(({ name, status, exitCode, signal, message }) => ({
    name,
    status,
    exitCode,
    signal,
    message,
  }));
}

const normalizeJunit = (xml: string): string => xml.replace(/ (time|timestamp)="[^"]*"/g, ' $1="<t>"');

/** One line of output and nothing else: an error, not a stack or a hang's last words. */
function expectOneLine(run: RunResult): void {
  expect(
    run.all.split("\n").filter((line) => line !== ""),
    run.all,
  ).toHaveLength(1);
  expect(run.all, run.all).not.toMatch(/\n\s+at /);
}

const redis = sharedRedis();

describe.skipIf(!hasRedis)("runner --redis with workers", () => {
  it("two workers run a parallel run as a local run would: same output, summary, exit status, report, JUnit; each task's worker is recorded", async () => {
    const m = machines(2);
    const args = ["-p", "-j", "4", "--output", "grouped", "--report", "r.json", "--junit", "j.xml"];
    const tasks = ["use", "a", "b", "base"];
    const local = await runRunner([...args, ...tasks], { cwd: m.here });
    expect(local.code, local.all).toBe(0);
    const localReport = statuses(join(m.here, "r.json"));
    const localJunit = readFileSync(join(m.here, "j.xml"), "utf8");
    // The remote `use` must read what the remote `base` wrote, not what the local run left.
    rmSync(join(m.shared, "base.txt"));

    const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1", concurrency: 2 });
    const w2 = await startWorker({ dir: m.there[1] ?? "", url: redis.server.url, name: "w2", concurrency: 2 });
    expect(w1.stdout().split("\n")[0]).toBe(readyLine("w1", redis.server.url, 2));
    expect(w2.stdout().split("\n")[0]).toBe(readyLine("w2", redis.server.url, 2));

    const remote = await runRunner(["--redis", redis.server.url, ...args, ...tasks], {
      cwd: m.here,
      timeoutMs: 40_000,
    });
    expect(remote.code, remote.all).toBe(local.code);
    expect(normalize(remote.stdout)).toBe(normalize(local.stdout));
    expect(normalize(remote.stderr)).toBe(normalize(local.stderr));
    expect(statuses(join(m.here, "r.json"))).toEqual(localReport);
    expect(normalizeJunit(readFileSync(join(m.here, "j.xml"), "utf8"))).toBe(normalizeJunit(localJunit));

    // The dep ran before its dependent: `use` printed what `base` wrote (else it fails, above).
    expect(remote.stdout).toContain("built\nuse done\n");
    const workers = Object.fromEntries(reportTasks(join(m.here, "r.json")).map((t) => [t.name, t.worker]));
    for (const name of tasks) expect(["w1", "w2"], `worker of ${name}`).toContain(workers[name]);
    // Three tasks are ready at once and a worker runs two: both workers took some.
    expect(new Set(Object.values(workers))).toEqual(new Set(["w1", "w2"]));
    // Each worker said so, once per task it took and finished.
    for (const w of [w1, w2]) {
      const mine = tasks.filter((name) => workers[name] === w.name);
      expect(
        taken(w)
          .map(([name]) => name)
          .sort(),
        w.stdout(),
      ).toEqual([...mine].sort());
      for (const name of mine) expect(w.stdout()).toMatch(new RegExp(`^✔ ${name} passed in `, "m"));
    }
  }, 60_000);

  it("2,000 lines of one task arrive complete and in order", async () => {
    const m = machines(1);
    await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const remote = await runRunner(["--redis", redis.server.url, "flood"], { cwd: m.here });
    expect(remote.code, remote.stderr).toBe(0);
    const lines = remote.stdout.split("\n").filter((line) => line.startsWith("line "));
    expect(lines).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`));
    const local = await runRunner(["flood"], { cwd: m.here });
    expect(remote.stdout).toBe(local.stdout);
  });

  it("megabytes of one task's output arrive complete and in order, on stdout and on stderr", async () => {
    const m = machines(1);
    await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const remote = await runRunner(["--redis", redis.server.url, "big"], { cwd: m.here, timeoutMs: 40_000 });
    expect(remote.code, remote.stderr.slice(-500)).toBe(0);
    const local = await runRunner(["big"], { cwd: m.here });
    expect(remote.stdout.length).toBeGreaterThan(4_000_000);
    expect(remote.stdout === local.stdout, "stdout differs from the local run's").toBe(true);
    expect(normalize(remote.stderr) === normalize(local.stderr), "stderr differs from the local run's").toBe(true);
  }, 60_000);

  it("a failing remote task gives its exit status, as locally", async () => {
    const m = machines(1);
    const local = await runRunner(["fail3"], { cwd: m.here });
    expect(local.code).toBe(3);
    await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const remote = await runRunner(["--redis", redis.server.url, "fail3"], { cwd: m.here });
    expect(remote.code, remote.all).toBe(local.code);
    expect(remote.stdout).toBe(local.stdout);
    expect(normalize(remote.stderr)).toBe(normalize(local.stderr));
  });

  it("fail-fast cancels the other remote task and its process, -k lets it finish; both as locally", async () => {
    const m = machines(1);
    const slowPid = join(m.shared, "slow.pid");
    const run = async (remote: string[], keepGoing: string[]): Promise<[number | null, unknown[]]> => {
      rmSync(slowPid, { force: true });
      const r = await runRunner(
        [...remote, ...keepGoing, "-p", "-j", "4", "--report", "r.json", "slow", "fail-later", "after"],
        {
          cwd: m.here,
          timeoutMs: 30_000,
        },
      );
      return [r.code, statuses(join(m.here, "r.json"))];
    };
    const localFast = await run([], []);
    const localKeep = await run([], ["-k"]);
    expect(localFast[0]).toBe(3);
    expect(localKeep[0]).toBe(3);

    await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1", concurrency: 4 });
    const remoteFast = await run(["--redis", redis.server.url], []);
    expect(remoteFast).toEqual(localFast);
    // The cancelled remote task's command is gone too.
    expect(await waitUntilGone(await waitForPid(slowPid, 0), 10_000)).toBe(true);
    const remoteKeep = await run(["--redis", redis.server.url], ["-k"]);
    expect(remoteKeep).toEqual(localKeep);
  }, 60_000);

  it("a bad option is refused by the dispatcher (exit 2, one line) and no job reaches a worker", async () => {
    const m = machines(1);
    const local = await runRunner(["greet", "--count", "notanumber"], { cwd: m.here });
    expect(local.code).toBe(2);
    const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const remote = await runRunner(["--redis", redis.server.url, "greet", "--count", "notanumber"], { cwd: m.here });
    expect(remote.code, remote.all).toBe(2);
    expectOneLine(remote);
    expect(remote.all).toBe(local.all);
    // Had a job been sent, the worker would take it before the next run's (the queue is first in, first out).
    const next = await runRunner(["--redis", redis.server.url, "greet", "--count", "7"], { cwd: m.here });
    expect(next.code, next.all).toBe(0);
    expect(next.stdout).toContain("hello 7");
    expect(taken(w1), w1.stdout()).toEqual([["greet", 1]]);
  });

  it("a worker whose tasks file differs fails the task with a clear message, once, not retried", async () => {
    const m = machines(0);
    const other = project({ "tasks.ts": `${tasksFile(m.shared)}\n// edited on the worker's machine\n` });
    const w1 = await startWorker({ dir: other, url: redis.server.url, name: "w1" });
    const remote = await runRunner(["--redis", redis.server.url, "--retries", "2", "--report", "r.json", "once"], {
      cwd: m.here,
    });
    expect(remote.code, remote.all).not.toBe(0);
    expect(remote.all).toContain("tasks file differs");
    expect(remote.all).not.toContain("attempt 2");
    expect(taken(w1), w1.stdout()).toEqual([["once", 1]]);
    expect(existsSync(join(m.shared, "once.txt")), "the worker ran its own version of the task").toBe(false);
    const [entry] = reportTasks(join(m.here, "r.json"));
    expect(entry?.status).toBe("failed");
    expect(String(entry?.message)).toContain("tasks file differs");
    expect(entry?.attempts).toHaveLength(1);
  });

  it("RUNNER_REDIS stands in for --redis", async () => {
    const m = machines(1);
    const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
    const remote = await runRunner(["--report", "r.json", "once"], {
      cwd: m.here,
      env: { RUNNER_REDIS: redis.server.url },
    });
    expect(remote.code, remote.all).toBe(0);
    expect(reportTasks(join(m.here, "r.json"))[0]?.worker).toBe("w1");
    expect(taken(w1)).toEqual([["once", 1]]);
  });
});

describe.skipIf(!hasRedis || !hasOpenssl)("TLS", () => {
  it("a run over rediss:// with a password and a private CA (NODE_EXTRA_CA_CERTS) works end to end; the password is never shown", async () => {
    const secure = await startRedis({ tls: true, password: "tls-s3cret" });
    try {
      const m = machines(1);
      const env = { NODE_EXTRA_CA_CERTS: secure.caFile ?? "" };
      const w1 = await startWorker({ dir: m.there[0] ?? "", url: secure.url, name: "w1", env });
      const remote = await runRunner(["--redis", secure.url, "--report", "r.json", "once"], { cwd: m.here, env });
      expect(remote.code, remote.all).toBe(0);
      expect(reportTasks(join(m.here, "r.json"))[0]?.worker).toBe("w1");
      expect(taken(w1)).toEqual([["once", 1]]);
      expect(remote.all + w1.all()).not.toContain("tls-s3cret");
      expect(w1.stdout()).toContain("rediss://:***@127.0.0.1");
      // Without the CA the certificate is not trusted: one line, exit 2.
      const untrusted = await runRunner(["--redis", secure.url, "once"], { cwd: m.here });
      expect(untrusted.code, untrusted.all).toBe(2);
      expect(untrusted.all.trim()).toMatch(
        /^runner: TLS to Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ failed: .*not trusted/,
      );
    } finally {
      await stopAll();
      await secure.stop();
    }
  }, 60_000);
});

describe.skipIf(!hasRedis)("connection errors", () => {
  /** Runs runner against `url`, as dispatcher and as worker; each must end with exit 2 and one line within 5 s. */
  async function expectRefused(url: string, secrets: readonly string[], names: RegExp): Promise<void> {
    const m = machines(0);
    for (const args of [
      ["--redis", url, "once"],
      ["--worker", "--redis", url],
    ]) {
      const began = Date.now();
      const run = await runRunner(args, { cwd: m.here, timeoutMs: 20_000 });
      const took = Date.now() - began;
      expect(run.code, `${args.join(" ")}: ${run.all}`).toBe(2);
      expectOneLine(run);
      // About the server, not about the command line (an unknown --redis is exit 2 and one line too).
      expect(run.all).toMatch(names);
      expect(run.all).not.toMatch(/unknown option/i);
      for (const secret of secrets) expect(run.all).not.toContain(secret);
      expect(took, `${args.join(" ")} took ${took} ms`).toBeLessThan(5000);
    }
    expect(existsSync(join(m.shared, "once.txt"))).toBe(false);
  }

  it("nothing listening on the port: exit 2, one line, within a few seconds", async () => {
    const port = await freePort();
    await expectRefused(`redis://127.0.0.1:${port}`, [], new RegExp(`redis.*127\\.0\\.0\\.1:${port}\\b`, "i"));
  });

  it("a wrong password: exit 2, one line, and neither password is printed", async () => {
    const guarded = await startRedis({ password: "right-pass-4217" });
    try {
      await expectRefused(
        `redis://:wrong-pass-9931@127.0.0.1:${guarded.port}`,
        ["wrong-pass-9931", "right-pass-4217"],
        /redis/i,
      );
      // With the right one a worker starts, and its ready line does not show it either.
      const m = machines(1);
      const w1 = await startWorker({ dir: m.there[0] ?? "", url: guarded.url, name: "w1" });
      expect(w1.all()).not.toContain("right-pass-4217");
      const remote = await runRunner(["--redis", guarded.url, "once"], { cwd: m.here });
      expect(remote.code, remote.all).toBe(0);
      expect(remote.all).not.toContain("right-pass-4217");
    } finally {
      await stopAll();
      await guarded.stop();
    }
  });
});

describe("the command line of distributed runs", () => {
  it("mistakes in --worker, --concurrency and RUNNER_WORKER_NAME are one line and exit 2, before any connection", async () => {
    const m = machines(0);
    // A port with nothing on it: a mistake that reached the connection would say so instead.
    const url = `redis://127.0.0.1:${await freePort()}`;
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--worker"], {}, /^runner --worker needs a Redis server: --redis <url>/],
      [["--worker", "--redis", url, "once"], {}, /^runner --worker takes no task names/],
      [
        ["--worker", "--redis", url, "--concurrency", "0"],
        {},
        /^Option --concurrency needs a whole number from 1 to 1024, not "0"\.$/,
      ],
      [["--worker", "--redis", url, "--concurrency", "two"], {}, /^Option --concurrency needs a whole number/],
      [["--concurrency", "2", "once"], {}, /^Option --concurrency is for runner --worker\.$/],
      [["--worker", "--redis", url], { RUNNER_WORKER_NAME: "w 1;rm" }, /^RUNNER_WORKER_NAME may hold letters/],
      [["--redis", "http://x", "once"], {}, /^runner: --redis: "http:\/\/x" is not a Redis URL/],
      [["once"], { RUNNER_REDIS_QUEUE: "a:b" }, /RUNNER_REDIS_QUEUE/],
    ];
    for (const [args, env, expected] of cases) {
      const run = await runRunner(args, { cwd: m.here, env });
      expect(run.code, `${args.join(" ")}: ${run.all}`).toBe(2);
      expectOneLine(run);
      expect(run.all.trim()).toMatch(expected);
    }
    expect(existsSync(join(m.shared, "once.txt"))).toBe(false);
  });

  it("--no-redis runs here whatever RUNNER_REDIS says", async () => {
    const m = machines(0);
    const env = { RUNNER_REDIS: `redis://127.0.0.1:${await freePort()}` };
    const remote = await runRunner(["once"], { cwd: m.here, env });
    expect(remote.code, remote.all).toBe(2);
    expect(remote.all).toMatch(/cannot reach Redis/);
    const local = await runRunner(["--no-redis", "once"], { cwd: m.here, env });
    expect(local.code, local.all).toBe(0);
    expect(readFileSync(join(m.shared, "once.txt"), "utf8")).toBe("ran\n");
  });

  it.skipIf(!hasRedis)(
    "a run with no worker connected says so once, waits, and Ctrl-C ends it (130) with its task taken back",
    async () => {
      const m = machines(1);
      const run = startRunner(["--redis", redis.server.url, "once"], m.here);
      const warned = await run.waitFor(
        /no worker is taking tasks from queue runner at redis:\/\/127\.0\.0\.1:\d+ yet/,
        20_000,
        "all",
      );
      expect(warned, run.all()).toBe(true);
      run.kill("SIGINT");
      const end = await run.ended;
      expect(end.code, end.all).toBe(130);
      expect(end.all.match(/no worker is taking tasks/g)).toHaveLength(1);
      // The job was taken back: a worker started now takes only the next run's (the queue is first in, first out).
      const w1 = await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1" });
      const next = await runRunner(["--redis", redis.server.url, "once"], { cwd: m.here });
      expect(next.code, next.all).toBe(0);
      expect(taken(w1)).toEqual([["once", 1]]);
      expect(readFileSync(join(m.shared, "once.txt"), "utf8")).toBe("ran\n");
    },
  );
});
