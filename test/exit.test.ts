// runner's own exit (world/real.ts's skipTeardown): after a run of a second or more, or one
// that started the watchdog thread (task code on runner's own thread), on a Node that has
// process.execve, the process becomes `sh -c 'exit N'` rather than go through Node's teardown,
// which can deadlock (nodejs/node#54918) and would wait for a watchdog thread still starting;
// the status is the run's either way. strace shows which programs the process became.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, project, runnerBin } from "./helpers.ts";

const hasStrace = spawnSync("sh", ["-c", "command -v strace"]).status === 0;
if (!hasStrace && process.env.CI === "true") throw new Error("strace is not installed; .ci/run installs it");
const hasExecve = typeof (process as unknown as { execve?: unknown }).execve === "function";

const TASKS = `import { task } from "runner-ts";
export const quick = task({ run: () => { process.exitCode = 3; } });
export const fast = task({ isolate: true, run: () => { process.exitCode = 5; } });
export const long = task({ run: async () => { await new Promise((r) => setTimeout(r, 1200)); process.exitCode = 4; } });
`;

/** Runs runner under strace: its status, and the programs its process became. */
function traced(dir: string, ...args: string[]): { status: number | null; programs: string[] } {
  const log = join(dir, `${args.join("_")}.strace`);
  const run = spawnSync(
    "strace",
    ["-f", "-qq", "-e", "trace=execve", "-o", log, process.execPath, runnerBin, ...args],
    {
      cwd: dir,
      env: cleanEnv({}),
      encoding: "utf8",
      timeout: 30_000,
    },
  );
  const programs = [...readFileSync(log, "utf8").matchAll(/execve\("([^"]+)", (\[[^\]]*\])/g)].map(
    ([, file, args]) => `${file} ${args}`,
  );
  return { status: run.status, programs };
}

/** The programs that are runner's leaving by sh (leave.ts), not a shell it ran. */
const leavings = (programs: readonly string[]): string[] =>
  programs.filter((program) => program.startsWith('/bin/sh ["sh", "-c", "exit '));

describe.skipIf(!hasStrace)("runner's exit", () => {
  it(`after a second, ${hasExecve ? "becomes sh -c 'exit N'" : "is Node's (no process.execve here)"}, with the run's status`, () => {
    const dir = project({ "tasks.ts": TASKS });
    const { status, programs } = traced(dir, "long");
    expect(status).toBe(4);
    const shell = leavings(programs);
    expect(shell, programs.join("\n")).toEqual(hasExecve ? ['/bin/sh ["sh", "-c", "exit 4"]'] : []);
  });

  it(`of a short run with task code on runner's thread (its watchdog started) ${hasExecve ? "becomes sh -c 'exit N'" : "is Node's"}`, () => {
    const dir = project({ "tasks.ts": TASKS });
    const { status, programs } = traced(dir, "quick");
    expect(status).toBe(3);
    const shell = leavings(programs);
    expect(shell, programs.join("\n")).toEqual(hasExecve ? ['/bin/sh ["sh", "-c", "exit 3"]'] : []);
  });

  it("of a short run with no task code on runner's thread is Node's own, with the run's status", () => {
    const dir = project({ "tasks.ts": TASKS });
    for (const [args, expected] of [
      [["--list"], 0],
      [["fast"], 5],
    ] as const) {
      const { status, programs } = traced(dir, ...args);
      expect(status, args.join(" ")).toBe(expected);
      expect(leavings(programs), programs.join("\n")).toEqual([]);
    }
  });
});
