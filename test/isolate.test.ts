// Isolated tasks (SPEC §7): their code runs in a pool worker process, through the real CLI.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";

const PIDS = `
import { task } from "runner";
export const a = task({ isolate: true, run: (ctx) => { ctx.log("pid a", process.pid); } });
export const b = task({ isolate: true, run: (ctx) => { console.log("pid b", process.pid); } });
export const here = task({ run: () => { console.log("pid here", process.pid); } });
`;

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
    expect(r.stdout).toContain("x".repeat(5 * 1024 * 1024) + "END");
    expect(r.stdout).toContain("after ran");
    expect(r.all).toMatch(/process\\.exit\\(3\\)/);
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

  it("a thrown custom error keeps its class name, message and code", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
class DeployError extends Error { name = "DeployError"; code = "E_DEPLOY"; }
export const deploy = task({ isolate: true, run: () => { throw new DeployError("no target"); } });
export const check = task({ isolate: true, run: async (ctx) => {
  try { await ctx.call(deploy); } catch {}
} });
`,
    });
    const r = await runRunner(["deploy"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(r.all).toContain("DeployError");
    expect(r.all).toContain("no target");
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
});
