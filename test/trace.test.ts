// --trace (SPEC §2, §5): the run as Chrome trace events, written by the real CLI after every
// run — passed, failed or interrupted — and read back as JSON: one track per concurrent
// slot, one slice per task attempt and per command, each command within its task's slice.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";
import { spawnRunner } from "./process-helpers.ts";

const TASKS = `import { task } from "runner";
export const one = task({ run: async (ctx) => { await ctx.run("sleep 0.3"); await ctx.run("echo one"); } });
export const two = task({ run: (ctx) => ctx.run("sleep 0.3") });
export const after = task({ deps: [one, two], run: (ctx) => ctx.run("echo after") });
export const fail3 = task({ run: (ctx) => ctx.run("echo failing; exit 3") });
export const flaky = task({
  retries: 2,
  run: (ctx) => ctx.run("test -e tried || { touch tried; exit 7; }; echo second try"),
});
export const long = task({ run: (ctx) => ctx.run("echo started; sleep 30") });
export const named = task({ options: { target: { type: "string", default: "es2022" } }, run: () => {} });
`;

interface Slice {
  readonly name: string;
  readonly cat: "task" | "command";
  readonly ph: "X";
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Record<string, unknown>;
}

interface Trace {
  readonly traceEvents: readonly (Slice | { ph: "M"; name: string; tid: number; args: Record<string, unknown> })[];
  readonly displayTimeUnit: string;
}

/** The trace file, checked for the format's shape; its slices, and the tracks it names. */
function readTrace(path: string): { slices: Slice[]; tracks: Map<number, unknown>; trace: Trace } {
  const trace = JSON.parse(readFileSync(path, "utf8")) as Trace;
  expect(trace.displayTimeUnit).toBe("ms");
  const meta = trace.traceEvents.filter((event) => event.ph === "M");
  expect(meta).toContainEqual({ name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: "runner" } });
  const tracks = new Map(
    meta.filter((event) => event.name === "thread_name").map((event) => [event.tid, event.args.name]),
  );
  const slices = trace.traceEvents.filter((event): event is Slice => event.ph === "X");
  for (const slice of slices) {
    expect(Number.isInteger(slice.ts) && slice.ts >= 0, JSON.stringify(slice)).toBe(true);
    expect(Number.isInteger(slice.dur) && slice.dur >= 0, JSON.stringify(slice)).toBe(true);
    expect(slice.pid).toBe(1);
    expect(tracks.has(slice.tid), `track ${slice.tid} is named`).toBe(true);
  }
  return { slices, tracks, trace };
}

const tasksOf = (slices: readonly Slice[]): Slice[] => slices.filter((slice) => slice.cat === "task");
const commandsOf = (slices: readonly Slice[]): Slice[] => slices.filter((slice) => slice.cat === "command");
const within = (inner: Slice, outer: Slice): boolean =>
  inner.tid === outer.tid && inner.ts >= outer.ts && inner.ts + inner.dur <= outer.ts + outer.dur;
const overlap = (a: Slice, b: Slice): boolean => a.ts < b.ts + b.dur && b.ts < a.ts + a.dur;

/** The task slice that holds each command slice: exactly one, on the same track. */
function holderOf(command: Slice, slices: readonly Slice[]): Slice {
  const holders = tasksOf(slices).filter((task) => within(command, task));
  expect(holders, command.name).toHaveLength(1);
  return holders[0]!;
}

describe("--trace", () => {
  it("-p -j2: two independent tasks on two tracks that overlap, each command within its task's slice", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const result = await runRunner(["-p", "-j2", "--trace", "trace.json", "after"], { cwd: dir });
    expect(result.code).toBe(0);
    const { slices, tracks } = readTrace(join(dir, "trace.json"));
    expect(tracks).toEqual(
      new Map([
        [1, "slot 1"],
        [2, "slot 2"],
      ]),
    );
    const tasks = tasksOf(slices);
    expect(tasks.map((slice) => slice.name).sort()).toEqual(["after", "one", "two"]);
    for (const slice of tasks) expect(slice.args).toEqual({ status: "passed", exitCode: 0, attempt: 1 });
    const [one, two, after] = ["one", "two", "after"].map((name) => tasks.find((slice) => slice.name === name)!);
    expect(one!.tid).not.toBe(two!.tid);
    expect(overlap(one!, two!)).toBe(true);
    // `after` starts once both have ended, in the lowest free slot.
    expect(after!.tid).toBe(1);
    expect(after!.ts).toBeGreaterThanOrEqual(Math.max(one!.ts + one!.dur, two!.ts + two!.dur));

    const commands = commandsOf(slices);
    expect(
      commands.map((slice) => slice.args).sort((a, b) => String(a.command).localeCompare(String(b.command))),
    ).toEqual([
      { command: "echo after", exitCode: 0, signal: null },
      { command: "echo one", exitCode: 0, signal: null },
      { command: "sleep 0.3", exitCode: 0, signal: null },
      { command: "sleep 0.3", exitCode: 0, signal: null },
    ]);
    const holders = commands.map((command) => `${command.name} in ${holderOf(command, slices).name}`).sort();
    expect(holders).toEqual(["echo after in after", "echo one in one", "sleep 0.3 in one", "sleep 0.3 in two"]);
  });

  it("a serial run uses one track; slices are named as --plan names the step", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const result = await runRunner(["--trace", "trace.json", "after", "named", "--target", "esnext"], { cwd: dir });
    expect(result.code).toBe(0);
    const { slices, tracks } = readTrace(join(dir, "trace.json"));
    expect(tracks).toEqual(new Map([[1, "slot 1"]]));
    expect(new Set(slices.map((slice) => slice.tid))).toEqual(new Set([1]));
    // In time order, as they ran: the plan's order.
    expect(tasksOf(slices).map((slice) => slice.name)).toEqual(["one", "two", "after", "named --target esnext"]);
    expect(commandsOf(slices)).toHaveLength(4);
    for (const command of commandsOf(slices)) holderOf(command, slices);
  });

  it("is written when the run fails; a retried task has one slice per attempt", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const result = await runRunner(["-k", "--trace", "out/trace.json", "flaky", "fail3"], { cwd: dir });
    expect(result.code).toBe(3);
    const { slices } = readTrace(join(dir, "out", "trace.json"));
    expect(tasksOf(slices).map((slice) => [slice.name, slice.args])).toEqual([
      ["flaky", { status: "failed", exitCode: 7, attempt: 1 }],
      ["flaky", { status: "passed", exitCode: 0, attempt: 2 }],
      ["fail3", { status: "failed", exitCode: 3, attempt: 1 }],
    ]);
    const commands = commandsOf(slices);
    expect(commands.map((slice) => slice.args.exitCode)).toEqual([7, 0, 3]);
    // Each attempt's command lies within that attempt's slice.
    expect(commands.map((command) => holderOf(command, slices).args.attempt)).toEqual([1, 2, 1]);
  });

  it("is written when the run is interrupted (SIGINT): the cancelled task's slice and its command", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const child = spawnRunner(["--trace", "trace.json", "long", "one"], dir);
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    child.stderr.resume();
    let stdout = "";
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (text: string) => {
        stdout += text;
        if (stdout.includes("started")) resolve();
      });
    });
    child.kill("SIGINT");
    expect(await closed).toBe(130);
    const { slices } = readTrace(join(dir, "trace.json"));
    // `one` was skipped: it never ran, so it has no slice.
    expect(tasksOf(slices).map((slice) => [slice.name, slice.args])).toEqual([
      ["long", { status: "cancelled", exitCode: null, attempt: 1 }],
    ]);
    const [command] = commandsOf(slices);
    expect(command?.args).toEqual({ command: "echo started; sleep 30", exitCode: null, signal: expect.any(String) });
    holderOf(command!, slices);
  });

  it("a trace that cannot be written is one line naming it, and the run does not pass", async () => {
    const dir = project({ "tasks.ts": TASKS });
    mkdirSync(join(dir, "taken"));
    const result = await runRunner(["--trace", "taken", "named"], { cwd: dir });
    expect(result.stderr).toBe("Could not write the trace taken: it is a directory.\n");
    expect(result.code).toBe(2);
  });
});
