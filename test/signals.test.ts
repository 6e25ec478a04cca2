// Ctrl-C and SIGTERM sent to runner itself, with real processes: every command's process
// group hears it, the run stops with a summary, and nothing the run started survives.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { normalize, project } from "./helpers.ts";
import { killIfAlive, readPid, spawnRunner, waitUntilGone } from "./process-helpers.ts";

const TASKS = `import { writeFileSync } from "node:fs";
import { task } from "runner-ts";
// A shell with a background child and a foreground child: the background one ignores
// SIGINT (as background jobs of a non-interactive shell do), so only a group-wide
// follow-up reaches it.
export const long = task({
  run: (ctx) => ctx.run("sleep 301 & echo $! > bg; sleep 302 & echo $! > fg; echo started; wait"),
});
export const deaf = task({
  run: (ctx) => ctx.run("trap '' INT TERM; sleep 303 & echo $! > bg; echo started; wait"),
});
export const js = task({
  async run(ctx) {
    console.log("started");
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  },
});
export const after = task({ run: (ctx) => ctx.run("touch after-ran") });
export const caught = task({
  async run(ctx) {
    const r = await ctx.run("echo started; sleep 300", { warn: true });
    writeFileSync("signal", String(r.signal));
  },
});
`;

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) killIfAlive(pid);
});

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts runner, sends `signals` once its task printed "started", and collects the end. */
async function interrupt(
  dir: string,
  args: readonly string[],
  signals: readonly NodeJS.Signals[],
  env: Readonly<Record<string, string>> = {},
): Promise<Ended> {
  const child = spawnRunner(args, dir, env);
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const ended = new Promise<Ended>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      if (stdout.includes("started")) resolve();
    });
  });
  for (const signal of signals) {
    child.kill(signal);
    await sleep(200);
  }
  return ended;
}

describe("signals sent to runner", () => {
  it("Ctrl-C (SIGINT) reaches the command's whole group, cancels the task, skips the rest, exits 130", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const end = await interrupt(dir, ["long", "after"], ["SIGINT"]);
    const background = readPid(dir, "bg");
    const foreground = readPid(dir, "fg");
    leftovers.push(background, foreground);
    expect(end.code).toBe(130);
    expect(normalize(end.stderr)).toBe(
      [
        "▶ long",
        "⊘ long cancelled <time>",
        "",
        "  ⊘ long   cancelled <time>",
        "  ○ after  skipped",
        "2 tasks: 1 cancelled, 1 skipped in <time>",
        "",
      ].join("\n"),
    );
    expect(await waitUntilGone(foreground)).toBe(true);
    expect(await waitUntilGone(background)).toBe(true);
    expect(existsSync(join(dir, "after-ran"))).toBe(false);
  });

  it("the command's result names the signal it got: SIGINT after Ctrl-C, SIGTERM after SIGTERM", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const dir = project({ "tasks.ts": TASKS });
      const end = await interrupt(dir, ["caught"], [signal]);
      expect(end.code).toBe(signal === "SIGINT" ? 130 : 143);
      expect(readFileSync(join(dir, "signal"), "utf8")).toBe(signal);
    }
  });

  it("SIGTERM does the same and exits 143", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const end = await interrupt(dir, ["long"], ["SIGTERM"]);
    const background = readPid(dir, "bg");
    leftovers.push(background, readPid(dir, "fg"));
    expect(end.code).toBe(143);
    expect(normalize(end.stderr)).toContain("  ⊘ long  cancelled <time>\n1 task: 1 cancelled in <time>\n");
    expect(await waitUntilGone(background)).toBe(true);
  });

  it("a second Ctrl-C kills at once what ignores the first, without waiting out the grace period", async () => {
    const dir = project({ "tasks.ts": TASKS });
    // A grace period far longer than the test's own time limit: only the second Ctrl-C can end this run.
    const end = await interrupt(dir, ["deaf"], ["SIGINT", "SIGINT"], { RUNNER_KILL_GRACE: "10m" });
    const background = readPid(dir, "bg");
    leftovers.push(background);
    expect(end.code).toBe(130);
    expect(normalize(end.stderr)).toContain("1 task: 1 cancelled in <time>\n");
    expect(await waitUntilGone(background)).toBe(true);
  });

  it("after one Ctrl-C, what ignores SIGINT and SIGTERM gets SIGKILL once the grace period is over", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const end = await interrupt(dir, ["deaf"], ["SIGINT"], { RUNNER_KILL_GRACE: "500ms" });
    const background = readPid(dir, "bg");
    leftovers.push(background);
    expect(end.code).toBe(130);
    expect(await waitUntilGone(background)).toBe(true);
  });

  it("stops a task whose JavaScript is still waiting: it shows as cancelled and the summary is printed", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const end = await interrupt(dir, ["js", "after"], ["SIGINT"]);
    expect(end.code).toBe(130);
    expect(normalize(end.stderr)).toContain("2 tasks: 1 cancelled, 1 skipped in <time>\n");
    expect(existsSync(join(dir, "after-ran"))).toBe(false);
  });

  it.each([
    ["SIGHUP", 129],
    ["SIGQUIT", 131],
    ["SIGALRM", 142],
  ] as const)(
    "%s is handled as SIGINT is: commands stopped, summary and report written, exit %i",
    async (signal, code) => {
      const dir = project({ "tasks.ts": TASKS });
      const end = await interrupt(dir, ["long", "after", "--report", "run.json"], [signal]);
      const background = readPid(dir, "bg");
      const foreground = readPid(dir, "fg");
      leftovers.push(background, foreground);
      expect([end.signal, end.code]).toEqual([null, code]);
      expect(normalize(end.stderr)).toContain("2 tasks: 1 cancelled, 1 skipped in <time>\n");
      const report = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { exitCode: number };
      expect(report.exitCode).toBe(code);
      expect(await waitUntilGone(foreground)).toBe(true);
      expect(await waitUntilGone(background)).toBe(true);
    },
  );

  it("a signal while the last output drains to a slow reader: leftovers stopped, summary and report still written", async () => {
    const dir = project({
      "tasks.ts": `import { writeFileSync } from "node:fs";
import { task } from "runner-ts";
export const big = task({ run: (ctx) => ctx.run("head -c 20000000 /dev/zero | tr '\\\\0' x; echo") });
export const server = task({ run: (ctx) => ctx.run("sleep 300 > /dev/null 2>&1 & echo $! > bg") });
export const last = task({ deps: [big, server], run: () => writeFileSync("done", "") });
`,
    });
    const child = spawnRunner(["-p", "-j2", "--output", "grouped", "--report", "run.json", "last"], dir);
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.stdout.pause();
    const ended = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    for (let waited = 0; !existsSync(join(dir, "done")) && waited < 15_000; waited += 50) await sleep(50);
    expect(existsSync(join(dir, "done"))).toBe(true);
    const background = readPid(dir, "bg");
    leftovers.push(background);
    await sleep(300);
    child.kill("SIGINT");
    await sleep(300);
    child.stdout.resume();
    expect(await ended).toBe(0);
    expect(normalize(stderr)).toContain("3 tasks: 3 passed in <time>\n");
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8"))).toMatchObject({ exitCode: 0 });
    expect(await waitUntilGone(background)).toBe(true);
  });
});
