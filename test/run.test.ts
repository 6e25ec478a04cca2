// Serial runs (SPEC §3, §5): order, dedupe, headers and summary, fail-fast and -k, time
// limits that kill whole process trees, retries, and runner's exit status.
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { runInProcess } from "./world.ts";
import { killIfAlive, readPid, spawnRunner, waitUntilGone } from "./process-helpers.ts";

const GRAPH = `import { task } from "runner-ts";
export const a = task({ run: (ctx) => ctx.log("a") });
export const b = task({ deps: [a], run: (ctx) => ctx.log("b") });
export const c = task({ deps: [a], run: (ctx) => ctx.log("c") });
export const d = task({ deps: [b, c], run: (ctx) => ctx.log("d") });
export const say = task({
  options: { word: { type: "string", default: "hi" } },
  run: (ctx, o) => ctx.log("say", o.word),
});
export const ok = task({ run: (ctx) => ctx.log("ok ran") });
export const fail3 = task({ run: (ctx) => ctx.run("echo failing; exit 3") });
export const fail5 = task({ run: (ctx) => ctx.run("exit 5") });
export const needsFail = task({ deps: [fail3], run: (ctx) => ctx.log("needs-fail ran") });
export function boom() {
  throw new Error("kaboom");
}
export const killed = task({ run: (ctx) => ctx.run("kill -9 $$") });
export const terminated = task({ run: (ctx) => ctx.run("kill -TERM $$") });
export const alarmed = task({ run: (ctx) => ctx.run("kill -VTALRM $$") });
`;

describe("order and dedupe", () => {
  const dir = project({ "tasks.ts": GRAPH });

  it("runs deps depth-first in declared order, a shared dep once, with headers, status lines and a summary", async () => {
    const run = await runInProcess(["d"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("a\nb\nc\nd\n");
    expect(normalize(run.stderr)).toBe(
      [
        "▶ a",
        "✔ a <time>",
        "▶ b",
        "✔ b <time>",
        "▶ c",
        "✔ c <time>",
        "▶ d",
        "✔ d <time>",
        "",
        "  ✔ a  passed <time>",
        "  ✔ b  passed <time>",
        "  ✔ c  passed <time>",
        "  ✔ d  passed <time>",
        "4 tasks: 4 passed in <time>",
        "",
      ].join("\n"),
    );
  });

  it("runs a task named again, or reached again as a dep, once", async () => {
    const run = await runInProcess(["a", "d", "a"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("a\nb\nc\nd\n");
    expect(normalize(run.stderr)).toContain("\n4 tasks: 4 passed in <time>\n");
  });

  it("dedupes by task and options: same options once, different options again", async () => {
    const run = await runInProcess(["say", "say", "--word", "x", "say", "--word", "x", "say", "--word", "hi"], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("say hi\nsay x\n");
    expect(normalize(run.stderr)).toContain(
      "\n  ✔ say           passed <time>\n  ✔ say --word x  passed <time>\n2 tasks: 2 passed in <time>\n",
    );
  });

  it("repeats tasks and shared deps with --no-dedupe", async () => {
    const twice = await runInProcess(["--no-dedupe", "say", "say"], { cwd: dir });
    expect(twice.code).toBe(0);
    expect(twice.stdout).toBe("say hi\nsay hi\n");
    expect(normalize(twice.stderr)).toContain("2 tasks: 2 passed in <time>\n");
    const diamond = await runInProcess(["--no-dedupe", "d"], { cwd: dir });
    expect(diamond.stdout).toBe("a\nb\na\nc\nd\n");
  });

  it("prints no header and no summary for a single task that passes", async () => {
    const run = await runInProcess(["a"], { cwd: dir });
    expect(run).toMatchObject({ code: 0, stdout: "a\n", stderr: "" });
  });
});

describe("failures", () => {
  const dir = project({ "tasks.ts": GRAPH });

  it("reports a single failing task with its error and a summary, and exits with its command's code", async () => {
    const run = await runInProcess(["fail3"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("failing\n");
    expect(normalize(run.stderr)).toBe(
      [
        "✖ fail3: Command failed with exit code 3: echo failing; exit 3",
        "",
        "  ✖ fail3  failed (exit 3) <time>",
        "1 task: 1 failed in <time>",
        "",
      ].join("\n"),
    );
  });

  it("stops at the first failure by default and shows the rest as skipped", async () => {
    const run = await runInProcess(["ok", "fail3", "a"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("ok ran\nfailing\n");
    expect(normalize(run.stderr)).toBe(
      [
        "▶ ok",
        "✔ ok <time>",
        "▶ fail3",
        "✖ fail3: Command failed with exit code 3: echo failing; exit 3",
        "✖ fail3 failed (exit 3) <time>",
        "",
        "  ✔ ok     passed <time>",
        "  ✖ fail3  failed (exit 3) <time>",
        "  ○ a      skipped",
        "3 tasks: 1 passed, 1 failed, 1 skipped in <time>",
        "",
      ].join("\n"),
    );
  });

  it("with -k runs what does not depend on the failure and skips what does", async () => {
    const run = await runInProcess(["-k", "needs-fail", "ok"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("failing\nok ran\n");
    expect(normalize(run.stderr)).toContain(
      [
        "",
        "  ✖ fail3       failed (exit 3) <time>",
        "  ○ needs-fail  skipped",
        "  ✔ ok          passed <time>",
        "3 tasks: 1 passed, 1 failed, 1 skipped in <time>",
        "",
      ].join("\n"),
    );
    expect(run.stderr).not.toContain("▶ needs-fail");
  });

  it("with -k counts the tasks after a failure as they ran", async () => {
    const run = await runInProcess(["-k", "ok", "fail3", "a"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("ok ran\nfailing\na\n");
    expect(normalize(run.stderr)).toContain("\n3 tasks: 2 passed, 1 failed in <time>\n");
  });

  it("exits with the first failure's status when -k lets later tasks fail otherwise", async () => {
    expect((await runInProcess(["-k", "fail5", "fail3"], { cwd: dir })).code).toBe(5);
    expect((await runInProcess(["-k", "fail3", "fail5"], { cwd: dir })).code).toBe(3);
    const thrownFirst = await runInProcess(["-k", "boom", "fail5"], { cwd: dir });
    expect(thrownFirst.code).toBe(1);
    expect(normalize(thrownFirst.stderr)).toContain("\n2 tasks: 2 failed in <time>\n");
  });
});

describe("exit status", () => {
  const dir = project({ "tasks.ts": GRAPH });

  it("is 0 when every task passed", async () => {
    expect((await runInProcess(["d", "ok"], { cwd: dir })).code).toBe(0);
  });

  it("is 1 for a thrown error, shown by its message", async () => {
    const run = await runInProcess(["boom"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(normalize(run.stderr)).toBe(
      "✖ boom: kaboom (tasks.ts:15:9)\n\n  ✖ boom  failed <time>\n1 task: 1 failed in <time>\n",
    );
  });

  it("is 128 + the signal number when a signal killed the failing command", async () => {
    const kill = await runInProcess(["killed"], { cwd: dir });
    expect(kill.code).toBe(137);
    expect(normalize(kill.stderr)).toBe(
      "✖ killed: Command was killed with SIGKILL: kill -9 $$\n\n  ✖ killed  failed (exit 137) <time>\n1 task: 1 failed in <time>\n",
    );
    const term = await runInProcess(["terminated"], { cwd: dir });
    expect(term.code).toBe(143);
    expect(term.stderr).toContain("✖ terminated: Command was killed with SIGTERM: kill -TERM $$\n");
    // Any signal, by the platform's own number (26 on Linux).
    const alarm = await runInProcess(["alarmed"], { cwd: dir });
    expect(alarm.code).toBe(128 + constants.signals.SIGVTALRM);
    expect(alarm.stderr).toContain("✖ alarmed: Command was killed with SIGVTALRM: kill -VTALRM $$\n");
  });
});

describe("time limits", () => {
  const TIMED = `import { task } from "runner-ts";
export const slow = task({ timeout: "500ms", run: (ctx) => ctx.run("sleep 300 & echo $! > pid; wait") });
export const patient = task({ timeout: "1h", run: (ctx) => ctx.run("sleep 300 & echo $! > pid; wait") });
export const stubborn = task({
  timeout: "500ms",
  run: (ctx) => ctx.run("trap '' TERM; sleep 300 & echo $! > pid; wait"),
});
export const after = task({ run: (ctx) => ctx.log("after ran") });
`;

  it("times out a task by its own timeout, kills its command's whole tree, and exits 124", async () => {
    const dir = project({ "tasks.ts": TIMED });
    const run = await runInProcess(["slow"], { cwd: dir });
    const grandchild = readPid(dir);
    try {
      expect(run.code).toBe(124);
      expect(normalize(run.stderr)).toBe(
        "✖ slow: Task timed out after 500 ms\n\n  ✖ slow  timed out <time>\n1 task: 1 timed out in <time>\n",
      );
      // The `sleep` was the shell's background child: only a group kill reaches it.
      expect(await waitUntilGone(grandchild)).toBe(true);
    } finally {
      killIfAlive(grandchild);
    }
  });

  it("names the limit as users write it, and --timeout 0 lifts a task's own limit", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
export const minutes = task({ timeout: "2m", run: (ctx) => ctx.run("exit 0") });
export const quick = task({ timeout: "300ms", run: (ctx) => ctx.run("sleep 1; echo finished") });
export const cmd = task({ run: (ctx) => ctx.run("sleep 1; echo finished", { timeout: 0 }) });
`,
    });
    const lifted = await runInProcess(["quick", "--timeout", "0"], { cwd: dir });
    expect([lifted.code, lifted.stdout, lifted.stderr]).toEqual([0, "finished\n", ""]);
    const limited = await runInProcess(["quick"], { cwd: dir });
    expect(limited.code).toBe(124);
    expect(limited.stderr).toContain("✖ quick: Task timed out after 300 ms\n");
    const command = await runInProcess(["cmd"], { cwd: dir });
    expect([command.code, command.stdout]).toEqual([0, "finished\n"]);
    const help = await runInProcess(["--help", "minutes"], { cwd: dir });
    expect(help.stdout).toContain("Time limit: 2m\n");
  });

  it("lets --timeout override a task's own limit, and stops the run there", async () => {
    const dir = project({ "tasks.ts": TIMED });
    const run = await runInProcess(["--timeout", "500ms", "patient", "after"], { cwd: dir });
    const grandchild = readPid(dir);
    try {
      expect(run.code).toBe(124);
      expect(run.stdout).toBe("");
      expect(normalize(run.stderr)).toBe(
        [
          "▶ patient",
          "✖ patient: Task timed out after 500 ms",
          "✖ patient timed out <time>",
          "",
          "  ✖ patient  timed out <time>",
          "  ○ after    skipped",
          "2 tasks: 1 timed out, 1 skipped in <time>",
          "",
        ].join("\n"),
      );
      expect(await waitUntilGone(grandchild)).toBe(true);
    } finally {
      killIfAlive(grandchild);
    }
  });

  it("kills a tree that ignores SIGTERM with SIGKILL after the grace period", async () => {
    const dir = project({ "tasks.ts": TIMED });
    const run = await runInProcess(["stubborn"], { cwd: dir, env: { RUNNER_KILL_GRACE: "300ms" } });
    const grandchild = readPid(dir);
    try {
      expect(run.code).toBe(124);
      expect(run.stderr).toContain("✖ stubborn: Task timed out after 500 ms\n");
      expect(await waitUntilGone(grandchild)).toBe(true);
    } finally {
      killIfAlive(grandchild);
    }
  });
});

describe("a time-out while nobody reads the output", () => {
  it("is reported at once, not when the reader gets round to reading", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";\nexport const flood = task({ timeout: "500ms", run: (ctx) => ctx.run("yes") });\n`,
    });
    // A long grace period: without reading what is left in the killed command's pipe, the
    // runner would only give up on it after that.
    const child = spawnRunner(["flood"], dir, { RUNNER_KILL_GRACE: "60s" });
    child.stdout.pause();
    let stderr = "";
    const summary = new Promise<void>((resolve) => {
      child.stderr.setEncoding("utf8").on("data", (text: string) => {
        stderr += text;
        if (stderr.includes("1 task: 1 timed out")) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      await Promise.race([summary, sleep(15_000, undefined, { ref: false })]);
      expect(normalize(stderr)).toBe(
        "✖ flood: Task timed out after 500 ms\n\n  ✖ flood  timed out <time>\n1 task: 1 timed out in <time>\n",
      );
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    } finally {
      child.stdout.resume();
    }
    expect(await closed).toBe(124);
  });
});

describe("tasks that never finish", () => {
  const NEVER = `import { task } from "runner-ts";
export const forever = task({ timeout: "300ms", run: () => new Promise(() => {}) });
export const stuck = task({ run: () => new Promise(() => {}) });
export const after = task({ run: (ctx) => ctx.log("after ran") });
/** Passes, but leaves a timer that would keep a Node process alive for ever. */
export function leaky() {
  setInterval(() => console.log("tick"), 200);
}
/** Times out, and its JavaScript goes on printing: that must not appear after the summary. */
export const chatty = task({
  timeout: "300ms",
  run: () =>
    new Promise(() => {
      setInterval(() => console.log("still here"), 100);
    }),
});
`;
  const dir = project({ "tasks.ts": NEVER });

  it("end the run once it is reported, whatever timers task code left behind", async () => {
    // The real CLI: what is left behind must not keep runner's own process alive.
    const leaked = await runRunner(["leaky"], { cwd: dir, timeoutMs: 10_000 });
    expect([leaked.signal, leaked.code, leaked.stdout, leaked.stderr]).toEqual([null, 0, "", ""]);
    const timedOut = await runRunner(["chatty"], { cwd: dir, timeoutMs: 10_000 });
    expect([timedOut.signal, timedOut.code]).toEqual([null, 124]);
    expect(normalize(timedOut.all).endsWith("1 task: 1 timed out in <time>\n")).toBe(true);
  });

  it("time out on a promise nothing settles, and the run goes on to its summary", async () => {
    const run = await runInProcess(["-k", "forever", "after"], { cwd: dir });
    expect(run.code).toBe(124);
    expect(run.stdout).toBe("after ran\n");
    expect(normalize(run.stderr)).toBe(
      [
        "▶ forever",
        "✖ forever: Task timed out after 300 ms",
        "✖ forever timed out <time>",
        "▶ after",
        "✔ after <time>",
        "",
        "  ✖ forever  timed out <time>",
        "  ✔ after    passed <time>",
        "2 tasks: 1 passed, 1 timed out in <time>",
        "",
      ].join("\n"),
    );
  });

  it("fail, with no time limit, once nothing is left that could settle their promise", async () => {
    const run = await runRunner(["-k", "stuck", "after"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("after ran\n");
    expect(normalize(run.stderr)).toContain(
      "✖ stuck: never finished: it awaits a promise that nothing left running can settle\n✖ stuck failed <time>\n",
    );
    expect(normalize(run.stderr)).toContain("\n2 tasks: 1 passed, 1 failed in <time>\n");
  });
});

describe("retries", () => {
  const RETRIED = `import { task } from "runner-ts";
let tries = 0;
export const flaky = task({
  retries: 2,
  run: (ctx) => {
    tries++;
    ctx.log("attempt", tries);
    if (tries < 3) throw new Error("flaky " + tries);
  },
});
export const broken = task({ run: (ctx) => ctx.run("echo trying; exit 4") });
`;
  const dir = project({ "tasks.ts": RETRIED });

  it("re-runs a task up to its retries, showing every failed attempt", async () => {
    const run = await runInProcess(["flaky"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("attempt 1\nattempt 2\nattempt 3\n");
    expect(run.stderr).toBe(
      [
        "✖ flaky: flaky 1 (tasks.ts:8:26)",
        "↻ flaky: attempt 2 of 3",
        "✖ flaky: flaky 2 (tasks.ts:8:26)",
        "↻ flaky: attempt 3 of 3",
        "",
      ].join("\n"),
    );
  });

  it("takes --retries from the command line, and reports the attempts of a task that never passed", async () => {
    const run = await runInProcess(["--retries", "2", "broken"], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("trying\ntrying\ntrying\n");
    expect(normalize(run.stderr)).toBe(
      [
        "✖ broken: Command failed with exit code 4: echo trying; exit 4",
        "↻ broken: attempt 2 of 3",
        "✖ broken: Command failed with exit code 4: echo trying; exit 4",
        "↻ broken: attempt 3 of 3",
        "✖ broken: Command failed with exit code 4: echo trying; exit 4",
        "",
        "  ✖ broken  failed (exit 4) <time> (3 attempts)",
        "1 task: 1 failed in <time>",
        "",
      ].join("\n"),
    );
  });

  it("lets --retries 0 override a task's own retries", async () => {
    const run = await runInProcess(["--retries", "0", "flaky"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("attempt 1\n");
    expect(normalize(run.stderr)).toBe(
      "✖ flaky: flaky 1 (tasks.ts:8:26)\n\n  ✖ flaky  failed <time>\n1 task: 1 failed in <time>\n",
    );
  });
});

describe("a reader that goes away", () => {
  it("does not stop the run or fail it: the rest of the output is dropped", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
export const flood = task({
  run: async (ctx) => {
    const r = await ctx.run("yes | head -c 20000000");
    console.error("flood finished, captured", r.stdout.length > 0);
  },
});
export const next = task({
  run: (ctx) => {
    ctx.log("to the closed stdout");
    console.error("next ran");
  },
});
`,
    });
    const child = spawnRunner(["-q", "flood", "next"], dir);
    // Like \`runner flood next | head -1\`: read a little, then close the pipe.
    child.stdout.once("data", () => child.stdout.destroy());
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("flood finished, captured true\nnext ran\n");
    expect(code).toBe(0);
  });
});
