// runner signals a process group only while it is certainly its own. A group's id is its
// leader's pid; once the group empties, the kernel may hand that id to an unrelated process.
// The test makes that happen (as root, through /proc/sys/kernel/ns_last_pid) and checks the
// newcomer survives the end of the run.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";
import { isAlive, killIfAlive } from "./process-helpers.ts";

const canChoosePids = ((): boolean => {
  if (process.getuid?.() !== 0) return false;
  try {
    writeFileSync("/proc/sys/kernel/ns_last_pid", readFileSync("/proc/sys/kernel/ns_last_pid", "utf8"));
    return true;
  } catch {
    return false;
  }
})();

// The command's group empties by itself, and with no zombie left in it (in containers whose
// init never reaps, an orphan's end would keep the id in use): its leader forks a keeper,
// which forks the last member and then leaves for a session of its own, and reaps it.
const EMPTYING = [
  "import os, sys, time",
  "keeper = os.fork()",
  "if keeper == 0:",
  "    devnull = os.open('/dev/null', os.O_RDWR)",
  "    for fd in (0, 1, 2): os.dup2(devnull, fd)",
  "    last = os.fork()",
  "    if last == 0:",
  "        time.sleep(0.5)",
  "        os._exit(0)",
  "    os.setsid()",
  "    open('keeper', 'w').write(str(os.getpid()))",
  "    os.waitpid(last, 0)",
  "    time.sleep(20)",
  "    os._exit(0)",
  "open('leader', 'w').write(str(os.getpid()))",
].join("\n");

const TASKS = `import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { task } from "runner-ts";
export const leave = task({
  run: async (ctx) => {
    writeFileSync("emptying.py", ${JSON.stringify(EMPTYING)});
    await ctx.exec("python3", ["emptying.py"]);
  },
});
export const recycle = task({
  deps: [leave],
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const leader = Number(readFileSync("leader", "utf8"));
    // The next process forked gets the emptied group's id, and leads a new group of that id.
    // (Threads take pids too: try until the newcomer has the id.)
    const script = \`for i in 1 2 3 4 5 6 7 8 9 10; do
      echo \${leader - 1} > /proc/sys/kernel/ns_last_pid; setsid sleep 30 > /dev/null 2>&1 &
      if [ $! = \${leader} ]; then break; fi; kill $!
    done; echo $! > newcomer\`;
    spawn("sh", ["-c", script], { stdio: "ignore" }).unref();
    await new Promise((resolve) => setTimeout(resolve, 300));
  },
});
`;

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) killIfAlive(pid);
});

describe.runIf(canChoosePids)("a recycled process group id", () => {
  it("is not signalled at the end of the run: the unrelated group that got it lives on", async () => {
    for (let attempt = 0; ; attempt++) {
      const dir = project({ "tasks.ts": TASKS });
      const run = await runRunner(["recycle"], { cwd: dir });
      expect(run.code).toBe(0);
      expect(existsSync(join(dir, "newcomer"))).toBe(true);
      const newcomer = Number(readFileSync(join(dir, "newcomer"), "utf8"));
      started.push(newcomer, Number(readFileSync(join(dir, "keeper"), "utf8")));
      const leader = Number(readFileSync(join(dir, "leader"), "utf8"));
      // Another process may have taken the id first; then try again.
      if (newcomer !== leader && attempt < 5) continue;
      expect(newcomer).toBe(leader);
      expect(isAlive(newcomer)).toBe(true);
      return;
    }
  });
});
