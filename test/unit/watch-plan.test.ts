// What --watch decides in process: which paths are sources (source-patterns.ts), which
// folders the watcher walks, the sub-plan a change affects (affected.ts) and what the next
// run does after a run that was stopped or failed (work-left.ts). Steps are built by hand.
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import type { TaskRun, TaskStatus } from "../../src/execution/outcomes.ts";
import type { Step } from "../../src/plan/plan.ts";
import { affectedPlan } from "../../src/watch/affected.ts";
import { anyOf, sourcePatterns } from "../../src/watch/source-patterns.ts";
import { WorkLeft } from "../../src/watch/work-left.ts";
import { fakeStep, fakeTask } from "./fake-steps.ts";

const step = fakeStep;

const PASSED: TaskStatus = { kind: "passed" };
const FAILED: TaskStatus = { kind: "failed", exitCode: 1, message: "boom", commandFailed: true };
const CANCELLED: TaskStatus = { kind: "cancelled" };
const SKIPPED: TaskStatus = { kind: "skipped", reason: "an earlier task failed" };

const run = (of: Step, status: TaskStatus): TaskRun => ({
  step: of,
  status,
  startedAt: undefined,
  durationMs: 0,
  attempts: [],
  commands: [],
  outputTail: "",
});
const names = (steps: readonly Step[]): string[] => steps.map((s) => s.task.name);

describe("sourcePatterns", () => {
  it("matches globs and plain paths, and takes out what a negation names", () => {
    const p = sourcePatterns(["./src/**/*.ts", "!src/**/*.test.ts", "tsconfig.json"], picomatch);
    expect(p.matches("src/a.ts")).toBe(true);
    expect(p.matches("src/deep/b.ts")).toBe(true);
    expect(p.matches("src/a.test.ts")).toBe(false);
    expect(p.matches("src/a.js")).toBe(false);
    expect(p.matches("tsconfig.json")).toBe(true);
    expect(p.matches("other/tsconfig.json")).toBe(false);
    expect(p.bases).toEqual(["src", "tsconfig.json"]);
  });

  it("reads sources as the up-to-date check does: dot files, folders, and outputs taken out", () => {
    const p = sourcePatterns(["src/**", "lib", "docs/", "README.md"], picomatch, {
      excluded: ["src/gen/**", "!src/gen/keep.ts"],
    });
    expect(p.matches("src/.env")).toBe(true);
    expect(p.matches("lib/deep/a.ts")).toBe(true);
    // A plain path is a file or a folder, which may be made after the watch started.
    expect(p.matches("lib")).toBe(true);
    expect(p.matches("README.md/a")).toBe(true);
    expect(p.matches("library")).toBe(false);
    expect(p.matches("docs/a.md")).toBe(true);
    expect(p.matches("README.md")).toBe(true);
    expect(p.matches("src/gen/out.ts")).toBe(false);
    // An `outputs` negation does not make a file a source.
    expect(p.matches("src/gen/keep.ts")).toBe(false);
    expect(p.matches("src/a.ts")).toBe(true);
  });

  it("leaves node_modules and .git out unless a pattern names them", () => {
    const p = sourcePatterns(["**/*.js"], picomatch);
    expect(p.matches("lib/a.js")).toBe(true);
    expect(p.matches("node_modules/pkg/a.js")).toBe(false);
    expect(p.matches("lib/node_modules/pkg/a.js")).toBe(false);
    expect(p.mayHold("node_modules")).toBe(false);
    expect(p.mayHold(".git")).toBe(false);
    const named = sourcePatterns(["node_modules/pkg/**/*.js"], picomatch);
    expect(named.matches("node_modules/pkg/a.js")).toBe(true);
    expect(named.mayHold("node_modules")).toBe(true);
  });

  it("walks only the folders that lead to a source or may hold one", () => {
    const p = sourcePatterns(["src/*/index.ts", "docs/**"], picomatch);
    expect(p.mayHold("")).toBe(true);
    expect(p.mayHold("src")).toBe(true);
    expect(p.mayHold("src/a")).toBe(true);
    // `src/*/index.ts` reaches one folder down, no further.
    expect(p.mayHold("src/a/b")).toBe(false);
    expect(p.mayHold("docs/x/y/z")).toBe(true);
    expect(p.mayHold("dist")).toBe(false);
  });

  it("anyOf: a path is a source when it is one of any task's", () => {
    const p = anyOf([sourcePatterns(["a/**"], picomatch), sourcePatterns(["b/*.ts"], picomatch)]);
    expect(p.matches("a/x")).toBe(true);
    expect(p.matches("b/x.ts")).toBe(true);
    expect(p.matches("c/x.ts")).toBe(false);
    expect(p.bases).toEqual(["a", "b"]);
  });
});

describe("affectedPlan", () => {
  it("takes the touched steps and their dependents, with edges to the rest dropped", () => {
    const a = step("a");
    const b = step("b", [a]);
    const c = step("c", [b]);
    const other = step("other");
    const sub = affectedPlan([a, b, c, other], (s) => s === b);
    expect(names(sub.steps)).toEqual(["b", "c"]);
    expect(sub.originals).toEqual([b, c]);
    expect(sub.steps[0]?.deps).toEqual([]);
    expect(sub.steps[1]?.deps).toEqual([sub.steps[0]]);
    // The plan's steps are left as they were.
    expect(b.deps).toEqual([a]);
  });

  it("takes a post task along with its task", () => {
    const a = step("a");
    const post = step("post", [], { after: [a], postOf: a });
    const sub = affectedPlan([a, post], (s) => s === a);
    expect(names(sub.steps)).toEqual(["a", "post"]);
    expect(sub.steps[1]?.after).toEqual([sub.steps[0]]);
    expect(sub.steps[1]?.postOf).toBe(sub.steps[0]);
  });

  it("is empty when nothing is touched", () => {
    expect(affectedPlan([step("a")], () => false).steps).toEqual([]);
  });
});

describe("WorkLeft", () => {
  it("runs the whole plan first, then only what changed and its dependents", () => {
    const a = step("a");
    const b = step("b", [a]);
    const c = step("c");
    const work = new WorkLeft([a, b, c]);
    const first = work.next(() => false);
    expect(names(first.steps)).toEqual(["a", "b", "c"]);
    work.took(
      first,
      first.steps.map((s) => run(s, PASSED)),
    );
    expect(names(work.next(() => false).steps)).toEqual([]);
    expect(names(work.next((s) => s === a).steps)).toEqual(["a", "b"]);
    expect(names(work.next((s) => s === c).steps)).toEqual(["c"]);
  });

  it("after a stopped run, runs what had not ended, not what passed", () => {
    const a = step("a");
    const b = step("b", [a]);
    const c = step("c", [b]);
    const d = step("d");
    const work = new WorkLeft([a, b, c, d]);
    const first = work.next(() => false);
    const [sa, sb, sc, sd] = first.steps as [Step, Step, Step, Step];
    work.took(first, [run(sa, PASSED), run(sb, CANCELLED), run(sc, SKIPPED), run(sd, SKIPPED)]);
    expect(names(work.next(() => false).steps)).toEqual(["b", "c", "d"]);
  });

  it("runs a failed step again when its sources change or when a step that needs it runs", () => {
    const build = step("build");
    const test = step("test", [build]);
    const lint = step("lint");
    const work = new WorkLeft([build, test, lint]);
    const first = work.next(() => false);
    const [sb, st, sl] = first.steps as [Step, Step, Step];
    work.took(first, [run(sb, FAILED), run(st, SKIPPED), run(sl, PASSED)]);
    // Nothing changed: a failed step waits for a change.
    expect(names(work.next(() => false).steps)).toEqual([]);
    expect(names(work.next((s) => s === lint).steps)).toEqual(["lint"]);
    expect(names(work.next((s) => s === test).steps)).toEqual(["build", "test"]);
    expect(names(work.next((s) => s === build).steps)).toEqual(["build", "test"]);
  });

  it("runs a service again with a dependent that runs, though it passed", () => {
    const api = { ...step("api"), task: fakeTask("api", true) };
    const e2e = step("e2e", [api]);
    const work = new WorkLeft([api, e2e]);
    const first = work.next(() => false);
    const [sa, se] = first.steps as [Step, Step];
    work.took(first, [run(sa, { kind: "service-stopped" }), run(se, PASSED)]);
    expect(names(work.next((s) => s === e2e).steps)).toEqual(["api", "e2e"]);
  });

  it("takes in runs of a sub-plan by the steps they stand for", () => {
    const a = step("a");
    const b = step("b");
    const work = new WorkLeft([a, b]);
    const first = work.next(() => false);
    work.took(
      first,
      first.steps.map((s) => run(s, PASSED)),
    );
    const second = work.next((s) => s === b);
    work.took(second, [run(second.steps[0] as Step, FAILED)]);
    // b failed (its own end, not undone): a change to a runs a alone.
    expect(names(work.next((s) => s === a).steps)).toEqual(["a"]);
    expect(names(work.next((s) => s === b).steps)).toEqual(["b"]);
  });
});
