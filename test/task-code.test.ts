// Task code and the process it shares with runner: process.exit, process.exitCode, errors
// that escape (a forgotten await, a throw in a timer), a top-level await that never settles,
// and output runner cannot keep in a temporary file. Each ends in a task's status or one
// line, with the summary and the report, never a stack or a silent exit 0.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";

const TASKS = `import { task } from "runner-ts";
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const quit = task({ run: () => { console.log("bye"); process.exit(0); } });
export const seven = task({ run: () => { console.log("last words"); process.exit(7); } });
export const timerExit = task({ run: () => new Promise(() => setTimeout(() => process.exit(5), 20)) });
export const code = task({ run: () => { process.exitCode = 3; } });
export const exit256 = task({ run: () => { process.exit(256); } });
export const code256 = task({ run: () => { process.exitCode = 256; } });
export const sleeper = task({ run: async (ctx) => { await later(400); ctx.log("slept"); } });
export const forgot = task({ run: async (ctx) => { void ctx.run("exit 4"); await later(400); } });
export const timerThrow = task({ run: () => new Promise(() => setTimeout(() => { throw new Error("in a timer"); }, 20)) });
export const badMessage = task({
  run: () => {
    const error = new Error("x");
    Object.defineProperty(error, "message", { get() { throw new Error("no message for you"); } });
    throw error;
  },
});
export const proxy = task({
  run: () => {
    throw new Proxy({}, { getPrototypeOf() { throw new Error("trap"); }, get() { throw new Error("trap"); } });
  },
});
`;

interface Report {
  readonly exitCode: number;
  readonly tasks: readonly {
    readonly name: string;
    readonly status: string;
    readonly exitCode: number | null;
    readonly message: string | null;
  }[];
}

const dir = project({ "tasks.ts": TASKS });
const report = (): Report => JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as Report;

function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at /m);
}

describe("process.exit in task code", () => {
  it("process.exit(0) ends only that task, as passed: the other task finishes, summary and report follow", async () => {
    const run = await runRunner(["-p", "quit", "sleeper", "--report", "run.json"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("bye\n");
    expect(run.stdout).toContain("slept\n");
    expect(normalize(run.stderr)).toContain("2 tasks: 2 passed in <time>\n");
    expect(report().tasks.map((t) => [t.name, t.status])).toEqual([
      ["quit", "passed"],
      ["sleeper", "passed"],
    ]);
  });

  it("process.exit(7) fails that task with status 7, keeps what it printed, and writes the report", async () => {
    const run = await runRunner(["-k", "seven", "sleeper", "--report", "run.json"], { cwd: dir });
    expect(run.code).toBe(7);
    expect(run.stdout).toContain("last words\n");
    expect(run.stderr).toContain("✖ seven: called process.exit(7)");
    expect(report()).toMatchObject({
      exitCode: 7,
      tasks: [{ name: "seven", status: "failed", exitCode: 7 }, { status: "passed" }],
    });
  });

  it("from a timer too", async () => {
    const run = await runRunner(["timer-exit"], { cwd: dir });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("✖ timer-exit: called process.exit(5)");
  });

  it("a non-zero process.exitCode left by a task fails it with that code", async () => {
    const run = await runRunner(["code", "--report", "run.json"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("✖ code: set process.exitCode to 3");
    expect(report().tasks[0]).toMatchObject({ status: "failed", exitCode: 3 });
  });
});

describe("exit statuses no process can have", () => {
  it("process.exit(256) or process.exitCode = 256 fails the task with 1, never a run that exits 0", async () => {
    for (const isolate of [[], ["--isolate"]])
      for (const [name, said] of [
        ["exit256", "called process.exit(256)"],
        ["code256", "set process.exitCode to 256"],
      ] as const) {
        // (Isolated, the worker would end with 0: it tells runner the status asked for.)
        const run = await runRunner([...isolate, name, "--report", "run.json"], { cwd: dir });
        expect(run.code, run.all).toBe(1);
        expect(run.stderr).toContain(`✖ ${name}: ${said} (`);
        expect(run.stderr).toContain("256 is not a whole number from 0 to 255, so the task's status is 1)");
        expect(report()).toMatchObject({ exitCode: 1, tasks: [{ status: "failed", exitCode: 1 }] });
      }
  });
});

describe("errors that escape task code", () => {
  it("a forgotten await on a failing ctx.run fails that task with the command's code; the other task still runs", async () => {
    const run = await runRunner(["-p", "-k", "forgot", "sleeper", "--report", "run.json"], { cwd: dir });
    expectNoStack(run.all);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain("slept\n");
    expect(run.stderr).toContain(
      "✖ forgot: Command failed with exit code 4: exit 4 (a promise rejected with nothing to handle it)",
    );
    expect(report().tasks.map((t) => [t.name, t.status])).toEqual([
      ["forgot", "failed"],
      ["sleeper", "passed"],
    ]);
  });

  it("a task failed by an escaped error is stopped: its commands and the task it ran by ctx.call do not run on", async () => {
    const tasks = `import { task } from "runner-ts";
const boomIn = (ms: number) => setTimeout(() => { throw new Error("boom"); }, ms);
export const slow = task({ run: (ctx) => ctx.run("sleep 1.5; touch callee-ran-on") });
export const crashy = task({ run: async (ctx) => { boomIn(300); await ctx.run("sleep 1.5; touch command-ran-on"); } });
export const caller = task({ run: async (ctx) => { boomIn(300); await ctx.call(slow); } });
export const isolatedCaller = task({ isolate: true, run: async (ctx) => { boomIn(500); await ctx.call(slow); } });
export const later = task({ run: (ctx) => ctx.run("sleep 2") });
`;
    for (const [name, left] of [
      ["crashy", "command-ran-on"],
      ["caller", "callee-ran-on"],
      ["isolated-caller", "callee-ran-on"],
    ] as const) {
      const here = project({ "tasks.ts": tasks });
      const run = await runRunner(["-k", name, "later", "--report", "run.json"], { cwd: here });
      expect(run.code, run.all).toBe(1);
      expect(run.stderr).toContain(`✖ ${name}: boom`);
      expect(existsSync(join(here, left)), run.all).toBe(false);
      const statuses = (JSON.parse(readFileSync(join(here, "run.json"), "utf8")) as Report).tasks.map((t) => [
        t.name,
        t.status,
      ]);
      expect(statuses).toContainEqual([name, "failed"]);
      expect(statuses).toContainEqual(["later", "passed"]);
      if (name !== "crashy") expect(statuses).toContainEqual(["slow", "cancelled"]);
    }
  });

  it("a throw in a timer fails that task", async () => {
    const run = await runRunner(["timer-throw"], { cwd: dir });
    expectNoStack(run.all);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✖ timer-throw: in a timer (thrown where nothing caught it)");
  });

  it("an error whose message cannot be read, or a Proxy that throws, is still one line", async () => {
    for (const name of ["bad-message", "proxy"]) {
      const run = await runRunner([name], { cwd: dir });
      expectNoStack(run.all);
      expect(run.stderr).not.toContain("internal error");
      expect(run.code).toBe(1);
    }
  });
});

describe("loading that never ends", () => {
  it("a tasks file whose top-level await never settles is an error, not exit 0", async () => {
    const stuck = project({ "tasks.ts": `await new Promise(() => {});\nexport function hi() {}\n` });
    const run = await runRunner(["hi"], { cwd: stuck });
    expect(run.stderr).toBe(
      "tasks.ts: its top-level await never settles: nothing left running could settle it (thrown while loading the tasks file)\n",
    );
    expect(run.code).toBe(1);
  });

  it("a tasks file that calls process.exit while it loads is an error, not exit 0 with nothing run", async () => {
    for (const exit of ["process.exit(0);", "try { process.exit(0); } catch {}", "process.exit(5);"]) {
      const leaving = project({ "tasks.ts": `${exit}\nexport function hi() { console.log("ran"); }\n` });
      const run = await runRunner(["hi"], { cwd: leaving });
      expect(run.stderr, exit).toMatch(
        /^tasks\.ts:1:\d+: it called process\.exit\([05]\) while the tasks were loading \(thrown while loading the tasks file\)\n$/,
      );
      expect(run.code, exit).toBe(1);
      expect(run.stdout).toBe("");
    }
  });

  it("so is a runner.config.ts whose top-level await never settles", async () => {
    const stuck = project({
      "tasks.ts": `export function hi() {}\n`,
      "runner.config.ts": `await new Promise(() => {});\nexport default { jobs: 2 };\n`,
    });
    const run = await runRunner(["hi"], { cwd: stuck });
    expect(run.stderr).toMatch(
      /^Invalid configuration file .*runner\.config\.ts: runner\.config\.ts: its top-level await never settles/,
    );
    expect(run.code).toBe(2);
  });
});

describe("grouped output with nowhere to spill", () => {
  it("a missing TMPDIR is one line, and the output is still shown whole", async () => {
    const big = project({
      "tasks.ts": `import { task } from "runner-ts";
export const big = task({ run: (ctx) => ctx.run("head -c 12000000 /dev/zero | tr '\\\\0' y; echo") });
export const small = task({ run: (ctx) => ctx.log("small") });
`,
    });
    const run = await runRunner(["-p", "--output", "grouped", "big", "small"], {
      cwd: big,
      env: { TMPDIR: join(big, "no-such-dir") },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `runner: could not hold output in a temporary file in ${join(big, "no-such-dir")} (ENOENT); holding it in memory.\n`,
    );
    expect(run.stdout.split("y").length - 1).toBe(12_000_000);
    expect(run.stdout).toContain("small\n");
  });
});
