// Isolated tasks (SPEC §7): their code runs in a pool worker process, through the real CLI.
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { cleanEnv, project, runnerBin, runRunner } from "./helpers.ts";
import { killIfAlive, readPid, spawnRunner, waitUntilGone } from "./process-helpers.ts";

const PIDS = `
import { task } from "runner";
export const a = task({ isolate: true, run: (ctx) => { ctx.log("pid a", process.pid); } });
export const b = task({ isolate: true, run: (ctx) => { console.log("pid b", process.pid); } });
export const here = task({ run: () => { console.log("pid here", process.pid); } });
`;

// An isolated task whose command runs until it is stopped; both write their pids.
const HOLD = `
import { task } from "runner";
import { writeFileSync } from "node:fs";
export const hold = task({ isolate: true, run: async (ctx) => {
  writeFileSync("worker.pid", String(process.pid));
  await ctx.run("echo $$ > command.pid; exec sleep 60");
} });
`;

/** Waits (up to 20 s) until the task's command has written its pid into `dir`. */
async function commandStarted(dir: string, pollMs = 50): Promise<void> {
  for (let waited = 0; waited < 20_000 && !existsSync(join(dir, "command.pid")); waited += pollMs) await sleep(pollMs);
}

/**
 * Runs `task` (which writes worker.pid, and whose command writes command.pid), SIGKILLs
 * runner `settleMs` after the command started, and expects the worker and the command gone.
 */
async function expectNoneLeftAfterSigkill(dir: string, task: string, settleMs = 0): Promise<void> {
  const child = spawnRunner([task], dir);
  child.stdout.resume();
  child.stderr.resume();
  await commandStarted(dir);
  await sleep(settleMs);
  const worker = readPid(dir, "worker.pid");
  const command = readPid(dir, "command.pid");
  try {
    child.kill("SIGKILL");
    expect(await waitUntilGone(worker)).toBe(true);
    expect(await waitUntilGone(command)).toBe(true);
  } finally {
    killIfAlive(worker);
    killIfAlive(command);
  }
}

describe("isolated tasks", () => {
  it("run in a worker process, not runner's, and a worker is reused", async () => {
    const dir = project({ "tasks.ts": PIDS });
    const r = await runRunner(["a", "b", "here"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const pid = (name: string): string => new RegExp(`pid ${name} (\\d+)`).exec(r.stdout)?.[1] ?? "none";
    expect(pid("a")).not.toBe("none");
    expect(pid("a")).toBe(pid("b"));
    expect(pid("a")).not.toBe(pid("here"));
  });

  it("--isolate isolates every task; output and commands are the task's", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const t = task({ run: async (ctx) => { console.log("pid", process.pid); await ctx.run("echo from-command"); } });
export const main = task({ run: () => { console.log("pid", process.pid); } });
`,
    });
    const r = await runRunner(["--isolate", "--report", "r.json", "t"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain("from-command");
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    const run = report.tasks?.[0] ?? report.runs?.[0];
    expect(JSON.stringify(run)).toContain("echo from-command");
  });

  it("process.exit(3) fails only that task with status 3, keeping 5 MB printed just before", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const big = task({ isolate: true, run: () => { process.stdout.write("x".repeat(5 * 1024 * 1024) + "END\\n"); process.exit(3); } });
export const after = task({ isolate: true, run: () => { console.log("after ran"); } });
`,
    });
    const r = await runRunner(["-k", "big", "after"], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    // Not toContain: a failure would print 5 MB.
    expect(r.stdout.includes(`${"x".repeat(5 * 1024 * 1024)}END`)).toBe(true);
    expect(r.stdout).toContain("after ran");
    expect(r.stderr).toContain("big: called process.exit(3)");
  });

  it("an uncaught exception fails the task with a clear reason; the next isolated task gets a new worker", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const boom = task({ isolate: true, run: async () => { setTimeout(() => { throw new Error("kaboom"); }, 1); await new Promise(() => {}); } });
export const next = task({ isolate: true, run: () => { console.log("next ran"); } });
`,
    });
    const r = await runRunner(["-k", "boom", "next"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain("kaboom");
    expect(r.all).toContain("uncaught");
    expect(r.stdout).toContain("next ran");
  });

  it("a thrown custom error comes back with its class name, message, code and own properties", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
class DeployError extends Error { name = "DeployError"; code = "E_DEPLOY"; target = { host: "db" }; }
export const deploy = task({ isolate: true, run: () => { throw new DeployError("no target", { cause: new RangeError("inner") }); } });
export const caller = task({ run: async (ctx) => {
  try { await ctx.call(deploy); } catch (e) {
    console.log("caught", e instanceof Error, e.name, e.message, e.code, e.target.host, e.cause.name, e.cause.message, process.pid);
  }
} });
export const exits = task({ isolate: true, run: () => { throw Object.assign(new Error("custom exit"), { exitCode: 4 }); } });
`,
    });
    // The called task failed (as in-process: its result line and the run's status), its caller passed.
    const r = await runRunner(["caller"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain("✔ caller");
    expect(r.stdout).toContain("caught true DeployError no target E_DEPLOY db RangeError inner");
    expect(r.all).toContain("✖ deploy: no target (tasks.ts:");
    const e = await runRunner(["exits"], { cwd: dir });
    expect(e.code, e.all).toBe(4);
  });

  it("Map and BigInt return values round-trip", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const make = task({ isolate: true, run: () => new Map([["n", 2n ** 70n]]) });
export const use = task({ run: async (ctx) => {
  const v = await ctx.call(make);
  console.log("got", v instanceof Map, typeof v.get("n"), String(v.get("n")));
} });
`,
    });
    const r = await runRunner(["--report", "r.json", "use", "make"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(`got true bigint ${2n ** 70n}`);
    // In the report as JSON: the BigInt as its digits, the Map as an object.
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    const make = report.tasks.filter((t: { name: string }) => t.name === "make");
    expect(make.length).toBeGreaterThan(0);
    for (const t of make) expect(t.result).toEqual({ n: String(2n ** 70n) });
    expect(report.tasks.find((t: { name: string }) => t.name === "use")).not.toHaveProperty("result");
  });

  it("a value that cannot be sent back is a clear error, not a hang", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const fn = task({ isolate: true, run: () => ({ f: () => 1 }) });
export const map = task({ isolate: true, run: () => new Map([[1n, 2n]]) });
`,
    });
    const r = await runRunner(["-k", "fn", "map"], { cwd: dir, timeoutMs: 30_000 });
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain("cannot be sent back to runner");
    expect(r.all).not.toMatch(/map.*failed/i);
  });

  it("a task that never yields times out (124), its commands are killed and its worker replaced", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const spin = task({ isolate: true, timeout: "1s", run: async (ctx) => {
  void ctx.run("echo $$ > command.pid; exec sleep 60");
  while (!require("node:fs").existsSync("command.pid")) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  console.log("spinning", process.pid);
  while (true) {}
} });
export const next = task({ isolate: true, run: () => { console.log("next in", process.pid); } });
`,
    });
    const r = await runRunner(["-k", "spin", "next"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.all).toBe(124);
    expect(r.all).toContain("timed out");
    const spun = /spinning (\d+)/.exec(r.stdout)?.[1];
    const next = /next in (\d+)/.exec(r.stdout)?.[1];
    expect(spun).toBeDefined();
    expect(next).toBeDefined();
    expect(next).not.toBe(spun);
    expect(await waitUntilGone(Number(spun))).toBe(true);
    expect(await waitUntilGone(readPid(dir, "command.pid"))).toBe(true);
  });

  it("at most -j workers exist, and they are reused", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
const t = () => task({ isolate: true, run: async () => { await new Promise((r) => setTimeout(r, 50)); console.log("worker", process.pid); } });
export const a = t(), b = t(), c = t(), d = t(), e = t(), f = t();
`,
    });
    const r = await runRunner(["-j2", "a", "b", "c", "d", "e", "f"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const pids = new Set([...r.stdout.matchAll(/worker (\d+)/g)].map((m) => m[1]));
    expect(pids.size).toBeGreaterThanOrEqual(1);
    expect(pids.size).toBeLessThanOrEqual(2);
    expect([...r.stdout.matchAll(/worker (\d+)/g)]).toHaveLength(6);
  });

  it("a task's own process.send does not confuse runner's protocol", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const chatty = task({ isolate: true, run: () => {
  process.send?.({ kind: "done", id: 1, outcome: { kind: "threw" } });
  process.send?.({ runner: 2, kind: "crash", how: "fake" });
  process.send?.("hello");
  return new Promise((r) => setTimeout(() => { console.log("still here"); r(undefined); }, 100));
} });
`,
    });
    const r = await runRunner(["chatty"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain("still here");
  });

  it("Ctrl-C cancels an isolated task: exit 130, the summary, and no worker or command left", async () => {
    const dir = project({
      "tasks.ts": HOLD,
    });
    const child = spawnRunner(["hold"], dir);
    child.stdout.resume();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // The signal comes as soon as the command runs, maybe before runner has heard of its
    // group from the worker: the worker must still stop it.
    await commandStarted(dir, 10);
    child.kill("SIGINT");
    expect(await closed).toBe(130);
    const worker = readPid(dir, "worker.pid");
    const command = readPid(dir, "command.pid");
    try {
      expect(stderr).toContain("1 task: 1 cancelled");
      expect(await waitUntilGone(command)).toBe(true);
      expect(await waitUntilGone(worker)).toBe(true);
    } finally {
      killIfAlive(worker);
      killIfAlive(command);
    }
  });

  it("SIGKILL of runner leaves no worker and no command of it behind", async () => {
    const dir = project({
      "tasks.ts": HOLD,
    });
    await expectNoneLeftAfterSigkill(dir, "hold");
  });

  it("SIGKILL of runner also ends a worker whose task never yields, and its commands", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
import { existsSync, writeFileSync } from "node:fs";
export const spin = task({ isolate: true, run: async (ctx) => {
  writeFileSync("worker.pid", String(process.pid));
  void ctx.run("echo $$ > command.pid; exec sleep 60");
  while (!existsSync("command.pid")) await new Promise((r) => setTimeout(r, 20));
  while (true) {}
} });
`,
    });
    // A moment for the worker to enter its endless loop.
    await expectNoneLeftAfterSigkill(dir, "spin", 100);
  });

  it("workers do not get runner's --inspect (from its flags or NODE_OPTIONS)", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const iso = task({ isolate: true, run: () => { console.log("inspector", require("node:inspector").url() ?? "none"); } });
`,
    });
    for (const [flags, nodeOptions] of [
      [["--inspect=127.0.0.1:0"], undefined],
      [[], "--inspect=127.0.0.1:0"],
    ] as const) {
      const child = spawn(process.execPath, [...flags, runnerBin, "iso"], {
        cwd: dir,
        env: cleanEnv(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(code, out).toBe(0);
      expect(out).toContain("inspector none");
      expect(out.match(/Debugger listening/g)?.length, out).toBe(1);
    }
  });
});

describe("output an isolated task writes past process.stdout", () => {
  // 3 MB from a child with stdio "inherit" straight into the worker's pipe, and bytes the
  // task writes to fd 1 and 2 itself: none of them pass through the worker's streams.
  const TASKS = `
import { task } from "runner";
import { spawnSync } from "node:child_process";
import { writeSync } from "node:fs";
export const a = task({ isolate: true, run: () => {
  spawnSync("sh", ["-c", "head -c 3000000 /dev/zero | tr '\\\\0' x; echo; echo a-err >&2"], { stdio: "inherit" });
  writeSync(1, "a-fd1\\n");
  writeSync(2, "a-fd2\\n");
  console.log("a-done");
} });
export const b = task({ isolate: true, run: () => { console.log("y".repeat(1_000_000)); console.log("b-line"); console.error("b-err"); } });
`;

  it("is its task's, and the next task's output is whole and its own (grouped at -j1: one worker)", async () => {
    const dir = project({ "tasks.ts": TASKS });
    // Before marks, the end of the next task's output was lost (it ended before it was read).
    for (let round = 0; round < 6; round++) {
      const r = await runRunner(["-p", "-j1", "a", "b"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      // (Not the 3 MB in a failure message.) Task output goes to stdout, headers to stderr.
      const stdout = r.stdout.replace(/^x{3000000}$/m, "<x>").replace(/^y{1000000}$/m, "<y>");
      expect(stdout).toBe("<x>\na-fd1\na-done\n<y>\nb-line\n");
      expect(r.stderr, r.stderr).toMatch(/^▶ a\na-err\na-fd2\n✔ a .*\n▶ b\nb-err\n✔ b /m);
    }
  });
  // Reads 16 KiB every 2 ms, to the end: runner's stdout waits for it all along.
  const SLOW_READER = `const { readSync } = require("node:fs"); const b = Buffer.alloc(16384);
const t = setInterval(() => { try { if (readSync(0, b) === 0) clearInterval(t); } catch { clearInterval(t); } }, 2);`;

  it("is its task's under a slow reader too (serial: the worker's pipes wait for runner's stdout)", () => {
    const dir = project({ "tasks.ts": TASKS });
    for (let round = 0; round < 3; round++) {
      const run = spawnSync(
        "sh",
        ["-c", `"$0" "$1" -j1 a b --report r.json | "$0" -e "$2"`, process.execPath, runnerBin, SLOW_READER],
        {
          cwd: dir,
          env: cleanEnv({}),
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { tasks: { outputTail: string }[] };
      const [a, b] = report.tasks.map((task) => task.outputTail);
      // Before marks, what a's child and its fd writes left in the pipe was lost or b's. The
      // tail is a's last 64 KiB as read: its stderr lines may come before the end of the 3 MB
      // (stdout waits for the reader, stderr does not), so they are looked for between the
      // headers on runner's stderr instead.
      const stdoutOnly = (tail = ""): string => tail.replace(/[ab]-(err|fd2)\n/g, "").slice(-16);
      expect(stdoutOnly(a)).toBe("xx\na-fd1\na-done\n");
      const aOnStderr = /^▶ a\n([^]*?)^▶ b$/m.exec(run.stderr)?.[1] ?? "";
      for (const line of ["a-err", "a-fd2"]) expect(aOnStderr, run.stderr).toContain(`${line}\n`);
      expect(b).not.toContain("a-");
      // (b-err may come before the end of b's 1 MB line, for the same reason.)
      expect(stdoutOnly(b)).toBe("yyyyyyyy\nb-line\n");
      expect(/^▶ b\n([^]*)/m.exec(run.stderr)?.[1], run.stderr).toMatch(/^b-err\n/m);
    }
  });
});

describe("isolated tasks end as in-process", () => {
  it("a task that ends its stdout and then prints fails, it does not hang the run; the next gets a new worker", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const ended = task({ isolate: true, run: () => { process.stdout.end(); console.log("after end"); } });
export const next = task({ isolate: true, run: () => { console.log("next ran"); } });
`,
    });
    const r = await runRunner(["-k", "ended", "next"], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain("ended: its code ended its worker's stdout (process.stdout.end())");
    // In a worker of its own: the one whose stdout was ended is not used again.
    expect(r.stdout).toContain("next ran");
  });

  it("a thrown value that cannot be read says what it says in-process, and its worker lives on", async () => {
    const cases = `
export const getter = () => { const e = new Error("getter"); Object.defineProperty(e, "code", { enumerable: true, get() { throw new Error("no code for you"); } }); throw e; };
export const notext = () => { throw { fn() {}, toString: null }; };
export const proxy = () => { throw new Proxy({}, { get() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); }, ownKeys() { throw new Error("trap"); }, has() { throw new Error("trap"); } }); };
export const message = () => { const e = new Error("x"); Object.defineProperty(e, "message", { get() { throw new Error("x"); } }); throw e; };
export const after = () => { console.log("after in", process.pid); };
`;
    const names = ["getter", "notext", "proxy", "message"];
    const failures = (all: string): string[] =>
      names.map(
        (name) =>
          new RegExp(`^✖ ${name}: (.*?)(?: \\(tasks\\.ts:\\d+:\\d+\\))?$`, "m").exec(all)?.[1] ??
          `no failure line for ${name}`,
      );
    const here = await runRunner(["-k", ...names], { cwd: project({ "tasks.ts": cases }) });
    const isolated = await runRunner(["--isolate", "-k", "-j1", ...names, "after"], {
      cwd: project({ "tasks.ts": cases }),
    });
    expect(isolated.code, isolated.all).toBe(1);
    const expected = [
      "getter",
      "Task threw a value that cannot be shown as text",
      "Task threw a value that cannot be shown",
      "a value that cannot be shown as text",
    ];
    expect(failures(isolated.all)).toEqual(expected);
    // In-process says the same.
    expect(failures(here.all)).toEqual(expected);
    expect(isolated.all).not.toContain("unhandled rejection");
    expect(isolated.stdout).toContain("after in");
  });

  it("ctx.defer runs as in-process: all of them, on process.exit too, a failing one reported", async () => {
    const tasks = `
import { task } from "runner";
export const a = task({ run: async (ctx) => {
  ctx.defer(() => console.log("cleanup 1 ran"));
  ctx.defer(() => { throw new Error("cleanup 2 threw"); });
  throw new Error("the real failure");
} });
export const x = task({ run: async (ctx) => { ctx.defer(() => console.log("DEFER RAN")); process.exit(5); } });
export const p = task({ run: async (ctx) => { ctx.defer(() => { throw new Error("only cleanup"); }); } });
`;
    for (const flags of [[], ["--isolate"]]) {
      const dir = project({ "tasks.ts": tasks });
      const r = await runRunner([...flags, "-k", "-j1", "a", "x", "p"], { cwd: dir });
      expect(r.code, `${flags.join(" ")}\n${r.all}`).toBe(1);
      expect(r.stdout).toContain("cleanup 1 ran");
      expect(r.all).toContain("deferred cleanup failed: cleanup 2 threw");
      expect(r.all).toMatch(/^✖ a: the real failure/m);
      expect(r.stdout).toContain("DEFER RAN");
      expect(r.all).toMatch(/^✖ x: called process.exit\(5\)/m);
      expect(r.all).toMatch(/^✖ p: deferred cleanup failed: only cleanup/m);
    }
  });

  it("a task that disconnects its worker's channel fails, it never passes", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const d = task({ isolate: true, run: async () => {
  process.disconnect?.();
  await new Promise((r) => setTimeout(r, 200));
  console.log("after disconnect");
} });
`,
    });
    const r = await runRunner(["d"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain("✖ d: Task crashed: its worker lost its channel to runner");
  });
});
