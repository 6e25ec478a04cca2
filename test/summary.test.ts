// The summary (SPEC §5): when it is printed, one line per task with its status and time,
// the totals, the last lines of a failed task whose output was not shown in full; and the
// ::error lines of GitHub Actions.
import { describe, expect, it } from "vitest";
import type { Task } from "../src/loader/collection.ts";
import type { TaskRun, TaskStatus } from "../src/execution/outcomes.ts";
import { escapeData, escapeProperty } from "../src/report/github-actions.ts";
import { makeStyle } from "../src/display/style.ts";
import { summaryLines } from "../src/display/summary.ts";
import { normalize, project } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const TASKS = `import { task } from "runner-ts";
export const ok = task({
  options: { word: { type: "string", default: "hi" } },
  run: (ctx, o) => ctx.log("ok", o.word),
});
export const fail3 = task({ run: (ctx) => ctx.run("echo failing; exit 3") });
export const needsFail = task({ deps: [fail3], run: () => {} });
export const slow = task({ timeout: "300ms", run: (ctx) => ctx.run("sleep 30") });
export const long = task({ run: (ctx) => ctx.run("sleep 30") });
export function boom() {
  throw new Error("kaboom");
}
export const flaky = task({
  retries: 1,
  run: (ctx) => ctx.run("test -e tried || { touch tried; exit 7; }"),
});
export const percent = task({ run: (ctx) => ctx.run("echo 100%; exit 5") });
export const hidden = task({ run: (ctx) => ctx.run("printf 'one\\\\rtwo\\\\nthree\\\\n'; exit 4", { hide: true }) });
export const partial = task({ run: (ctx) => ctx.run("printf 'no newline'; exit 2") });
`;

/** The summary: what follows the last blank line of runner's stderr. */
function summaryOf(stderr: string): string {
  const text = normalize(stderr);
  return text.slice(text.lastIndexOf("\n\n") + 2);
}

describe("the summary", () => {
  it("lists every task with its status and time, then the totals, in plan order", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["-k", "ok", "needs-fail", "slow", "boom", "flaky", "ok", "--word", "x"], {
      cwd: dir,
    });
    expect(run.code).toBe(3);
    expect(summaryOf(run.stderr)).toBe(
      [
        "  ✔ ok           passed <time>",
        "  ✖ fail3        failed (exit 3) <time>",
        "  ○ needs-fail   skipped",
        "  ✖ slow         timed out <time>",
        "  ✖ boom         failed <time>",
        "  ✔ flaky        passed <time> (2 attempts)",
        "  ✔ ok --word x  passed <time>",
        "7 tasks: 3 passed, 2 failed, 1 timed out, 1 skipped in <time>",
        "",
      ].join("\n"),
    );
  });

  it("shows a task that fail-fast stopped in a parallel run as cancelled", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["-p", "-j", "2", "fail3", "long"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(summaryOf(run.stderr)).toBe(
      [
        "  ✖ fail3  failed (exit 3) <time>",
        "  ⊘ long   cancelled <time>",
        "2 tasks: 1 failed, 1 cancelled in <time>",
        "",
      ].join("\n"),
    );
  });

  it("is printed whenever more than one task ran, or any failed; -q keeps only the second", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const cases: [string[], boolean][] = [
      [["ok"], false],
      [["-p", "ok"], false],
      [["ok", "ok", "--word", "x"], true],
      [["-p", "ok", "ok", "--word", "x"], true],
      [["-q", "ok", "ok", "--word", "x"], false],
      [["-p", "-q", "ok", "ok", "--word", "x"], false],
    ];
    for (const [args, shown] of cases) {
      const run = await runInProcess(args, { cwd: dir });
      expect([args, /^\d+ tasks?: /m.test(run.stderr)]).toEqual([args, shown]);
      if (shown) expect(normalize(run.stderr).endsWith("\n2 tasks: 2 passed in <time>\n")).toBe(true);
    }
    for (const args of [["fail3"], ["-q", "fail3"], ["-p", "fail3"], ["-p", "-q", "fail3"]]) {
      const run = await runInProcess(args, { cwd: dir });
      expect([args, summaryOf(run.stderr)]).toEqual([
        args,
        "  ✖ fail3  failed (exit 3) <time>\n1 task: 1 failed in <time>\n",
      ]);
    }
  });

  it("prints no output tail when the output was shown in full, as in serial runs", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["ok", "fail3"], { cwd: dir });
    expect(run.stdout).toBe("ok hi\nfailing\n");
    expect(summaryOf(run.stderr)).not.toContain("failing");
  });
});

// Parallel output modes that hold output back or cut it short tell summaryLines which
// tasks' output was not shown in full; the tail is checked here at that seam.
describe("the output tail of a failed task whose output was not shown in full", () => {
  const task = { name: "build", options: [] } as unknown as Task;
  const runOf = (status: TaskStatus, outputTail: string, name = "build"): TaskRun => ({
    step: {
      task: { ...task, name },
      options: {},
      args: [],
      rest: [],
      deps: [],
      after: [],
      postOf: undefined,
      together: undefined,
    },
    status,
    startedAt: 0,
    durationMs: 1200,
    attempts: [{ status, durationMs: 1200 }],
    commands: [],
    outputTail,
  });
  const failed = (message: string): TaskStatus => ({ kind: "failed", exitCode: 2, message, commandFailed: true });
  const plain = makeStyle(false);
  const numbered = Array.from({ length: 14 }, (_, index) => `line ${index + 1}\n`).join("");

  it("follows its summary line: the last 10 lines, set off by a bar", () => {
    const runs = [
      runOf(failed("Command failed with exit code 2: make"), numbered),
      runOf({ kind: "passed" }, "fine\n", "lint"),
    ];
    expect(summaryLines(plain, runs, 1500, { shownInFull: () => false })).toEqual([
      "  ✖ build  failed (exit 2) 1.2s",
      ...Array.from({ length: 10 }, (_, index) => `    │ line ${index + 5}`),
      "  ✔ lint   passed 1.2s",
      "2 tasks: 1 passed, 1 failed in 1.5s",
    ]);
  });

  it("is only for the tasks the display did not show in full, and only for failures", () => {
    const runs = [
      runOf(failed("Command failed with exit code 2: make"), "shown\n"),
      runOf({ kind: "timed-out", afterMs: 5, message: "Task timed out after 5 ms" }, "held back\n", "slow"),
      runOf({ kind: "cancelled" }, "held back\n", "other"),
    ];
    const lines = summaryLines(plain, runs, 1500, {
      shownInFull: (run) => (run.step.task.name !== "build" ? false : true),
    });
    expect(lines).toEqual([
      "  ✖ build  failed (exit 2) 1.2s",
      "  ✖ slow   timed out 1.2s",
      "    │ held back",
      "  ⊘ other  cancelled 1.2s",
      "3 tasks: 1 failed, 1 timed out, 1 cancelled in 1.5s",
    ]);
  });

  it("shows lines as a terminal would (CRLF, progress redrawn with CR) and drops colour codes without colour", () => {
    const run = runOf(failed("Command failed with exit code 2: make"), "a\r\n10%\r50%\r100%\n\u001b[31mred\u001b[0m\n");
    expect(summaryLines(plain, [run], 1500, { shownInFull: () => false }).slice(1, -1)).toEqual([
      "    │ a",
      "    │ 100%",
      "    │ red",
    ]);
    const colored = summaryLines(makeStyle(true), [run], 1500, { shownInFull: () => false });
    // With colour, a line that sets one is reset at its end.
    expect(colored[3]).toBe("    \u001b[2m│\u001b[22m \u001b[31mred\u001b[0m\u001b[0m");
  });

  it("is left out when the error message already holds those lines (hidden output), or there is no output", () => {
    const hiddenTail = runOf(failed("Command failed with exit code 2: make\nerror: bad\nstop"), "error: bad\nstop\n");
    const silent = runOf(failed("Command failed with exit code 2: make"), "");
    expect(summaryLines(plain, [hiddenTail, silent], 1500, { shownInFull: () => false })).toEqual([
      "  ✖ build  failed (exit 2) 1.2s",
      "  ✖ build  failed (exit 2) 1.2s",
      "2 tasks: 2 failed in 1.5s",
    ]);
  });
});

describe("GitHub Actions", () => {
  const github = { GITHUB_ACTIONS: "true" };

  it("prints an ::error line on stdout for each failure, after the run, escaped as GitHub reads them", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["-k", "ok", "fail3", "slow", "percent", "hidden", "boom"], {
      cwd: dir,
      env: github,
    });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe(
      [
        "ok hi",
        "failing",
        "100%",
        "::error title=fail3 failed::Command failed with exit code 3: echo failing; exit 3",
        "::error title=slow timed out::Task timed out after 300 ms",
        "::error title=percent failed::Command failed with exit code 5: echo 100%25; exit 5",
        // Hidden output: the message holds its last lines (CR and LF escaped).
        String.raw`::error title=hidden failed::Command failed with exit code 4: printf 'one\rtwo\nthree\n'; exit 4%0Aone%0Dtwo%0Athree`,
        "::error title=boom failed::kaboom",
        "",
      ].join("\n"),
    );
    // The ::error lines come after the summary, which is unchanged.
    const plain = await runInProcess(["-k", "ok", "fail3", "slow", "percent", "hidden", "boom"], { cwd: dir });
    expect(normalize(run.stderr)).toBe(normalize(plain.stderr));
    expect(plain.stdout).not.toContain("::error");
  });

  it("escapes a title's colons and commas, and starts the line on its own after output with no final newline", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
export const deploy = task({
  options: { to: { type: "string", default: "x" } },
  run: (ctx) => ctx.run("printf 'no newline'; exit 2"),
});
`,
    });
    const run = await runInProcess(["deploy", "--to", "eu:1,eu:2"], { cwd: dir, env: github });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe(
      "no newline\n::error title=deploy --to eu%3A1%2Ceu%3A2 failed::Command failed with exit code 2: printf 'no newline'; exit 2\n",
    );
  });

  it("prints nothing for a run that passed, or for cancelled and skipped tasks", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const passed = await runInProcess(["ok", "ok", "--word", "x"], { cwd: dir, env: github });
    expect(passed.stdout).toBe("ok hi\nok x\n");
    const cancelled = await runInProcess(["-p", "-j", "2", "fail3", "long", "needs-fail"], { cwd: dir, env: github });
    expect(cancelled.stdout.match(/::error/g)).toEqual(["::error"]);
  });

  it("escapes as @actions/core does", () => {
    expect(escapeData("100% done\r\nnext: a,b")).toBe("100%25 done%0D%0Anext: a,b");
    expect(escapeProperty("100% done\r\nnext: a,b")).toBe("100%25 done%0D%0Anext%3A a%2Cb");
  });
});
