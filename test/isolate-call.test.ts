// ctx.call from an isolated task, and runner's stdin for isolated tasks' commands (SPEC §7:
// inside, the task has the same ctx), through the real CLI.
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { killIfAlive, readPid, waitUntilGone } from "./process-helpers.ts";

/** The summary: the lines after the last blank line of stderr. */
function summary(stderr: string): string {
  const text = normalize(stderr);
  return text.slice(text.lastIndexOf("\n\n") + 2);
}

const CALLS = `
import { task } from "runner";
class DeployError extends Error { name = "DeployError"; code = "E_DEPLOY"; }
export const inner = task({
  isolate: true,
  options: { n: { type: "number", default: 2 }, tag: { type: "string", default: "t" } },
  run: (ctx, o) => { console.log("inner pid", process.pid, o.n, o.tag); return new Map([["n", BigInt(o.n) ** 70n]]); },
});
export const here = task({ run: () => { console.log("here pid", process.pid); return new Map([["here", new Set([1])]]); } });
export const outer = task({ isolate: true, run: async (ctx) => {
  console.log("outer pid", process.pid);
  const m = await ctx.call(inner, { n: 3 });
  console.log("got inner", m instanceof Map, typeof m.get("n"), String(m.get("n")));
  const h = await ctx.call(here);
  console.log("got here", h instanceof Map, h.get("here") instanceof Set, h.get("here").has(1));
} });
export const bad = task({ isolate: true, run: () => { throw new DeployError("no target"); } });
export const badHere = task({ run: () => { throw new DeployError("no target here"); } });
export const catches = task({ isolate: true, run: async (ctx) => {
  for (const t of [bad, badHere]) {
    try { await ctx.call(t); } catch (e) { console.log("caught", e instanceof Error, e.name, e.message, e.code); }
  }
} });
export const lets = task({ isolate: true, run: (ctx) => ctx.call(bad) });
export const broken = task({ isolate: true, run: (ctx) => ctx.run("exit 4") });
export const letsBroken = task({ isolate: true, run: (ctx) => ctx.call(broken) });
export const notTask = task({ isolate: true, run: (ctx) => ctx.call(42) });
export const notTaskHere = task({ run: (ctx) => ctx.call(42) });
export const inline = task({ isolate: true, run: (ctx) => ctx.call(() => 1) });
export const fn = task({ run: () => ({ f: () => 1 }) });
export const unsendable = task({ isolate: true, run: (ctx) => ctx.call(fn) });
`;

describe("ctx.call from an isolated task", () => {
  const dir = project({ "tasks.ts": CALLS });

  it("runs an isolated and an in-process task at -j1 as tasks of their own, and gets their values", async () => {
    const r = await runRunner(["-j1", "outer"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(`got inner true bigint ${3n ** 70n}`);
    expect(r.stdout).toContain("got here true true true");
    // Defaults filled in; the isolated one in a worker of its own, the other in runner's process.
    expect(r.stdout).toMatch(/inner pid \d+ 3 t\n/);
    const pid = (name: string): string => new RegExp(`${name} pid (\\d+)`).exec(r.stdout)?.[1] ?? "none";
    expect(pid("outer")).not.toBe("none");
    expect(pid("inner")).not.toBe(pid("outer"));
    expect(pid("here")).not.toBe(pid("outer"));
    expect(pid("here")).not.toBe(pid("inner"));
    const stderr = normalize(r.stderr);
    expect(stderr).toContain("▶ inner --n 3\n✔ inner --n 3 <time>\n");
    expect(stderr).toContain("▶ here\n✔ here <time>\n");
    expect(summary(r.stderr)).toMatch(
      /^ {2}✔ inner --n 3 +passed <time>\n {2}✔ here +passed <time>\n {2}✔ outer +passed <time>\n3 tasks: 3 passed in <time>\n$/,
    );
  });

  it("a called task's error comes back with its class name, message and code; caught, it still fails the run", async () => {
    const r = await runRunner(["catches"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.all).toBe(1);
    expect(r.stdout).toContain("caught true DeployError no target E_DEPLOY\n");
    expect(r.stdout).toContain("caught true DeployError no target here E_DEPLOY\n");
    expect(summary(r.stderr)).toMatch(/✖ bad +failed <time>\n {2}✖ bad-here +failed <time>\n {2}✔ catches +passed/);
  });

  it("a caller that lets the error go fails as the called task did", async () => {
    const r = await runRunner(["lets"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain("✖ lets: no target");
    const b = await runRunner(["lets-broken"], { cwd: dir, timeoutMs: 60_000 });
    expect(b.code, b.all).toBe(4);
    expect(summary(b.stderr)).toMatch(/✖ broken +failed \(exit 4\)[^\n]*\n {2}✖ lets-broken +failed \(exit 4\)/);
  });

  it("something that is not a task is the same TypeError as in-process; one only the worker knows is a clear error", async () => {
    const isolated = await runRunner(["not-task"], { cwd: dir });
    const here = await runRunner(["not-task-here"], { cwd: dir });
    const message = "ctx.call: expected a task made by task() or a function, not 42";
    expect(isolated.code, isolated.all).toBe(1);
    expect(here.code, here.all).toBe(1);
    expect(isolated.stderr).toContain(`✖ not-task: ${message}`);
    expect(here.stderr).toContain(`✖ not-task-here: ${message}`);
    const inline = await runRunner(["inline"], { cwd: dir });
    expect(inline.code, inline.all).toBe(1);
    expect(inline.stderr).toContain("is neither exported nor listed in any task's deps, so runner");
  });

  it("a value that cannot be sent to the caller is a clear error, not a hang", async () => {
    const r = await runRunner(["unsendable"], { cwd: dir, timeoutMs: 30_000 });
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain('ctx.call: the value "fn" returned cannot be sent to the isolated task that called it');
  });

  it("the caller's time limit stops the called task, isolated or not, and its command", async () => {
    const slow = project({
      "tasks.ts": `
import { task } from "runner";
export const sleeper = task({ isolate: true, run: (ctx) => ctx.run("echo $$ > command.pid; exec sleep 60") });
export const sleeperHere = task({ run: (ctx) => ctx.run("echo $$ > command.pid; exec sleep 60") });
export const caller = task({ isolate: true, timeout: "3s", run: (ctx) => ctx.call(sleeper) });
export const callerHere = task({ isolate: true, timeout: "3s", run: (ctx) => ctx.call(sleeperHere) });
`,
    });
    for (const [name, callee] of [
      ["caller", "sleeper"],
      ["caller-here", "sleeper-here"],
    ] as const) {
      const r = await runRunner([name], { cwd: slow, timeoutMs: 60_000 });
      const command = readPid(slow, "command.pid");
      try {
        expect(r.code, r.all).toBe(124);
        expect(summary(r.stderr)).toMatch(new RegExp(`⊘ ${callee} +cancelled <time>\\n {2}✖ ${name} +timed out`));
        expect(await waitUntilGone(command)).toBe(true);
      } finally {
        killIfAlive(command);
      }
    }
  });
});

describe("runner's stdin in isolated tasks", () => {
  const dir = project({
    "tasks.ts": `
import { task } from "runner";
export const readit = task({ isolate: true, run: (ctx) => ctx.run("head -1") });
export const readhere = task({ run: (ctx) => ctx.run("head -1") });
export const other = task({ run: () => {} });
`,
  });

  it("a serial run's isolated task reads it through its commands, as an in-process one does", async () => {
    const r = await runRunner(["readit"], { cwd: dir, input: "hello\n" });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toBe("hello\n");
    const j1 = await runRunner(["-p", "-j1", "readit", "other"], { cwd: dir, input: "hello\n" });
    expect(j1.code, j1.all).toBe(0);
    expect(j1.stdout).toBe("hello\n");
  });

  it("under -p with more than one job, neither reads it", async () => {
    for (const name of ["readit", "readhere"]) {
      const r = await runRunner(["-p", "-j2", name, "other"], { cwd: dir, input: "hello\n" });
      expect(r.code, r.all).toBe(0);
      expect(r.all).not.toContain("hello");
    }
  });
});
