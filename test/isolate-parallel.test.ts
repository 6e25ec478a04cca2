// Isolated tasks run truly in parallel (SPEC §7), shown without a wall-clock bound: each task
// burns a fixed amount of CPU, records the wall interval it burned in, and the intervals of
// two isolated tasks at -j2 overlap. The same tasks in-process (or at -j1) cannot overlap:
// a busy loop holds runner's one thread, which is what shows that the check can fail.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";

const BURN_MS = 400;

// a and b are isolated, c and d are the same tasks in-process.
const BURNS = `
import { task } from "runner";
import { writeFileSync } from "node:fs";
const burn = (name: string) => () => {
  const start = Date.now();
  const cpu = process.cpuUsage();
  let usedUs = 0;
  while (usedUs < ${BURN_MS * 1000}) {
    const d = process.cpuUsage(cpu);
    usedUs = d.user + d.system;
  }
  writeFileSync(name + ".json", JSON.stringify({ start, end: Date.now(), cpuMs: usedUs / 1000 }));
};
export const a = task({ isolate: true, run: burn("a") });
export const b = task({ isolate: true, run: burn("b") });
export const c = task({ run: burn("c") });
export const d = task({ run: burn("d") });
`;

interface Burn {
  readonly start: number;
  readonly end: number;
  readonly cpuMs: number;
}

/** Runs `runner ...args x y` and returns the two tasks' records. */
async function burnBoth(args: readonly string[], x: string, y: string): Promise<[Burn, Burn]> {
  const dir = project({ "tasks.ts": BURNS });
  const r = await runRunner([...args, x, y], { cwd: dir, timeoutMs: 60_000 });
  expect(r.code, r.all).toBe(0);
  const read = (name: string): Burn => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as Burn;
  const both: [Burn, Burn] = [read(x), read(y)];
  for (const burn of both) expect(burn.cpuMs).toBeGreaterThanOrEqual(300);
  return both;
}

/** Whether two wall intervals overlap: each starts before the other ends. */
const overlap = ([x, y]: readonly [Burn, Burn]): boolean => x.start < y.end && y.start < x.end;

describe("isolated tasks in parallel", () => {
  it("two CPU-burning isolated tasks overlap at -p -j2", async () => {
    const burns = await burnBoth(["-p", "-j2"], "a", "b");
    expect(overlap(burns), JSON.stringify(burns)).toBe(true);
  });

  it("the same tasks in-process do not overlap at -p -j2", async () => {
    const burns = await burnBoth(["-p", "-j2"], "c", "d");
    expect(overlap(burns), JSON.stringify(burns)).toBe(false);
  });

  it("isolated tasks at -p -j1 do not overlap", async () => {
    const burns = await burnBoth(["-p", "-j1"], "a", "b");
    expect(overlap(burns), JSON.stringify(burns)).toBe(false);
  });
});
