// The schedule (execution/schedule.ts), in process: which steps may start, in what order,
// and which are left when a step does not pass. Steps are built by hand; the schedule reads
// only their identity and their deps.
import { describe, expect, it } from "vitest";
import type { TaskRun, TaskStatus } from "../../src/execution/outcomes.ts";
import { Schedule } from "../../src/execution/schedule.ts";
import type { Step } from "../../src/plan/plan.ts";
import { fakeStep } from "./fake-steps.ts";

const step = fakeStep;

const PASSED: TaskStatus = { kind: "passed" };
const FAILED: TaskStatus = { kind: "failed", exitCode: 1, message: "boom", commandFailed: false };

function run(of: Step, status: TaskStatus = PASSED): TaskRun {
  return { step: of, status, startedAt: undefined, durationMs: 0, attempts: [], commands: [], outputTail: "" };
}

const names = (steps: readonly Step[]): string[] => steps.map((s) => s.task.name);

/** Starts everything ready, one at a time, ending each as passed: the order steps started in. */
function oneAtATime(schedule: Schedule): string[] {
  const order: string[] = [];
  for (let next = schedule.next(); next !== undefined; next = schedule.next()) {
    order.push(next.task.name);
    schedule.end(run(next));
  }
  return order;
}

describe("next", () => {
  it("runs exactly the plan order when one job at a time starts and passes", () => {
    const a = step("a");
    const b = step("b", [a]);
    const c = step("c", [a]);
    const d = step("d", [b, c]);
    const e = step("e");
    const schedule = new Schedule([a, b, c, d, e]);
    expect(oneAtATime(schedule)).toEqual(["a", "b", "c", "d", "e"]);
    expect(schedule.done()).toBe(true);
  });

  it("hands out the ready step of lowest plan index first, also one released later", () => {
    const s0 = step("s0");
    const s1 = step("s1", [s0]);
    const s2 = step("s2");
    const s3 = step("s3", [s2]);
    const s4 = step("s4");
    const schedule = new Schedule([s0, s1, s2, s3, s4]);
    expect(schedule.next()).toBe(s0);
    expect(schedule.next()).toBe(s2);
    // Ready now: s4. s3 is released and goes before it; then s1 goes before both.
    schedule.end(run(s2));
    schedule.end(run(s0));
    expect(schedule.next()).toBe(s1);
    expect(schedule.next()).toBe(s3);
    expect(schedule.next()).toBe(s4);
    expect(schedule.next()).toBeUndefined();
  });

  it("hands out a step only once", () => {
    const a = step("a");
    const schedule = new Schedule([a]);
    expect(schedule.next()).toBe(a);
    expect(schedule.next()).toBeUndefined();
  });

  it("makes a step ready only when every one of its deps has passed", () => {
    const a = step("a");
    const b = step("b");
    const c = step("c", [a, b]);
    const schedule = new Schedule([a, b, c]);
    expect(schedule.next()).toBe(a);
    expect(schedule.next()).toBe(b);
    expect(schedule.next()).toBeUndefined();
    schedule.end(run(a));
    expect(schedule.next()).toBeUndefined();
    schedule.end(run(b));
    expect(schedule.next()).toBe(c);
  });

  it.each<TaskStatus>([
    FAILED,
    { kind: "timed-out", afterMs: 1000, message: "timed out" },
    { kind: "cancelled" },
    { kind: "skipped", reason: "an earlier task failed" },
  ])("never releases the dependents of a dep that ended $kind", (status) => {
    const a = step("a");
    const b = step("b");
    const c = step("c", [a, b]);
    const d = step("d", [c]);
    const schedule = new Schedule([a, b, c, d]);
    schedule.next();
    schedule.next();
    schedule.end(run(a, status));
    schedule.end(run(b));
    expect(schedule.next()).toBeUndefined();
    expect(schedule.done()).toBe(false);
    expect(schedule.notStarted()).toEqual([c, d]);
  });

  it("counts a dep listed twice once", () => {
    const a = step("a");
    const b = step("b", [a, a]);
    const schedule = new Schedule([a, b]);
    expect(schedule.next()).toBe(a);
    expect(schedule.next()).toBeUndefined();
    schedule.end(run(a));
    expect(schedule.next()).toBe(b);
  });

  it("does not hand out a step whose deps passed once it has ended (skipped) without starting", () => {
    const a = step("a");
    const b = step("b", [a]);
    const schedule = new Schedule([a, b]);
    schedule.next();
    schedule.end(run(b, { kind: "skipped", reason: "the run was interrupted" }));
    schedule.end(run(a));
    expect(schedule.next()).toBeUndefined();
    expect(schedule.done()).toBe(true);
  });
});

describe("runOf", () => {
  it("gives the run a step ended with, and undefined before", () => {
    const a = step("a");
    const b = step("b", [a]);
    const schedule = new Schedule([a, b]);
    expect(schedule.runOf(a)).toBeUndefined();
    const ended = run(a, FAILED);
    schedule.next();
    schedule.end(ended);
    expect(schedule.runOf(a)).toBe(ended);
    expect(schedule.runOf(b)).toBeUndefined();
  });
});

describe("dependentsOf", () => {
  it("gives every direct and indirect dependent once, in plan order, not the step itself nor others", () => {
    const a = step("a");
    const b = step("b", [a]);
    const other = step("other");
    const c = step("c", [b]);
    const d = step("d", [a]);
    const e = step("e", [c, d]);
    const schedule = new Schedule([a, b, other, c, d, e]);
    expect(schedule.dependentsOf(a)).toEqual([b, c, d, e]);
    expect(schedule.dependentsOf(b)).toEqual([c, e]);
    expect(schedule.dependentsOf(e)).toEqual([]);
    expect(schedule.dependentsOf(other)).toEqual([]);
  });

  it("leaves out dependents that have ended", () => {
    const a = step("a");
    const b = step("b", [a]);
    const c = step("c", [a]);
    const schedule = new Schedule([a, b, c]);
    schedule.next();
    schedule.end(run(a, FAILED));
    schedule.end(run(b, { kind: "skipped", reason: "it depends on a" }));
    expect(schedule.dependentsOf(a)).toEqual([c]);
  });
});

describe("notStarted and done", () => {
  it("lists the steps neither started nor ended, in plan order, and hands none of them out afterwards", () => {
    const a = step("a");
    const b = step("b");
    const c = step("c", [a]);
    const d = step("d");
    const schedule = new Schedule([a, b, c, d]);
    expect(schedule.next()).toBe(a);
    expect(schedule.next()).toBe(b);
    schedule.end(run(b));
    expect(schedule.notStarted()).toEqual([c, d]);
    // Fail-fast: what never started is ended as skipped, and nothing new starts.
    for (const left of [c, d]) schedule.end(run(left, { kind: "skipped", reason: "an earlier task failed" }));
    schedule.end(run(a));
    expect(schedule.next()).toBeUndefined();
    expect(schedule.notStarted()).toEqual([]);
  });

  it("is done once every step has ended, started or not", () => {
    const a = step("a");
    const b = step("b", [a]);
    const schedule = new Schedule([a, b]);
    expect(schedule.done()).toBe(false);
    schedule.next();
    expect(schedule.done()).toBe(false);
    schedule.end(run(a, FAILED));
    expect(schedule.done()).toBe(false);
    schedule.end(run(b, { kind: "skipped", reason: "it depends on a" }));
    expect(schedule.done()).toBe(true);
  });

  it("is done at once for an empty plan", () => {
    const schedule = new Schedule([]);
    expect(schedule.done()).toBe(true);
    expect(schedule.next()).toBeUndefined();
    expect(schedule.notStarted()).toEqual([]);
  });
});

describe("a long chain", () => {
  it("runs 10,000 chained steps in order and finds all their dependents without overflowing the stack", () => {
    const steps: Step[] = [];
    for (let i = 0; i < 10_000; i++) steps.push(step(`t${i}`, i === 0 ? [] : [steps[i - 1]!]));
    const first = new Schedule(steps);
    expect(first.dependentsOf(steps[0]!)).toEqual(steps.slice(1));
    expect(first.notStarted()).toEqual(steps);

    const schedule = new Schedule(steps);
    expect(oneAtATime(schedule)).toEqual(names(steps));
    expect(schedule.done()).toBe(true);
  });
});

describe("release (a service that is ready, SPEC §11)", () => {
  it("lets the service's dependents start while it runs, and its end releases them no second time", () => {
    const service = step("service");
    const other = step("other");
    const e2e = step("e2e", [service, other]);
    const schedule = new Schedule([service, other, e2e]);
    expect(schedule.next()).toBe(service);
    expect(schedule.next()).toBe(other);
    schedule.release(service);
    expect(schedule.next()).toBeUndefined();
    // The service ends (stopped) before `other`: had it counted again, e2e would start now.
    schedule.end(run(service, { kind: "service-stopped" }));
    expect(schedule.next()).toBeUndefined();
    schedule.end(run(other));
    expect(schedule.next()).toBe(e2e);
    expect(schedule.neededBy(service)).toEqual([e2e]);
  });

  it("a released dependent that is skipped before it started never starts; one that started is not skipped", () => {
    const service = step("service");
    const a = step("a", [service]);
    const b = step("b", [service]);
    const schedule = new Schedule([service, a, b]);
    schedule.next();
    schedule.release(service);
    expect(schedule.next()).toBe(a);
    // The service dies while `a` runs: only `b`, not started, can no longer run.
    schedule.end(run(service, FAILED));
    expect(schedule.dependentsOf(service)).toEqual([b]);
    schedule.end(run(b, { kind: "skipped", reason: "it depends on service" }));
    expect(schedule.next()).toBeUndefined();
  });
});
