// Parallel runs (SPEC §3, §2 --plan) with the real CLI, real processes and real signals:
// overlap and -j shown with marker files (never with durations), dedupe, results as tasks
// end, fail-fast cancelling process trees, -k, time limits, retries, Ctrl-C and SIGTERM,
// and the plan as waves. Every run passes `--output interleaved` and the assertions keep to
// runner's status and summary lines, files and exit statuses.
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { killIfAlive, readPid, spawnRunner, waitUntilGone } from "./process-helpers.ts";

const P = ["-p", "--output", "interleaved"];

/** Waits until every named file exists; gives up (exit 1) after GIVE_UP tenths of a second. */
const WAIT_FOR = `i=0
for f in "$@"; do
  until [ -e "$f" ]; do
    i=$((i + 1))
    if [ "$i" -gt "\${GIVE_UP:-100}" ]; then echo "gave up waiting for $f" >&2; exit 1; fi
    sleep 0.1
  done
done
`;

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) killIfAlive(pid);
});

/** Pids read from files the commands wrote, remembered so a failed test cleans up. */
function pids(dir: string, ...files: string[]): number[] {
  const found = files.map((file) => readPid(dir, file));
  leftovers.push(...found);
  return found;
}

/** The summary: the lines after the last blank line of stderr. */
function summary(stderr: string): string {
  const text = normalize(stderr);
  return text.slice(text.lastIndexOf("\n\n") + 2);
}

/**
 * Processes whose environment holds `RUN_MARK=<mark>`: everything a run started inherits
 * it. A zombie (killed, not yet reaped) shows an empty environment and does not count.
 */
function marked(mark: string): number[] {
  const needle = `RUN_MARK=${mark}`;
  return readdirSync("/proc").flatMap((name) => {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) return [];
    try {
      return readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(needle) ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

/** Waits (a few seconds at most: the kernel may take a moment) until no process of the run is left. */
async function survivors(mark: string): Promise<number[]> {
  for (let waited = 0; waited < 5000; waited += 50) {
    if (marked(mark).length === 0) return [];
    await sleep(50);
  }
  const left = marked(mark);
  leftovers.push(...left);
  return left;
}

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Step {
  /** Once runner's stdout (or stderr) holds all of these... */
  readonly when: readonly string[];
  /** ...create this file in the project, */
  readonly touch?: string;
  /** ...or send runner these signals (in order). */
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * Runs runner and drives it from what it prints: the test, not a clock, decides when a
 * waiting task may go on (it creates the file the task waits for) or when a signal comes.
 */
function drive(
  dir: string,
  args: readonly string[],
  steps: readonly Step[],
  env: Readonly<Record<string, string>> = {},
): Promise<Ended> {
  const child = spawnRunner(args, dir, env);
  let stdout = "";
  let stderr = "";
  const pending = [...steps];
  const check = (): void => {
    while (pending[0] !== undefined && pending[0].when.every((text) => (stdout + stderr).includes(text))) {
      const step = pending.shift()!;
      if (step.touch !== undefined) writeFileSync(join(dir, step.touch), "");
      if (step.signals !== undefined) void sendSignals(step.signals);
    }
  };
  const sendSignals = async (signals: readonly NodeJS.Signals[]): Promise<void> => {
    for (const signal of signals) {
      child.kill(signal);
      await sleep(200);
    }
  };
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    check();
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
    check();
  });
  const guard = setTimeout(() => child.kill("SIGKILL"), 25_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("tasks run at once", () => {
  const dir = project({
    "wait-for.sh": WAIT_FOR,
    "tasks.ts": `import { task } from "runner-ts";
// Each marks itself as started, then waits for the other: both pass only if they overlap.
export const left = task({ run: (ctx) => ctx.run("touch left.mark && sh wait-for.sh right.mark") });
export const right = task({ run: (ctx) => ctx.run("touch right.mark && sh wait-for.sh left.mark") });
`,
  });

  it("overlap with -p -j2: each sees the other's marker", async () => {
    const run = await runRunner([...P, "-j2", "left", "right"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(summary(run.stderr)).toBe(
      "  ✔ left   passed <time>\n  ✔ right  passed <time>\n2 tasks: 2 passed in <time>\n",
    );
  });

  it("run one after another in plan order with -p -j1: the first waits in vain", async () => {
    const single = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": readFileSync(join(dir, "tasks.ts"), "utf8") });
    // Giving up sooner changes nothing: with one job, right cannot start before left ends.
    const run = await runRunner([...P, "-j1", "left", "right"], { cwd: single, env: { GIVE_UP: "20" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("gave up waiting for right.mark\n");
    expect(summary(run.stderr)).toBe(
      "  ✖ left   failed (exit 1) <time>\n  ○ right  skipped\n2 tasks: 1 failed, 1 skipped in <time>\n",
    );
    expect(existsSync(join(single, "right.mark"))).toBe(false);
  });
});

describe("-j", () => {
  // Each task holds a slot: it marks itself running, records how many run at once (into
  // seen), and leaves once J run together, or once all N have started (the last ones).
  const SLOT = `mkdir running/$1 && touch started/$1 || exit 9
i=0
while :; do
  n=$(ls running | wc -l | tr -d ' ')
  echo "$n" >> seen
  [ "$n" -ge "$J" ] && break
  [ "$(ls started | wc -l | tr -d ' ')" -ge "$N" ] && break
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then echo "gave up at $n running" >&2; exit 1; fi
  sleep 0.1
done
rmdir running/$1
`;
  const names = Array.from({ length: 8 }, (_, i) => `t${i + 1}`);
  const TASKS = `import { task } from "runner-ts";
${names.map((name) => `export const ${name} = task({ run: (ctx) => ctx.run("sh slot.sh ${name}") });`).join("\n")}
`;

  const slots = async (jobs: string[], j: number, env: Record<string, string> = {}): Promise<number[]> => {
    // (`ls` does not list the .keep files that create the directories.)
    const dir = project({ "slot.sh": SLOT, "tasks.ts": TASKS, "running/.keep": "", "started/.keep": "" });
    const run = await runRunner([...P, ...jobs, ...names], {
      cwd: dir,
      env: { J: String(j), N: String(names.length), ...env },
    });
    expect(run.code).toBe(0);
    expect(summary(run.stderr)).toContain("\n8 tasks: 8 passed in <time>\n");
    return readFileSync(join(dir, "seen"), "utf8").trim().split("\n").map(Number);
  };

  it("is never exceeded, and is reached: -j3 runs 3 of 8 tasks at once", async () => {
    const seen = await slots(["-j3"], 3);
    expect(Math.max(...seen)).toBe(3);
  });

  it("comes from RUNNER_JOBS too", async () => {
    const seen = await slots([], 2, { RUNNER_JOBS: "2" });
    expect(Math.max(...seen)).toBe(2);
  });
});

describe("dependencies in parallel runs", () => {
  const dir = project({
    "wait-for.sh": WAIT_FOR,
    "tasks.ts": `import { task } from "runner-ts";
const log = (name: string) => \`echo \${name} >> log\`;
export const setup = task({ run: (ctx) => ctx.run(log("setup")) });
// Each checks that setup ran before it.
export const x = task({ deps: [setup], run: (ctx) => ctx.run("grep -q setup log && " + log("x")) });
export const y = task({ deps: [setup], run: (ctx) => ctx.run("grep -q setup log && " + log("y")) });
export const dep = task({ run: (ctx) => ctx.run("touch dep.mark") });
export const afterDep = task({ deps: [dep], run: (ctx) => ctx.run("touch after-dep.mark") });
// Ends only once after-dep has run: after-dep must not wait for it.
export const slow = task({ run: (ctx) => ctx.run("sh wait-for.sh after-dep.mark") });
`,
  });

  it("runs each task once: a dep shared by several named tasks, and a task named twice", async () => {
    const run = await runRunner([...P, "x", "y", "x", "setup"], { cwd: dir });
    expect(run.code).toBe(0);
    const log = readFileSync(join(dir, "log"), "utf8").split("\n").filter(Boolean);
    expect(log[0]).toBe("setup");
    expect([...log].sort()).toEqual(["setup", "x", "y"]);
    expect(summary(run.stderr)).toBe(
      "  ✔ setup  passed <time>\n  ✔ x      passed <time>\n  ✔ y      passed <time>\n3 tasks: 3 passed in <time>\n",
    );
  });

  it("starts a task as soon as its deps passed, while unrelated tasks still run", async () => {
    const run = await runRunner([...P, "-j3", "slow", "after-dep"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(summary(run.stderr)).toBe(
      [
        "  ✔ slow       passed <time>",
        "  ✔ dep        passed <time>",
        "  ✔ after-dep  passed <time>",
        "3 tasks: 3 passed in <time>",
        "",
      ].join("\n"),
    );
  });
});

describe("results", () => {
  it("are reported as each task ends, not in the order they started; the summary keeps plan order", async () => {
    const dir = project({
      "wait-for.sh": WAIT_FOR,
      "tasks.ts": `import { task } from "runner-ts";
export const held = task({ run: (ctx) => ctx.run("echo held started; sh wait-for.sh release") });
export const quick = task({ run: (ctx) => ctx.run("echo quick ran") });
`,
    });
    // held starts first (plan order) and may only end once runner has reported quick.
    const end = await drive(
      dir,
      [...P, "-j2", "held", "quick"],
      [{ when: ["held started", "✔ quick"], touch: "release" }],
    );
    expect(end.code).toBe(0);
    expect(normalize(end.stderr)).toBe(
      [
        "✔ quick <time>",
        "✔ held <time>",
        "",
        "  ✔ held   passed <time>",
        "  ✔ quick  passed <time>",
        "2 tasks: 2 passed in <time>",
        "",
      ].join("\n"),
    );
  });
});

describe("fail-fast", () => {
  const TASKS = `import { task } from "runner-ts";
// A shell with two grandchildren (only a group-wide signal reaches the background ones).
const long = (name: string) =>
  task({ run: (ctx) => ctx.run(\`sleep 301 & echo $! > \${name}.bg; sleep 302 & echo $! > \${name}.fg; touch \${name}.mark; wait\`) });
export const long1 = long("long1");
export const long2 = long("long2");
export const bad = task({ run: (ctx) => ctx.run("sh wait-for.sh long1.mark long2.mark && exit 3") });
export const later = task({ run: (ctx) => ctx.run("touch later-ran") });
// Traps SIGTERM (and says so); its grandchild ignores it: only SIGKILL ends them.
export const stubborn = task({
  run: (ctx) =>
    ctx.run("trap 'echo TERM >> got' TERM; (trap '' TERM; exec sleep 303) & echo $! > stubborn.bg; touch stubborn.mark; while :; do wait; done"),
});
export const bad4 = task({ run: (ctx) => ctx.run("sh wait-for.sh stubborn.mark && exit 4") });
`;

  it("cancels running tasks (whole process trees), starts nothing new, and exits with the failure's status", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const mark = randomUUID();
    const run = await runRunner([...P, "-j3", "long1", "long2", "bad", "later"], { cwd: dir, env: { RUN_MARK: mark } });
    const grandchildren = pids(dir, "long1.bg", "long1.fg", "long2.bg", "long2.fg");
    // A cancelled task's own status (its commands got SIGTERM: 143) does not count.
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      "✖ bad: Command failed with exit code 3: sh wait-for.sh long1.mark long2.mark && exit 3\n",
    );
    expect(summary(run.stderr)).toBe(
      [
        "  ⊘ long1  cancelled <time>",
        "  ⊘ long2  cancelled <time>",
        "  ✖ bad    failed (exit 3) <time>",
        "  ○ later  skipped",
        "4 tasks: 1 failed, 2 cancelled, 1 skipped in <time>",
        "",
      ].join("\n"),
    );
    // Status lines as tasks end: the failure first, then the tasks it cancelled.
    const lines = normalize(run.stderr).split("\n");
    expect(lines.indexOf("✖ bad failed (exit 3) <time>")).toBeLessThan(lines.indexOf("⊘ long1 cancelled <time>"));
    expect(lines.indexOf("✖ bad failed (exit 3) <time>")).toBeLessThan(lines.indexOf("⊘ long2 cancelled <time>"));
    for (const pid of grandchildren) expect(await waitUntilGone(pid)).toBe(true);
    expect(await survivors(mark)).toEqual([]);
    expect(existsSync(join(dir, "later-ran"))).toBe(false);
  });

  it("sends SIGTERM first, and SIGKILL after killGrace to what ignores it", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const mark = randomUUID();
    const run = await runRunner([...P, "-j2", "stubborn", "bad4"], {
      cwd: dir,
      env: { RUN_MARK: mark, RUNNER_KILL_GRACE: "500ms" },
    });
    const [grandchild] = pids(dir, "stubborn.bg");
    expect(run.code).toBe(4);
    expect(summary(run.stderr)).toBe(
      "  ⊘ stubborn  cancelled <time>\n  ✖ bad4      failed (exit 4) <time>\n2 tasks: 1 failed, 1 cancelled in <time>\n",
    );
    expect(readFileSync(join(dir, "got"), "utf8")).toBe("TERM\n");
    expect(await waitUntilGone(grandchild!)).toBe(true);
    expect(await survivors(mark)).toEqual([]);
  });
});

describe("-k in parallel runs", () => {
  const TASKS = `import { task } from "runner-ts";
export const bad = task({ run: (ctx) => ctx.run("exit 3") });
export const needsBad = task({ deps: [bad], run: (ctx) => ctx.run("touch needs-bad-ran") });
export const deeper = task({ deps: [needsBad], run: (ctx) => ctx.run("touch deeper-ran") });
// ok1 ends only after ok2 ran, and ok2 can only start once bad has ended (-j2).
export const ok1 = task({ run: (ctx) => ctx.run("sh wait-for.sh ok2-ran") });
export const ok2 = task({ run: (ctx) => ctx.run("touch ok2-ran") });
export const early = task({ run: (ctx) => ctx.run("exit 5") });
export const late = task({ run: (ctx) => ctx.run("sh wait-for.sh release && exit 3") });
export const gate = task({ run: (ctx) => ctx.run("sh wait-for.sh release") });
export const timesOut = task({ deps: [gate], timeout: "300ms", run: (ctx) => ctx.run("sleep 30") });
export const timesOutNow = task({ timeout: "300ms", run: (ctx) => ctx.run("sleep 30") });
`;

  it("runs everything not depending on a failure, even what starts after it; dependents are skipped", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const run = await runRunner([...P, "-k", "-j2", "deeper", "ok1", "ok2"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(summary(run.stderr)).toBe(
      [
        "  ✖ bad        failed (exit 3) <time>",
        "  ○ needs-bad  skipped",
        "  ○ deeper     skipped",
        "  ✔ ok1        passed <time>",
        "  ✔ ok2        passed <time>",
        "5 tasks: 2 passed, 1 failed, 2 skipped in <time>",
        "",
      ].join("\n"),
    );
    expect(existsSync(join(dir, "needs-bad-ran"))).toBe(false);
    expect(existsSync(join(dir, "deeper-ran"))).toBe(false);
  });

  it("exits with the status of the task that failed first, by time, not by plan order", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const end = await drive(
      dir,
      [...P, "-k", "-j2", "late", "early"],
      [{ when: ["✖ early failed (exit 5)"], touch: "release" }],
    );
    expect(end.code).toBe(5);
    expect(summary(end.stderr)).toBe(
      "  ✖ late   failed (exit 3) <time>\n  ✖ early  failed (exit 5) <time>\n2 tasks: 2 failed in <time>\n",
    );
  });

  it("exits 124 when a time-out came first, and with a failure's status when that came first", async () => {
    const first = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const timedOutFirst = await drive(
      first,
      [...P, "-k", "-j2", "late", "times-out-now"],
      [{ when: ["✖ times-out-now timed out"], touch: "release" }],
    );
    expect(timedOutFirst.code).toBe(124);
    expect(summary(timedOutFirst.stderr)).toBe(
      "  ✖ late           failed (exit 3) <time>\n  ✖ times-out-now  timed out <time>\n2 tasks: 1 failed, 1 timed out in <time>\n",
    );
    const second = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const failedFirst = await drive(
      second,
      [...P, "-k", "-j2", "times-out", "early"],
      [{ when: ["✖ early failed (exit 5)"], touch: "release" }],
    );
    expect(failedFirst.code).toBe(5);
    expect(summary(failedFirst.stderr)).toBe(
      [
        "  ✔ gate       passed <time>",
        "  ✖ times-out  timed out <time>",
        "  ✖ early      failed (exit 5) <time>",
        "3 tasks: 1 passed, 1 failed, 1 timed out in <time>",
        "",
      ].join("\n"),
    );
  });
});

describe("time limits in parallel runs", () => {
  // Background grandchildren, one of them ignoring SIGTERM with its output elsewhere (so the
  // shell's pipes close without it): the whole tree must go.
  const TREE = (name: string) =>
    `sleep 304 & echo $! > ${name}.bg; (trap '' TERM; exec sleep 305) > /dev/null 2>&1 & echo $! > ${name}.deaf; touch ${name}.mark; wait`;
  const TASKS = `import { task } from "runner-ts";
export const slowTask = task({ timeout: "500ms", run: (ctx) => ctx.run(${JSON.stringify(TREE("task"))}) });
export const slowCommand = task({ run: (ctx) => ctx.run(${JSON.stringify(TREE("command"))}, { timeout: "500ms" }) });
export const ok = task({ run: (ctx) => ctx.run("sh wait-for.sh task.mark command.mark") });
export const long = task({ run: (ctx) => ctx.run("sleep 306 & echo $! > long.bg; wait") });
`;

  it("time out a task and a command, killing their whole process trees, while the rest runs (-k); exit 124", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const mark = randomUUID();
    const run = await runRunner([...P, "-k", "-j3", "slow-task", "slow-command", "ok"], {
      cwd: dir,
      env: { RUN_MARK: mark, RUNNER_KILL_GRACE: "300ms" },
    });
    const grandchildren = pids(dir, "task.bg", "task.deaf", "command.bg", "command.deaf");
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("✖ slow-task: Task timed out after 500 ms\n");
    expect(run.stderr).toContain(`✖ slow-command: Command timed out after 500 ms: ${TREE("command")}\n`);
    expect(summary(run.stderr)).toBe(
      [
        "  ✖ slow-task     timed out <time>",
        "  ✖ slow-command  timed out <time>",
        "  ✔ ok            passed <time>",
        "3 tasks: 1 passed, 2 timed out in <time>",
        "",
      ].join("\n"),
    );
    for (const pid of grandchildren) expect(await waitUntilGone(pid)).toBe(true);
    expect(await survivors(mark)).toEqual([]);
  });

  it("a time-out is a failure for fail-fast: running tasks are cancelled", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const mark = randomUUID();
    const run = await runRunner([...P, "-j2", "long", "slow-task"], {
      cwd: dir,
      env: { RUN_MARK: mark, RUNNER_KILL_GRACE: "300ms" },
    });
    pids(dir, "long.bg", "task.bg", "task.deaf");
    expect(run.code).toBe(124);
    expect(summary(run.stderr)).toBe(
      "  ⊘ long       cancelled <time>\n  ✖ slow-task  timed out <time>\n2 tasks: 1 timed out, 1 cancelled in <time>\n",
    );
    expect(await survivors(mark)).toEqual([]);
  });
});

describe("processes a command leaves behind", () => {
  const TASKS = `import { task } from "runner-ts";
// Each starts a background process with its output elsewhere, so the command ends at once.
export const serve = task({ run: (ctx) => ctx.run("sleep 321 > /dev/null 2>&1 & echo $! > serve.pid") });
export const deaf = task({
  run: (ctx) => ctx.run("(trap '' TERM; exec sleep 322) > /dev/null 2>&1 & echo $! > deaf.pid"),
});
// Runs after serve, while what serve started still runs.
export const use = task({ deps: [serve], run: (ctx) => ctx.run("kill -0 $(cat serve.pid) && touch used") });
`;

  it("live on for later tasks and end with the run: SIGTERM, then SIGKILL after killGrace", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const mark = randomUUID();
    const run = await runRunner([...P, "-j2", "use", "deaf"], {
      cwd: dir,
      env: { RUN_MARK: mark, RUNNER_KILL_GRACE: "300ms" },
    });
    const [server, deaf] = pids(dir, "serve.pid", "deaf.pid");
    expect(run.code).toBe(0);
    expect(summary(run.stderr)).toBe(
      [
        "  ✔ serve  passed <time>",
        "  ✔ use    passed <time>",
        "  ✔ deaf   passed <time>",
        "3 tasks: 3 passed in <time>",
        "",
      ].join("\n"),
    );
    expect(existsSync(join(dir, "used"))).toBe(true);
    expect(await waitUntilGone(server!)).toBe(true);
    expect(await waitUntilGone(deaf!)).toBe(true);
    expect(await survivors(mark)).toEqual([]);
  });
});

describe("retries in parallel runs", () => {
  const TASKS = `import { task } from "runner-ts";
let tries = 0;
export const flaky = task({
  retries: 2,
  run: async (ctx) => {
    tries++;
    await ctx.run(\`touch try\${tries}\`);
    if (tries < 3) throw new Error(\`flaky \${tries}\`);
  },
});
// Runs alongside, until flaky's third attempt has started.
export const steady = task({ run: (ctx) => ctx.run("sh wait-for.sh try3") });
export const broken = task({ run: (ctx) => ctx.run("echo trying; exit 4") });
export const quick = task({ run: (ctx) => ctx.run("touch quick-ran") });
`;

  it("re-run a failed task while others run on, and count every attempt", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const run = await runRunner([...P, "-j2", "flaky", "steady"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("✖ flaky: flaky 1 (tasks.ts:8:26)\n↻ flaky: attempt 2 of 3\n");
    expect(run.stderr).toContain("✖ flaky: flaky 2 (tasks.ts:8:26)\n↻ flaky: attempt 3 of 3\n");
    expect(summary(run.stderr)).toBe(
      "  ✔ flaky   passed <time> (3 attempts)\n  ✔ steady  passed <time>\n2 tasks: 2 passed in <time>\n",
    );
  });

  it("take --retries from the command line; a task that never passes fails with its last status", async () => {
    const dir = project({ "wait-for.sh": WAIT_FOR, "tasks.ts": TASKS });
    const run = await runRunner([...P, "-k", "-j2", "--retries", "1", "broken", "quick"], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stdout.match(/trying/g)).toHaveLength(2);
    expect(run.stderr).toContain("↻ broken: attempt 2 of 2\n");
    expect(summary(run.stderr)).toBe(
      "  ✖ broken  failed (exit 4) <time> (2 attempts)\n  ✔ quick   passed <time>\n2 tasks: 1 passed, 1 failed in <time>\n",
    );
  });
});

describe("signals during a parallel run", () => {
  const TASKS = `import { task } from "runner-ts";
// Each shell notes the signal it got and exits; its grandchildren are background jobs,
// which ignore SIGINT: only runner's follow-up to the whole group reaches them.
const long = (name: string) =>
  task({
    run: (ctx) =>
      ctx.run(
        \`trap 'echo INT > \${name}.got; exit 130' INT; trap 'echo TERM > \${name}.got; exit 143' TERM; \` +
          \`sleep 311 & echo $! > \${name}.bg; sleep 312 & echo $! > \${name}.fg; echo started \${name}; wait\`,
      ),
  });
export const l1 = long("l1");
export const l2 = long("l2");
export const l3 = long("l3");
export const after = task({ run: (ctx) => ctx.run("touch after-ran") });
// Ignores SIGINT and SIGTERM, and so does its grandchild.
const deaf = (name: string) =>
  task({ run: (ctx) => ctx.run(\`trap '' INT TERM; sleep 313 & echo $! > \${name}.bg; echo started \${name}; wait\`) });
export const d1 = deaf("d1");
export const d2 = deaf("d2");
`;
  const started = (...names: string[]): string[] => names.map((name) => `started ${name}`);

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`${signal} reaches every running command's group, cancels them all, prints the summary, exits ${code}`, async () => {
      const dir = project({ "tasks.ts": TASKS });
      const mark = randomUUID();
      const end = await drive(
        dir,
        [...P, "-j3", "l1", "l2", "l3", "after"],
        [{ when: started("l1", "l2", "l3"), signals: [signal] }],
        { RUN_MARK: mark },
      );
      const grandchildren = pids(dir, "l1.bg", "l1.fg", "l2.bg", "l2.fg", "l3.bg", "l3.fg");
      expect(end.code).toBe(code);
      expect(summary(end.stderr)).toBe(
        [
          "  ⊘ l1     cancelled <time>",
          "  ⊘ l2     cancelled <time>",
          "  ⊘ l3     cancelled <time>",
          "  ○ after  skipped",
          "4 tasks: 3 cancelled, 1 skipped in <time>",
          "",
        ].join("\n"),
      );
      const name = signal === "SIGINT" ? "INT" : "TERM";
      for (const task of ["l1", "l2", "l3"]) expect(readFileSync(join(dir, `${task}.got`), "utf8")).toBe(`${name}\n`);
      for (const pid of grandchildren) expect(await waitUntilGone(pid)).toBe(true);
      expect(await survivors(mark)).toEqual([]);
      expect(existsSync(join(dir, "after-ran"))).toBe(false);
    });
  }

  it("kills what ignores the signal once the grace period is over", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const mark = randomUUID();
    const end = await drive(dir, [...P, "-j2", "d1", "d2"], [{ when: started("d1", "d2"), signals: ["SIGINT"] }], {
      RUN_MARK: mark,
      RUNNER_KILL_GRACE: "500ms",
    });
    pids(dir, "d1.bg", "d2.bg");
    expect(end.code).toBe(130);
    expect(summary(end.stderr)).toBe(
      "  ⊘ d1  cancelled <time>\n  ⊘ d2  cancelled <time>\n2 tasks: 2 cancelled in <time>\n",
    );
    expect(await survivors(mark)).toEqual([]);
  });

  it("a second Ctrl-C kills at once, without waiting out the grace period", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const mark = randomUUID();
    // A grace period far longer than the test's own time limit: only the second Ctrl-C can end this run.
    const end = await drive(
      dir,
      [...P, "-j2", "d1", "d2"],
      [{ when: started("d1", "d2"), signals: ["SIGINT", "SIGINT"] }],
      {
        RUN_MARK: mark,
        RUNNER_KILL_GRACE: "10m",
      },
    );
    pids(dir, "d1.bg", "d2.bg");
    expect(end.code).toBe(130);
    expect(summary(end.stderr)).toBe(
      "  ⊘ d1  cancelled <time>\n  ⊘ d2  cancelled <time>\n2 tasks: 2 cancelled in <time>\n",
    );
    expect(await survivors(mark)).toEqual([]);
  });
});

describe("--plan -p", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner-ts";
export const a = task({ run: () => {} });
export const b = task({ deps: [a], run: () => {} });
export const c = task({ deps: [a], run: () => {} });
export const d = task({ deps: [b, c], run: () => {} });
export const e = task({ run: () => {} });
export const say = task({ options: { word: { type: "string", default: "hi" } }, run: () => {} });
`,
  });

  it("prints waves: the tasks that can start together, in plan order", async () => {
    const run = await runRunner(["--plan", "-p", "-j4", "d", "e", "say", "--word", "x"], { cwd: dir });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("wave 1: a, e, say --word x\nwave 2: b, c\nwave 3: d\n");
  });

  it("prints waves as JSON too: indexes into steps from 0, as deps use them", async () => {
    const run = await runRunner(["--plan", "-p", "-j4", "--json", "d", "e"], { cwd: dir });
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as { steps: { name: string; deps: number[] }[]; waves: number[][] };
    expect(plan.steps.map((step) => [step.name, step.deps])).toEqual([
      ["a", []],
      ["b", [0]],
      ["c", [0]],
      ["d", [1, 2]],
      ["e", []],
    ]);
    expect(plan.waves).toEqual([[0, 4], [1, 2], [3]]);
    // One indexing for all three: every number is a position in `steps`.
    expect(plan.waves.flat().map((i) => plan.steps[i]?.name)).toEqual(["a", "e", "b", "c", "d"]);
  });

  it("plans a chain of 3000 deps, and 30 layers of shared deps, walking each task once", async () => {
    const layers = Array.from({ length: 30 }, (_, i) =>
      ["a", "b"].map(
        (x) => `export const l${i}${x} = task({ ${i > 0 ? `deps: [l${i - 1}a, l${i - 1}b], ` : ""}run: () => {} });`,
      ),
    ).flat();
    const chain = Array.from(
      { length: 3000 },
      (_, i) => `export const c${i} = task({ ${i > 0 ? `deps: [c${i - 1}], ` : ""}run: () => {} });`,
    );
    const big = project({ "tasks.ts": ['import { task } from "runner-ts";', ...layers, ...chain, ""].join("\n") });
    // Walked as a tree, the layers would take 2^30 visits: this run would never end.
    const shared = await runRunner(["--plan", "-p", "-j2", "l29a"], { cwd: big });
    expect(shared.code).toBe(0);
    expect(shared.stdout.split("\n").slice(-3)).toEqual(["wave 29: l28a, l28b", "wave 30: l29a", ""]);
    const deep = await runRunner(["--plan", "c2999"], { cwd: big });
    expect([deep.code, deep.stderr]).toEqual([0, ""]);
    expect(deep.stdout.split("\n").slice(-2)).toEqual(["3000. c2999", ""]);
    const ran = await runRunner(["-p", "-q", "c2999"], { cwd: big });
    expect(ran.code).toBe(0);
  });

  it("keeps the serial plan without -p, and with -j1 (which runs the plan's order)", async () => {
    const serial = "1. a\n2. b\n3. c\n4. d\n5. e\n";
    expect((await runRunner(["--plan", "d", "e"], { cwd: dir })).stdout).toBe(serial);
    expect((await runRunner(["--plan", "-p", "-j1", "d", "e"], { cwd: dir })).stdout).toBe(serial);
    const json = JSON.parse((await runRunner(["--plan", "--json", "d", "e"], { cwd: dir })).stdout) as object;
    expect(json).not.toHaveProperty("waves");
  });
});
