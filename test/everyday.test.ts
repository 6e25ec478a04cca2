// Everyday details (SPEC §2, §6): `-j n` on the command line implies `-p`; dotenv values
// reach task code's process.env and a missing dotenv file is skipped unless required;
// `--list` keeps its layout with many aliases; `--plan --json` indexes from 0 throughout.
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";
import { runInProcess } from "./world.ts";

// Each waits for the other to have started: only a parallel run can finish them.
const MEET = `import { task } from "runner";
const meet = (me: string, other: string) =>
  task({ timeout: "10s", run: (ctx) => ctx.run(\`touch \${me}.up; while [ ! -f \${other}.up ]; do sleep 0.02; done\`) });
export const a = meet("a", "b");
export const b = meet("b", "a");
export const c = task({ deps: [a], run() {} });
`;

describe("-j n on the command line", () => {
  it("with n > 1 runs the named tasks at once, as -p does (make's -j)", async () => {
    const run = await runRunner(["-j2", "--output", "grouped", "a", "b"], { cwd: project({ "tasks.ts": MEET }) });
    expect([run.code, run.stderr]).toEqual([0, expect.stringContaining("2 tasks: 2 passed")]);
    // (Run one after another, a would wait for b until its time limit.) The plan shows waves too.
    const plan = await runRunner(["--plan", "--jobs", "4", "c", "b"], { cwd: project({ "tasks.ts": MEET }) });
    expect(plan.stdout).toBe("wave 1: a, b\nwave 2: c\n");
  });

  it("-j1 stays serial", async () => {
    const dir = project({ "tasks.ts": MEET });
    expect((await runRunner(["--plan", "-j1", "c", "b"], { cwd: dir })).stdout).toBe("1. a\n2. c\n3. b\n");
  });

  it("RUNNER_JOBS and the jobs setting do not make a run parallel, only cap one", async () => {
    const dir = project({ "tasks.ts": MEET, ".runnerrc.json": `{ "jobs": 4 }` });
    expect((await runRunner(["--plan", "c", "b"], { cwd: dir })).stdout).toBe("1. a\n2. c\n3. b\n");
    const env = { RUNNER_JOBS: "4" };
    expect((await runRunner(["--plan", "c", "b"], { cwd: dir, env })).stdout).toBe("1. a\n2. c\n3. b\n");
    expect((await runRunner(["--plan", "-p", "c", "b"], { cwd: dir, env })).stdout).toBe("wave 1: a, b\nwave 2: c\n");
  });
});

const ENV_TASKS = `import { task } from "runner";
export const vars = task({
  run: async (ctx) => {
    console.log("code:", process.env.FROM_DOTENV, process.env.ALREADY);
    await ctx.run('echo "command: $FROM_DOTENV $ALREADY"');
  },
});
`;

describe("dotenv files", () => {
  it("reach task code's process.env, not over a variable the environment already sets", async () => {
    const dir = project({
      "tasks.ts": ENV_TASKS,
      ".env": "FROM_DOTENV=dot\nALREADY=dot\n",
      ".runnerrc.json": `{ "dotenv": ".env" }`,
    });
    const run = await runRunner(["vars"], { cwd: dir, env: { ALREADY: "env" } });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "code: dot env\ncommand: dot env\n", ""]);
  });

  it("that do not exist are skipped, unless required", async () => {
    const files = { "tasks.ts": ENV_TASKS, ".env.local": "FROM_DOTENV=local\n" };
    const optional = project({ ...files, ".runnerrc.json": `{ "dotenv": [".env", ".env.local"] }` });
    const run = await runRunner(["vars"], { cwd: optional });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "code: local undefined\ncommand: local \n", ""]);
    const required = project({
      ...files,
      ".runnerrc.json": `{ "dotenv": [".env.local", { "path": ".env.ci", "required": true }] }`,
    });
    const missing = await runRunner(["vars"], { cwd: required });
    expect([missing.code, missing.stdout]).toEqual([2, ""]);
    expect(missing.stderr).toMatch(
      /^The dotenv file \S*\.env\.ci does not exist \(it is required by the dotenv setting\)\.\n$/,
    );
  });

  it("can be required from RUNNER_DOTENV, as JSON", async () => {
    const dir = project({ "tasks.ts": ENV_TASKS, "ci.env": "FROM_DOTENV=ci\n" });
    const env = { RUNNER_DOTENV: `[{ "path": "ci.env", "required": true }]` };
    expect((await runRunner(["vars"], { cwd: dir, env })).stdout).toBe("code: ci undefined\ncommand: ci \n");
    const gone = await runRunner(["vars"], {
      cwd: dir,
      env: { RUNNER_DOTENV: `[{ "path": "gone.env", "required": true }]` },
    });
    expect(gone.code).toBe(2);
    // A plain list is of optional files.
    expect((await runRunner(["vars"], { cwd: dir, env: { RUNNER_DOTENV: "gone.env,ci.env" } })).code).toBe(0);
  });

  it("are taken out of process.env again when the run is over", async () => {
    const dir = project({
      "tasks.ts": ENV_TASKS,
      ".env": "FROM_DOTENV=dot\n",
      ".runnerrc.json": `{ "dotenv": ".env" }`,
    });
    const run = await runInProcess(["vars"], { cwd: dir });
    expect(run.stdout).toBe("code: dot undefined\ncommand: dot \n");
    expect(process.env.FROM_DOTENV).toBeUndefined();
  });
});

describe("--list with many aliases", () => {
  it("keeps the other descriptions near the left: a long name and aliases get theirs on the next line", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
/** Compile everything */
export const build = task({ aliases: ["compile-everything", "make-all-the-things", "construct-it", "assemble-project"], run() {} });
/** Run the tests */
export const test = task({ aliases: ["t"], run() {} });
/** Check the style */
export function lint() {}
`,
    });
    const run = await runRunner(["--list"], { cwd: dir });
    expect(run.stdout).toBe(
      [
        "Available tasks:",
        "",
        "  build, compile-everything, make-all-the-things, construct-it, assemble-project",
        "             Compile everything",
        "  lint       Check the style",
        "  test, t    Run the tests",
        "",
      ].join("\n"),
    );
  });
});

describe("--plan --json", () => {
  it("refers to steps by their index from 0, in deps and in waves alike", async () => {
    const dir = project({ "tasks.ts": MEET });
    const plan = JSON.parse((await runRunner(["--plan", "--json", "-p", "c", "b"], { cwd: dir })).stdout) as {
      steps: { name: string; deps: number[] }[];
      waves: number[][];
    };
    expect(plan.steps.map((step) => [step.name, step.deps])).toEqual([
      ["a", []],
      ["c", [0]],
      ["b", []],
    ]);
    expect(plan.waves).toEqual([[0, 2], [1]]);
  });
});
