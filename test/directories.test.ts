// Where task code runs (SPEC §3): process.cwd() is the directory its commands run in (the
// project directory), wherever runner was started; ctx.invocationDir is where that was; and
// runner's own paths from the command line stay relative to where the user typed them.
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";

const TASKS = `import { task } from "runner";
import { existsSync } from "node:fs";
const atLoad = process.cwd();
export const where = task({
  run: async (ctx) => {
    const { stdout } = await ctx.run("pwd", { hide: true });
    console.log(JSON.stringify({
      atLoad,
      cwd: process.cwd(),
      ctxCwd: ctx.cwd,
      invocationDir: ctx.invocationDir,
      commandCwd: stdout.trim(),
      marker: existsSync("marker.txt"),
    }));
  },
});
export const nested = task({
  run: async (ctx) => {
    const { stdout } = await ctx.run("pwd", { hide: true, cwd: "sub" });
    console.log(JSON.stringify({ cwd: process.cwd(), commandCwd: stdout.trim() }));
  },
});
`;

interface Seen {
  readonly atLoad: string;
  readonly cwd: string;
  readonly ctxCwd: string;
  readonly invocationDir: string;
  readonly commandCwd: string;
  readonly marker: boolean;
}

function seen(stdout: string): Seen {
  return JSON.parse(stdout) as Seen;
}

describe("task code's working directory", () => {
  it("is the project directory when runner is started in a subdirectory, as for its commands", async () => {
    const dir = realpathSync(project({ "tasks.ts": TASKS, "marker.txt": "", "sub/deeper/.keep": "" }));
    const run = await runRunner(["where"], { cwd: join(dir, "sub", "deeper") });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(seen(run.stdout)).toEqual({
      atLoad: dir,
      cwd: dir,
      ctxCwd: dir,
      invocationDir: join(dir, "sub", "deeper"),
      commandCwd: dir,
      marker: true,
    });
  });

  it("is the directory holding tasks/ for tasks/index.ts", async () => {
    const dir = realpathSync(project({ "tasks/index.ts": TASKS, "marker.txt": "" }));
    const run = await runRunner(["where"], { cwd: join(dir, "tasks") });
    expect(run.code).toBe(0);
    expect(seen(run.stdout)).toMatchObject({ cwd: dir, ctxCwd: dir, invocationDir: join(dir, "tasks"), marker: true });
  });

  it("is the tasks file's directory with --file, and ctx.invocationDir where runner was started", async () => {
    const dir = realpathSync(project({ "ci/tasks.ts": TASKS, "ci/marker.txt": "", "work/.keep": "" }));
    const run = await runRunner(["-f", "../ci/tasks.ts", "where"], { cwd: join(dir, "work") });
    expect(run.code).toBe(0);
    expect(seen(run.stdout)).toMatchObject({ cwd: join(dir, "ci"), invocationDir: join(dir, "work"), marker: true });
  });

  it("stays the project directory while a command runs in its own cwd", async () => {
    const dir = realpathSync(project({ "tasks.ts": TASKS, "sub/.keep": "" }));
    const run = await runRunner(["nested"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ cwd: dir, commandCwd: join(dir, "sub") });
  });
});

describe("ctx.invocationDir with -C", () => {
  it("is where runner was started, not the directory -C names (that is only where the search starts)", async () => {
    const dir = realpathSync(project({ "app/tasks.ts": TASKS, "app/marker.txt": "", "elsewhere/.keep": "" }));
    const run = await runRunner(["-C", "../app", "where"], { cwd: join(dir, "elsewhere") });
    expect(run.code).toBe(0);
    expect(seen(run.stdout)).toMatchObject({
      cwd: join(dir, "app"),
      invocationDir: join(dir, "elsewhere"),
      marker: true,
    });
  });
});

describe("runner's own paths from a subdirectory", () => {
  it("--report, --junit and -f are relative to where they were typed, though task code moved", async () => {
    const dir = realpathSync(project({ "tasks.ts": TASKS, "sub/.keep": "" }));
    const sub = join(dir, "sub");
    const run = await runRunner(["-f", "../tasks.ts", "--report", "out/run.json", "--junit", "run.xml", "where"], {
      cwd: sub,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(sub, "out", "run.json"), "utf8"))).toMatchObject({ exitCode: 0 });
    expect(readFileSync(join(sub, "run.xml"), "utf8")).toContain("<testcase");
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, "run.xml"))).toBe(false);
  });

  it("a relative RUNNER_CACHE_DIR is where runner was started", async () => {
    const dir = realpathSync(project({ "tasks.ts": TASKS }));
    const sub = join(dir, "sub");
    mkdirSync(sub);
    const run = await runRunner(["where"], { cwd: sub, env: { RUNNER_CACHE_DIR: "cache" } });
    expect(run.code).toBe(0);
    expect(existsSync(join(sub, "cache"))).toBe(true);
    expect(existsSync(join(dir, "cache"))).toBe(false);
  });
});
