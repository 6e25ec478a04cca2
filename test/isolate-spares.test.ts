// Pool workers forked as runner reads its command line (cli/spares-ahead.ts, pool/spares.ts):
// `--isolate` says before the tasks file loads that the run will want them. The tasks file
// below notes, as runner's own process loads it, which processes runner has forked by then;
// a pool worker (it has an IPC channel) skips that. Real CLI, real processes.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { cleanEnv, project, runnerBin, runRunner } from "./helpers.ts";
import { killIfAlive, readPid, waitUntilGone } from "./process-helpers.ts";

const TASKS = `import { task } from "runner";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

/** The pool workers (runner's boot script) whose parent is this process. */
function children(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(\`/proc/\${entry}/stat\`, "utf8");
      const worker = readFileSync(\`/proc/\${entry}/cmdline\`, "utf8").includes("boot.cjs");
      if (worker && stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] === String(process.pid)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
if (process.send === undefined) writeFileSync("forked-at-load.json", JSON.stringify(children()));
// Runner busy loading the tasks file for a while, where the test says so.
if (process.send === undefined && process.env.HOLD_LOAD_MS)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.HOLD_LOAD_MS));

const runs = (name: string) =>
  task({ run: () => { writeFileSync(\`\${name}.pid\`, String(process.pid)); console.log(name, process.env.FROM_DOTENV ?? "-"); } });
export const a = runs("a");
export const b = runs("b");
`;

const forkedAtLoad = (dir: string): number[] =>
  JSON.parse(readFileSync(join(dir, "forked-at-load.json"), "utf8")) as number[];

async function allGone(pids: readonly number[]): Promise<boolean> {
  const gone = await Promise.all(pids.map((pid) => waitUntilGone(pid)));
  return gone.every(Boolean);
}

describe("workers forked ahead of an --isolate run", () => {
  it("are forked while the tasks file loads, and run the tasks", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const r = await runRunner(["-p", "-j2", "--isolate", "a", "b"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const forked = forkedAtLoad(dir);
    const [a, b] = [readPid(dir, "a.pid"), readPid(dir, "b.pid")];
    expect(a).not.toBe(b);
    expect(forked).toContain(a);
    expect(forked).toContain(b);
    expect(forked).toHaveLength(2);
  });

  it("are as many as the run may use at once: one for a serial run", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const r = await runRunner(["--isolate", "a", "b"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(forkedAtLoad(dir)).toEqual([readPid(dir, "a.pid")]);
    expect(readPid(dir, "b.pid")).toBe(readPid(dir, "a.pid"));
  });

  // A dotenv file is read only after the tasks file: the spares were forked without its
  // values, and a task run in one would not see them.
  it("never run a task when forked otherwise than the pool forks (a dotenv file): killed, and the workers forked anew", async () => {
    const dir = project({
      "tasks.ts": TASKS,
      ".env": "FROM_DOTENV=from-the-file\n",
      ".runnerrc.json": JSON.stringify({ dotenv: [".env"] }),
    });
    const r = await runRunner(["-p", "-j2", "--isolate", "a", "b"], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain("a from-the-file");
    expect(r.stdout).toContain("b from-the-file");
    const forked = forkedAtLoad(dir);
    expect(forked).toHaveLength(2);
    expect(forked).not.toContain(readPid(dir, "a.pid"));
    expect(forked).not.toContain(readPid(dir, "b.pid"));
    expect(await allGone(forked)).toBe(true);
  });

  it("are killed when the run ends before its pool (an unknown task name: exit 2)", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const r = await runRunner(["-p", "-j2", "--isolate", "a", "nope"], { cwd: dir });
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toContain("nope");
    const forked = forkedAtLoad(dir);
    expect(forked).toHaveLength(2);
    expect(await allGone(forked)).toBe(true);
  });

  it("are not forked where nothing runs (--list, --plan) or nothing is isolated on the command line", async () => {
    const dir = project({ "tasks.ts": TASKS });
    for (const args of [
      ["--isolate", "--list"],
      ["--isolate", "--plan", "a"],
      ["-p", "a", "b"],
    ]) {
      const r = await runRunner(args, { cwd: dir });
      expect(r.code, `${args.join(" ")}\n${r.all}`).toBe(0);
      expect(forkedAtLoad(dir), args.join(" ")).toEqual([]);
    }
  });

  it("end by themselves when runner is killed (SIGKILL) while it loads the tasks file", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const child = spawn(process.execPath, [runnerBin, "-p", "-j2", "--isolate", "a", "b"], {
      cwd: dir,
      env: cleanEnv({ HOLD_LOAD_MS: "5000" }),
      stdio: "ignore",
    });
    try {
      for (let waited = 0; !existsSync(join(dir, "forked-at-load.json")) && waited < 10_000; waited += 50)
        await sleep(50);
      // Written, then read once whole.
      await sleep(100);
      const forked = forkedAtLoad(dir);
      expect(forked).toHaveLength(2);
      child.kill("SIGKILL");
      expect(await allGone(forked)).toBe(true);
    } finally {
      if (child.pid !== undefined) killIfAlive(child.pid);
    }
  });
});
