// Resource figures (SPEC §7): `stats` in the --report JSON and `--stats` on the summary lines,
// through the real CLI. Work is measured in CPU, not in wall-clock time (a loop runs until
// process.cpuUsage() says so), so that a loaded machine cannot make a figure look low.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { splitCpu } from "../src/child/usage.ts";
import { project, runRunner } from "./helpers.ts";

/** JavaScript that burns `ms` of CPU (user and system together), whatever else the machine does. */
const burn = (ms: number): string =>
  `{ const s = process.cpuUsage(); let x = 0; for (;;) { for (let i = 0; i < 1e5; i++) x += i; const u = process.cpuUsage(s); if (u.user + u.system >= ${ms * 1000}) break; } }`;

/** A command that burns `ms` of CPU. */
const burnCommand = (ms: number): string => `node -e ${JSON.stringify(burn(ms))}`;

interface Stats {
  cpuMs: number;
  userCpuMs: number;
  systemCpuMs: number;
  peakRssBytes: number;
}

interface ReportTask {
  name: string;
  status: string;
  stats?: Stats;
  commands: { command: string; stats?: Stats }[];
}

function reportOf(dir: string): Map<string, ReportTask> {
  const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { tasks: ReportTask[] };
  return new Map(report.tasks.map((task) => [task.name, task]));
}

function statsOf(tasks: Map<string, ReportTask>, name: string): Stats {
  const stats = tasks.get(name)?.stats;
  if (stats === undefined) throw new Error(`no stats for ${name}: ${JSON.stringify(tasks.get(name))}`);
  return stats;
}

describe.runIf(process.platform === "linux")("resource figures", () => {
  it("an isolated task's peak is its own: 200 MB, then low again for the next task in the same worker", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
import { writeFileSync } from "node:fs";
export const big = task({ isolate: true, run: () => {
  const bytes = Buffer.alloc(200e6, 1);
  writeFileSync("big.pid", String(process.pid));
  return bytes.length;
} });
export const small = task({ isolate: true, run: () => { writeFileSync("small.pid", String(process.pid)); } });
`,
    });
    const r = await runRunner(["-j1", "--report", "r.json", "big", "small"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(readFileSync(join(dir, "small.pid"), "utf8")).toBe(readFileSync(join(dir, "big.pid"), "utf8"));
    const tasks = reportOf(dir);
    expect(statsOf(tasks, "big").peakRssBytes).toBeGreaterThanOrEqual(200e6);
    expect(statsOf(tasks, "small").peakRssBytes).toBeGreaterThan(0);
    expect(statsOf(tasks, "small").peakRssBytes).toBeLessThan(100e6);
  });

  it("an isolated task's CPU: a 1 s burn shows at least 0.8 s, user and system adding up", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const burn = task({ isolate: true, run: () => ${burn(1000)} });
`,
    });
    const r = await runRunner(["--report", "r.json", "burn"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const stats = statsOf(reportOf(dir), "burn");
    expect(stats.cpuMs).toBeGreaterThanOrEqual(800);
    expect(Math.abs(stats.userCpuMs + stats.systemCpuMs - stats.cpuMs)).toBeLessThanOrEqual(1);
    for (const value of Object.values(stats)) expect(Number.isInteger(value)).toBe(true);
  });

  it("a task in runner's process counts its commands: CPU of a burning command, the sampled peak of one holding 200 MB", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const cpu = task({ run: async (ctx) => { await ctx.run(${JSON.stringify(burnCommand(600))}); } });
export const memory = task({ run: async (ctx) => {
  await ctx.run(${JSON.stringify(`node -e "const b = Buffer.alloc(200e6, 1); setTimeout(() => b.length, 600)"`)});
} });
`,
    });
    const r = await runRunner(["--report", "r.json", "cpu", "memory"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const tasks = reportOf(dir);
    expect(statsOf(tasks, "cpu").cpuMs).toBeGreaterThanOrEqual(400);
    expect(statsOf(tasks, "memory").peakRssBytes).toBeGreaterThanOrEqual(150e6);
    // Each command's own figures, too.
    expect(tasks.get("cpu")?.commands[0]?.stats?.cpuMs).toBeGreaterThanOrEqual(400);
  });

  it("side by side (-p -j2), a command's CPU is its own: a sleeper beside a burner (reaped while the sleeper runs) stays small", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const burner = task({ run: async (ctx) => { await ctx.run(${JSON.stringify(burnCommand(600))}); } });
export const sleeper = task({ run: async (ctx) => { await ctx.run("sleep 2"); } });
`,
    });
    const r = await runRunner(["-p", "-j2", "--report", "r.json", "burner", "sleeper"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const tasks = reportOf(dir);
    expect(statsOf(tasks, "burner").cpuMs).toBeGreaterThanOrEqual(400);
    expect(statsOf(tasks, "sleeper").cpuMs).toBeLessThan(150);
  });

  it("--stats prints CPU and peak on each summary line, and a run of one task gets a summary", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const a = task({ run: async (ctx) => { await ctx.run("echo a"); } });
export const b = task({ isolate: true, run: async (ctx) => { await ctx.run("echo b"); } });
`,
    });
    const two = await runRunner(["--stats", "a", "b"], { cwd: dir });
    expect(two.code, two.all).toBe(0);
    const lines = two.stderr.split("\n").filter((line) => /^ {2}✔ [ab] /.test(line));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/passed \S+ {2}cpu \d+(\.\d)?m?s {2}peak \d+(\.\d)? (B|kB|MB)$/);
    const one = await runRunner(["--stats", "a"], { cwd: dir });
    expect(one.code, one.all).toBe(0);
    expect(one.stderr).toMatch(/✔ a +passed \S+ {2}cpu .* {2}peak /);
    expect(one.stderr).toContain("1 task: 1 passed");
  });

  it("without --stats or --report nothing is measured or shown; a skipped task has no stats", async () => {
    const dir = project({
      "tasks.ts": `
import { task } from "runner";
export const a = task({ run: async (ctx) => { await ctx.run("echo a"); } });
export const bad = task({ run: async (ctx) => { await ctx.run("exit 3"); } });
export const after = task({ deps: [bad], run: async (ctx) => { await ctx.run("echo after"); } });
`,
    });
    const plain = await runRunner(["a", "a", "--no-dedupe"], { cwd: dir });
    expect(plain.code, plain.all).toBe(0);
    expect(plain.stderr).toContain("2 tasks: 2 passed");
    expect(plain.stderr).not.toContain("cpu");
    expect(plain.stderr).not.toContain("peak");
    const one = await runRunner(["a"], { cwd: dir });
    expect(one.stderr).not.toContain("1 task:");
    const failed = await runRunner(["-k", "--report", "r.json", "a", "after"], { cwd: dir });
    expect(failed.code).toBe(3);
    expect(failed.stderr).not.toContain("cpu");
    const tasks = reportOf(dir);
    expect(tasks.get("after")?.status).toBe("skipped");
    expect(tasks.get("after")?.stats).toBeUndefined();
    expect(tasks.get("bad")?.stats).toBeDefined();
  });
});

describe("splitting the CPU of commands reaped in the same turn", () => {
  it("goes to each in proportion to its CPU at the last sample; never-sampled ones share alike", () => {
    const [burner, sleeper] = splitCpu({ user: 610, system: 0 }, [59, 0]);
    expect(burner?.user).toBeCloseTo(600);
    expect(sleeper?.user).toBeCloseTo(10);
    expect(splitCpu({ user: 20, system: 10 }, [0, 0])).toEqual([
      { user: 10, system: 5 },
      { user: 10, system: 5 },
    ]);
    expect(splitCpu({ user: 7, system: 3 }, [5])).toEqual([{ user: 7, system: 3 }]);
  });
});
