// The watchdog thread (world/watchdog.ts) is for task code on runner's main thread, which
// can hold it: a run whose task code all runs in pool workers (SPEC §7) starts none, and
// a run with some starts one once that code runs. In runner's own process, with a World that
// counts the watchdog's starts (no time limit, terminal or CI needed: it starts with that code).
import { describe, expect, it } from "vitest";
import { project } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const TASKS = `
import { task } from "runner";
export const a = task({ run: () => { console.log("a ran"); } });
export const b = task({ run: () => { console.log("b ran"); } });
export const iso = task({ isolate: true, run: () => { console.log("iso ran"); } });
export const both = task({ deps: [iso], run: () => {} });
export const group = task({ deps: [iso] });
export const here = task({ run: () => "from here" });
export const calls = task({ isolate: true, run: async (ctx) => { console.log("called", await ctx.call(here)); } });
`;

/** Runs `runner <args>`: its exit status, output, and how many times it started its watchdog. */
async function watchdogStarts(args: readonly string[]): Promise<{ code: number | null; all: string; starts: number }> {
  let starts = 0;
  const run = await runInProcess(args, {
    cwd: project({ "tasks.ts": TASKS }),
    startWatchdog: () => {
      starts++;
      return undefined;
    },
  });
  return { code: run.code, all: run.all, starts };
}

describe("the watchdog thread", () => {
  it("is not started when every task's code runs in a pool worker (--isolate, or a group of isolated tasks)", async () => {
    const isolated = await watchdogStarts(["-p", "--isolate", "a", "b"]);
    expect(isolated.code, isolated.all).toBe(0);
    expect(isolated.all).toContain("a ran");
    expect(isolated.starts).toBe(0);
    const group = await watchdogStarts(["group"]);
    expect(group.code, group.all).toBe(0);
    expect(group.all).toContain("iso ran");
    expect(group.starts).toBe(0);
  });

  it("is started once some task's code runs in runner's process", async () => {
    const inProcess = await watchdogStarts(["-p", "a", "b"]);
    expect(inProcess.code, inProcess.all).toBe(0);
    expect(inProcess.starts).toBeGreaterThan(0);
    // After an isolated dep: when the in-process task starts.
    const after = await watchdogStarts(["both"]);
    expect(after.code, after.all).toBe(0);
    expect(after.starts).toBeGreaterThan(0);
  });

  it("is started when an isolated task's ctx.call runs a task in runner's process", async () => {
    const r = await watchdogStarts(["calls"]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain("called from here");
    expect(r.starts).toBeGreaterThan(0);
  });
});
