// Cleanup when a task ends however it ends (SPEC §3 "Cleanup"), with real processes: a
// `finally` block's ctx.run and ctx.defer functions run after a fail-fast cancel, a time-out
// and a Ctrl-C, within the grace period; a cleanup that hangs is killed when it ends; and
// nothing the task started outlives runner.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";
import { killIfAlive, readPid, spawnRunner, waitUntilGone } from "./process-helpers.ts";

const TASKS = `import { task } from "runner";
import { appendFileSync } from "node:fs";
const note = (line: string) => appendFileSync("order", line + "\\n");
/** Fails once the other task's command has started (its pid is written). */
export const fail = task({ run: (ctx) => ctx.run("while [ ! -f pid ]; do sleep 0.02; done; exit 3") });
export const sleeper = task({
  run: async (ctx) => {
    try {
      await ctx.run("echo $$ > pid; echo started; exec sleep 300");
    } finally {
      note("finally");
      await ctx.run("touch cleaned");
      note("after the cleanup command");
    }
  },
});
export const deferring = task({
  run: async (ctx) => {
    ctx.defer(() => note("registered first, runs last"));
    ctx.defer(async () => {
      await ctx.run("touch deferred");
      note("deferred command ran");
    });
    await ctx.run("echo $$ > pid; echo started; exec sleep 300");
  },
});
export const hangs = task({
  run: async (ctx) => {
    ctx.defer(() => ctx.run("echo $$ > cleanup-pid; exec sleep 300"));
    await ctx.run("echo $$ > pid; echo started; exec sleep 300");
  },
});
export const deaf = task({
  run: async (ctx) => {
    ctx.defer(() => ctx.run("touch deferred"));
    await ctx.run("echo $$ > pid");
    await new Promise((resolve) => setTimeout(resolve, 300_000)); // ignores ctx.signal
  },
});
export const passes = task({
  run: (ctx) => {
    ctx.defer(() => note("second"));
    ctx.defer(() => note("first"));
    note("task");
  },
});
export const badCleanup = task({
  run: (ctx) => {
    ctx.defer(() => ctx.run("exit 4"));
  },
});
export const bothFail = task({
  run: async (ctx) => {
    ctx.defer(() => { throw new Error("cleanup broke too"); });
    await ctx.run("exit 5");
  },
});
`;

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) killIfAlive(pid);
});

function lines(dir: string, file: string): string[] {
  return readFileSync(join(dir, file), "utf8").trim().split("\n");
}

/** The pid in `file`, registered to be killed if the test fails before it is gone. */
function pidIn(dir: string, file: string): number {
  const pid = readPid(dir, file);
  leftovers.push(pid);
  return pid;
}

describe("a finally block's ctx.run", () => {
  it("runs after a fail-fast cancel: the await of the cancelled command throws, and the cleanup command runs", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["-p", "-j", "4", "sleeper", "fail"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/⊘ sleeper +cancelled/);
    expect(existsSync(join(dir, "cleaned"))).toBe(true);
    expect(lines(dir, "order")).toEqual(["finally", "after the cleanup command"]);
    expect(await waitUntilGone(pidIn(dir, "pid"))).toBe(true);
  });

  it("runs after the task timed out", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["--timeout", "300ms", "sleeper"], { cwd: dir });
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("✖ sleeper: Task timed out after 300 ms");
    expect(existsSync(join(dir, "cleaned"))).toBe(true);
    expect(lines(dir, "order")).toEqual(["finally", "after the cleanup command"]);
    expect(await waitUntilGone(pidIn(dir, "pid"))).toBe(true);
  });

  it("runs after Ctrl-C (SIGINT to runner), which still exits 130", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const end = await interrupt(dir, ["sleeper"]);
    expect(end.code).toBe(130);
    expect(existsSync(join(dir, "cleaned"))).toBe(true);
    expect(lines(dir, "order")).toEqual(["finally", "after the cleanup command"]);
    expect(await waitUntilGone(pidIn(dir, "pid"))).toBe(true);
  });
});

describe("ctx.defer", () => {
  it("runs when the task passes, last registered first, after the task's code", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["passes"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(lines(dir, "order")).toEqual(["task", "first", "second"]);
  });

  it("runs after a fail-fast cancel, its commands included", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["-p", "-j", "4", "deferring", "fail"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/⊘ deferring +cancelled/);
    expect(existsSync(join(dir, "deferred"))).toBe(true);
    expect(lines(dir, "order")).toEqual(["deferred command ran", "registered first, runs last"]);
    expect(await waitUntilGone(pidIn(dir, "pid"))).toBe(true);
  });

  it("runs after a time-out and after Ctrl-C", async () => {
    const timedOut = project({ "tasks.ts": TASKS });
    const run = await runRunner(["--timeout", "300ms", "deferring"], { cwd: timedOut });
    expect(run.code).toBe(124);
    expect(lines(timedOut, "order")).toEqual(["deferred command ran", "registered first, runs last"]);
    expect(await waitUntilGone(pidIn(timedOut, "pid"))).toBe(true);

    const interrupted = project({ "tasks.ts": TASKS });
    const end = await interrupt(interrupted, ["deferring"]);
    expect(end.code).toBe(130);
    expect(lines(interrupted, "order")).toEqual(["deferred command ran", "registered first, runs last"]);
    expect(await waitUntilGone(pidIn(interrupted, "pid"))).toBe(true);
  });

  it("runs after a cancel also when the task's code waits on something else and never settles", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["-p", "-j", "4", "deaf", "fail"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/⊘ deaf +cancelled/);
    expect(existsSync(join(dir, "deferred"))).toBe(true);
  });

  it("a cleanup command that hangs is killed when the grace period ends, and the task ends then", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["-p", "-j", "4", "hangs", "fail"], {
      cwd: dir,
      env: { RUNNER_KILL_GRACE: "500ms" },
    });
    expect(run.code).toBe(3);
    expect(run.all).toContain("deferred cleanup failed: Command was killed with SIGKILL: echo $$ > cleanup-pid");
    expect(run.stderr).toMatch(/⊘ hangs +cancelled/);
    expect(await waitUntilGone(pidIn(dir, "cleanup-pid"))).toBe(true);
    expect(await waitUntilGone(pidIn(dir, "pid"))).toBe(true);
  });

  it("an error it throws fails a task that passed, with the cleanup's own exit code", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["bad-cleanup"], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("✖ bad-cleanup: deferred cleanup failed: Command failed with exit code 4: exit 4");
  });

  it("an error it throws does not hide the task's own failure: it is printed, and the task's status stays", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["both-fail"], { cwd: dir });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("✖ both-fail: Command failed with exit code 5: exit 5");
    expect(run.all).toContain("deferred cleanup failed: cleanup broke too");
  });
});

/** Starts runner, sends it SIGINT once its task's command printed "started", and collects the end. */
async function interrupt(dir: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnRunner(args, dir);
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const ended = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, stderr }));
  });
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      if (stdout.includes("started")) resolve();
    });
  });
  child.kill("SIGINT");
  return ended;
}
