// The pool's workers (SPEC §7): fresh ones, memory ceilings, out of memory and native
// crashes, and how many a serial run may have — through the real CLI.
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSize } from "../src/common/size.ts";
import { project, runRunner } from "./helpers.ts";
import { isAlive, killIfAlive, readPid, waitUntilGone } from "./process-helpers.ts";

/** Each task writes its worker's pid to `<name>.pid`. */
const writesPid = (name: string, isolate: string, body = ""): string =>
  `export const ${name} = task({ isolate: ${isolate}, run: () => { ${body} writeFileSync("${name}.pid", String(process.pid)); } });\n`;

const HEADER = `import { task } from "runner";\nimport { writeFileSync } from "node:fs";\nlet kept: unknown;\n`;

describe('isolate: "fresh"', () => {
  it("gives each fresh task a worker of its own, ended after it and never reused", async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        writesPid("first", "true") +
        writesPid("freshA", '"fresh"') +
        writesPid("freshB", "{ fresh: true }") +
        writesPid("last", "true"),
    });
    const r = await runRunner(["-j1", "first", "freshA", "freshB", "last"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const [first, freshA, freshB, last] = ["first", "freshA", "freshB", "last"].map((name) =>
      readPid(dir, `${name}.pid`),
    );
    try {
      expect(new Set([first, freshA, freshB]).size).toBe(3);
      // Not given to the task after it, at -j1 where a reused worker would be.
      expect(last).not.toBe(freshA);
      expect(last).not.toBe(freshB);
      expect(await waitUntilGone(freshA!)).toBe(true);
      expect(await waitUntilGone(freshB!)).toBe(true);
    } finally {
      for (const pid of [first, freshA, freshB, last]) killIfAlive(pid!);
    }
  });

  it("is ended as soon as its task ends, not at the run's end", async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        writesPid("fresh", '"fresh"') +
        `export const later = task({ run: async () => {
  const { readFileSync, existsSync } = await import("node:fs");
  const pid = Number(readFileSync("fresh.pid", "utf8"));
  for (let i = 0; i < 200 && existsSync("/proc/" + pid); i++) await new Promise((r) => setTimeout(r, 25));
  writeFileSync("gone.txt", String(!existsSync("/proc/" + pid)));
} });\n`,
    });
    const r = await runRunner(["fresh", "later"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(readPid(dir, "fresh.pid")).toBeGreaterThan(0);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(`${dir}/gone.txt`, "utf8")).toBe("true");
  });
});

describe("memory ceiling", () => {
  // 200 MB kept in a module-level variable: the worker's resident size stays above 100 MB.
  const GROW = "kept = Buffer.alloc(200_000_000, 1);";

  /** Runs `first` then `next` at -j1 (both must pass): whether `next` ran in `first`'s worker. */
  async function nextInSameWorker(dir: string, first: string, env: Record<string, string> = {}): Promise<boolean> {
    const r = await runRunner(["-j1", first, "next"], { cwd: dir, env });
    expect(r.code, r.all).toBe(0);
    return readPid(dir, "next.pid") === readPid(dir, `${first}.pid`);
  }

  it("a worker past its task's maxRss is replaced for the next task; under it, reused", async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        writesPid("grow", '{ maxRss: "100MB" }', GROW) +
        writesPid("roomy", '{ maxRss: "2GB" }', GROW) +
        writesPid("next", "true"),
    });
    expect(await nextInSameWorker(dir, "grow")).toBe(false);
    expect(await nextInSameWorker(dir, "roomy")).toBe(true);
  });

  it("isolateMaxRss sets it for every isolated task, and a task's maxRss wins", async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        writesPid("grow", "true", GROW) +
        writesPid("roomy", "{ maxRss: 2e9 }", GROW) +
        writesPid("next", "true"),
      ".runnerrc.json": JSON.stringify({ isolateMaxRss: "100MB" }),
    });
    expect(await nextInSameWorker(dir, "grow")).toBe(false);
    expect(await nextInSameWorker(dir, "roomy")).toBe(true);
    // From the environment too, in bytes.
    const plain = project({ "tasks.ts": HEADER + writesPid("grow", "true", GROW) + writesPid("next", "true") });
    expect(await nextInSameWorker(plain, "grow", { RUNNER_ISOLATE_MAX_RSS: "100000000" })).toBe(false);
  });

  it("an invalid size is a one-line error (exit 2), from a task, a config file or the environment", async () => {
    const bad = await runRunner(["t"], {
      cwd: project({ "tasks.ts": HEADER + writesPid("t", '{ maxRss: "lots" }') }),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'tasks.ts: task "t" has isolate.maxRss "lots"; expected a size like "512MB", "1.5GB", "2GiB" or bytes.\n',
    );
    const odd = await runRunner(["t"], { cwd: project({ "tasks.ts": HEADER + writesPid("t", '"stale"') }) });
    expect(odd.code).toBe(2);
    expect(odd.stderr).toBe(
      'tasks.ts: task "t" has isolate "stale"; expected true, false, "fresh" or { fresh?: boolean, maxRss?: "1GB" }.\n',
    );
    const dir = project({
      "tasks.ts": HEADER + writesPid("t", "true"),
      ".runnerrc.json": '{ "isolateMaxRss": "1XB" }',
    });
    const file = await runRunner(["t"], { cwd: dir });
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/^Invalid value "1XB" for isolateMaxRss in .*\.runnerrc\.json: expected a size like/);
    expect(file.stderr.trimEnd().split("\n")).toHaveLength(1);
    const env = await runRunner(["t"], {
      cwd: project({ "tasks.ts": HEADER + writesPid("t", "true") }),
      env: { RUNNER_ISOLATE_MAX_RSS: "-5" },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^Invalid value "-5" for RUNNER_ISOLATE_MAX_RSS in the environment: expected a size/);
  });

  it("reads sizes as bytes, decimal units and binary units", () => {
    expect(parseSize(1024)).toBe(1024);
    expect(parseSize("1000")).toBe(1000);
    expect(parseSize("800kB")).toBe(800_000);
    expect(parseSize("512MB")).toBe(512_000_000);
    expect(parseSize("1.5GB")).toBe(1_500_000_000);
    expect(parseSize("1gb")).toBe(1e9);
    expect(parseSize("2GiB")).toBe(2 * 2 ** 30);
    expect(parseSize(" 64 MiB ")).toBe(64 * 2 ** 20);
    for (const bad of ["", "lots", "1XB", "-5", "1e9", "0", 0, 1.5, Number.NaN, Infinity, "1.2.3MB", null, {}]) {
      expect(parseSize(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe("worker crashes", () => {
  it('a task that runs out of JavaScript heap fails with "out of memory"; the others go on in a new worker', async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        writesPid(
          "hog",
          "true",
          "writeFileSync('hog.started', String(process.pid)); const a: number[][] = []; for (;;) a.push(new Array(100_000).fill(1));",
        ) +
        writesPid("next", "true"),
    });
    // A small heap for runner and its workers alike; runner needs little.
    const r = await runRunner(["-k", "hog", "next"], {
      cwd: dir,
      env: { NODE_OPTIONS: "--max-old-space-size=64" },
      timeoutMs: 60_000,
    });
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toMatch(/✖ hog: Task crashed: out of memory \(/);
    expect(r.stderr).toContain("2 tasks: 1 passed, 1 failed");
    const hog = readPid(dir, "hog.started");
    expect(readPid(dir, "next.pid")).not.toBe(hog);
    expect(isAlive(hog)).toBe(false);
  });

  it("a native crash fails the task with its signal; the others go on in a new worker", async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        `export const segv = task({ isolate: true, run: () => { writeFileSync("segv.pid", String(process.pid)); process.kill(process.pid, "SIGSEGV"); return new Promise(() => {}); } });\n` +
        writesPid("next", "true"),
    });
    const r = await runRunner(["-k", "segv", "next"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain("✖ segv: Task crashed: its worker process was killed by SIGSEGV");
    expect(r.stderr).not.toContain("out of memory");
    expect(r.stderr).toContain("2 tasks: 1 passed, 1 failed");
    expect(readPid(dir, "next.pid")).not.toBe(readPid(dir, "segv.pid"));
  });
});

describe("pool size", () => {
  it("a serial run's parallel:true group runs its isolated tasks at once, in -j workers", async () => {
    // Each task waits (up to 15 s) for the other to have started: one worker for both would
    // run them one after the other, and the first would give up.
    const meets = (me: string, other: string): string => `
export const ${me} = task({ isolate: true, run: async () => {
  const { existsSync } = await import("node:fs");
  writeFileSync("${me}.here", String(process.pid));
  for (let waited = 0; !existsSync("${other}.here"); waited += 20) {
    if (waited > 15_000) throw new Error("${other} never started");
    await new Promise((r) => setTimeout(r, 20));
  }
} });
`;
    const dir = project({
      "tasks.ts":
        HEADER +
        meets("left", "right") +
        meets("right", "left") +
        "export const both = task({ parallel: true, deps: [left, right] });\n",
    });
    // The jobs setting, not -j: -j makes the run parallel.
    const r = await runRunner(["both"], { cwd: dir, env: { RUNNER_JOBS: "2" }, timeoutMs: 40_000 });
    expect(r.code, r.all).toBe(0);
    expect(readPid(dir, "left.here")).not.toBe(readPid(dir, "right.here"));
  });
});

describe("the pool at the run's end and on a stop", () => {
  it("runner exits only once its workers have: none is left when it is gone", async () => {
    const dir = project({
      "tasks.ts": HEADER + writesPid("a", "true") + writesPid("b", "true") + writesPid("c", '"fresh"'),
    });
    const r = await runRunner(["-p", "-j2", "a", "b", "c"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const pids = ["a", "b", "c"].map((name) => readPid(dir, `${name}.pid`));
    try {
      // At once, not after a while: a worker still ending its own way would be alive here.
      for (const pid of pids) expect(isAlive(pid), `worker ${pid}`).toBe(false);
    } finally {
      for (const pid of pids) killIfAlive(pid);
    }
  });

  it("a worker held by what a task left behind is killed after the grace period: a fresh task waiting for its place runs", async () => {
    const dir = project({
      "tasks.ts":
        HEADER +
        writesPid("stuck", "true", "setTimeout(() => { for (;;) {} }, 0);") +
        writesPid("fresh", '"fresh"', ""),
    });
    // At -j1 the fresh task needs the stuck worker's place; it waits the grace period, not for ever.
    const r = await runRunner(["-j1", "stuck", "fresh"], {
      cwd: dir,
      env: { RUNNER_KILL_GRACE: "1000" },
      timeoutMs: 30_000,
    });
    expect(r.code, r.all).toBe(0);
    const stuck = readPid(dir, "stuck.pid");
    try {
      expect(readPid(dir, "fresh.pid")).not.toBe(stuck);
      expect(isAlive(stuck)).toBe(false);
    } finally {
      killIfAlive(stuck);
    }
  });
});

describe("a stopped isolated task's commands", () => {
  it("are all killed, also a child that ignores SIGTERM after its shell, the group's leader, has ended", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
export const cmd = task({ isolate: true, timeout: "1s", run: (ctx) =>
  ctx.run("sh -c 'trap \\"\\" TERM INT; echo $$ > stubborn.pid; exec sleep 60' & sleep 60") });
`,
    });
    const r = await runRunner(["cmd"], { cwd: dir, env: { RUNNER_KILL_GRACE: "1000" }, timeoutMs: 30_000 });
    expect(r.code, r.all).toBe(124);
    const stubborn = readPid(dir, "stubborn.pid");
    try {
      expect(await waitUntilGone(stubborn)).toBe(true);
    } finally {
      killIfAlive(stubborn);
    }
  });
});

describe("processes an isolated task started itself", () => {
  it("(child_process, not ctx.run) end with the run, as what a command leaves behind does", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
export const bg = task({ isolate: true, run: () => {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  writeFileSync("bg.pid", String(child.pid));
} });
`,
    });
    const r = await runRunner(["bg"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const pid = readPid(dir, "bg.pid");
    try {
      expect(await waitUntilGone(pid)).toBe(true);
    } finally {
      killIfAlive(pid);
    }
  });
});

describe("code an isolated task left behind", () => {
  const tasks = `import { task } from "runner";
export const a = task({ isolate: true, run: () => {
  setTimeout(() => console.log("late print from a"), 300);
  setTimeout(() => { throw new Error("late boom from a"); }, 400);
} });
export const here = task({ run: (ctx) => ctx.run("sleep 1") });
export const there = task({ isolate: true, run: async (ctx) => { await ctx.run("sleep 1"); console.log("there finished"); } });
export const quitter = task({ isolate: true, run: () => { setTimeout(() => process.exit(4), 300); } });
`;
  it("prints and throws as the task's, after it ended: the run cannot pass, and the next task is not blamed", async () => {
    for (const next of ["here", "there"]) {
      const dir = project({ "tasks.ts": tasks });
      const r = await runRunner(["-j1", "a", next, "--report", "run.json"], { cwd: dir });
      expect(r.code, r.all).toBe(1);
      expect(r.stdout).toContain("late print from a");
      expect(r.stderr).toContain(
        "runner: an error escaped task code (a, after it ended (uncaught, in its worker process)): late boom from a",
      );
      const report = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as {
        tasks: { name: string; status: string }[];
      };
      expect(report.tasks.map((t) => [t.name, t.status])).toEqual([
        ["a", "passed"],
        [next, "passed"],
      ]);
      if (next === "there") expect(r.stdout).toContain("there finished");
    }
  });

  it("prints as itself while another task runs in its worker, not as that task (in-process alike)", async () => {
    for (const [next, flags] of [
      ["there", []],
      ["there", ["-p"]],
      ["here", []],
    ] as const) {
      const dir = project({ "tasks.ts": tasks });
      // One pipe: the order of the grouped blocks' lines (stderr) and their output (stdout) is runner's.
      const r = await runRunner(["-j1", ...flags, "a", next, "--report", "run.json"], { cwd: dir, oneStream: true });
      expect(r.stdout, `${next} ${flags.join(" ")}`).toContain("late print from a");
      const report = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as {
        tasks: { name: string; outputTail: string }[];
      };
      const tail = report.tasks.find((t) => t.name === next)?.outputTail;
      expect(tail, `${next} ${flags.join(" ")}`).toBe(next === "there" ? "there finished\n" : "");
      // Grouped: not in the block of the task that ran when it was printed.
      if (flags.length > 0) expect(/^▶ there\n(?:.*\n)*?✔ there/m.exec(r.all)?.[0]).not.toContain("late print");
    }
  });

  it("a process.exit it calls after its task ended ends no task: a non-zero one is that task's error", async () => {
    const dir = project({ "tasks.ts": tasks });
    const r = await runRunner(["-j1", "quitter", "there"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain(
      "runner: an error escaped task code (quitter, after it ended (uncaught, in its worker process)): called process.exit(4) after it ended",
    );
    expect(r.stdout).toContain("there finished");
    expect(r.stderr).toMatch(/✔ there\s+passed/);
  });
});

describe("a tasks file changed during the run", () => {
  it("is not what an isolated task runs: the task fails, saying so, rather than run other code than was planned", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
import { readFileSync, writeFileSync } from "node:fs";
const FROM = ["ORIG", "INAL"].join("");
export const gen = task({ run: () => { writeFileSync("tasks.ts", readFileSync("tasks.ts", "utf8").replace(\`"\${FROM}"\`, '"CHANGED"')); } });
export const deploy = task({ isolate: true, run: () => { console.log("deploy body:", "ORIGINAL"); } });
`,
    });
    const r = await runRunner(["gen", "deploy"], { cwd: dir });
    expect(r.code, r.all).toBe(1);
    expect(readFileSync(join(dir, "tasks.ts"), "utf8")).toContain('"CHANGED"');
    expect(r.stdout).not.toContain("CHANGED");
    expect(r.stderr).toContain("✖ deploy: the tasks file changed during the run");
  });
});

describe("the isolate setting", () => {
  it("isolates every task as --isolate does, from a config file or RUNNER_ISOLATE", async () => {
    // A pool worker has an IPC channel to runner; runner itself, started by the test, has none.
    const tasks = `import { task } from "runner";\nexport const a = task({ run: () => { console.log("in", process.send === undefined ? "runner" : "worker"); } });\n`;
    const dir = project({ "tasks.ts": tasks, ".runnerrc.json": JSON.stringify({ isolate: true }) });
    const fromFile = await runRunner(["a"], { cwd: dir });
    expect(fromFile.code, fromFile.all).toBe(0);
    expect(fromFile.stdout).toContain("in worker");
    const plain = project({ "tasks.ts": tasks });
    const fromEnv = await runRunner(["a"], { cwd: plain, env: { RUNNER_ISOLATE: "true" } });
    expect(fromEnv.stdout).toContain("in worker");
    const inProcess = await runRunner(["a"], { cwd: plain });
    expect(inProcess.stdout).toContain("in runner");
    const bad = await runRunner(["a"], { cwd: plain, env: { RUNNER_ISOLATE: "maybe" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/RUNNER_ISOLATE/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("a reused worker", () => {
  it("starts each task with runner's cwd, environment and process.exitCode as they were", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
import { mkdirSync, writeFileSync } from "node:fs";
export const messy = task({ isolate: true, run: () => {
  writeFileSync("messy.pid", String(process.pid));
  mkdirSync("elsewhere", { recursive: true });
  process.chdir("elsewhere");
  process.env.LEAKED = "yes";
  delete process.env.KEPT;
  process.exitCode = 5;
} });
export const next = task({ isolate: true, run: () => {
  writeFileSync("next.pid", String(process.pid));
  writeFileSync("next.json", JSON.stringify({ cwd: process.cwd(), leaked: process.env.LEAKED ?? null, kept: process.env.KEPT ?? null, exitCode: process.exitCode ?? null }));
} });
`,
    });
    const r = await runRunner(["-j1", "-k", "messy", "next"], { cwd: dir, env: { KEPT: "here" } });
    // messy's exitCode fails messy, not next, nor runner's status beyond messy's own.
    expect(r.code, r.all).toBe(5);
    expect(r.stderr).toContain("set process.exitCode to 5");
    expect(readPid(dir, "next.pid")).toBe(readPid(dir, "messy.pid"));
    const seen = JSON.parse(readFileSync(join(dir, "next.json"), "utf8")) as Record<string, unknown>;
    expect(seen).toEqual({ cwd: realpathSync(dir), leaked: null, kept: "here", exitCode: null });
  });
});

describe("a task whose worker died", () => {
  it("is not run again by runner itself; its own retries decide", async () => {
    const body = (name: string, retries: number): string =>
      `export const ${name} = task({ isolate: true, retries: ${retries}, run: () => { appendFileSync("${name}.count", "x"); process.kill(process.pid, "SIGKILL"); } });\n`;
    const dir = project({
      "tasks.ts":
        `import { task } from "runner";\nimport { appendFileSync } from "node:fs";\n` +
        body("once", 0) +
        body("twice", 1),
    });
    const r = await runRunner(["-k", "once", "twice"], { cwd: dir });
    expect(r.code, r.all).not.toBe(0);
    expect(r.all).toContain("SIGKILL");
    expect(readFileSync(join(dir, "once.count"), "utf8")).toBe("x");
    expect(readFileSync(join(dir, "twice.count"), "utf8")).toBe("xx");
  });
});
