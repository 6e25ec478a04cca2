// The words, jobs and entries of distributed runs (SPEC §8), in process: a step's options
// as command-line words and back through the CLI's parser; what a worker accepts from the
// queue; what a dispatcher accepts from a worker. Nothing read from Redis is trusted.
import { describe, expect, it } from "vitest";
import { task } from "../../src/api/task.ts";
import { stepOf } from "../../src/cli/job-step.ts";
import { buildCollection, type Collection } from "../../src/loader/collection.ts";
import { planRun } from "../../src/plan/plan.ts";
import { checkJobData, isInsideRelative, parseEntry, PROTOCOL } from "../../src/remote/protocol.ts";
import { checkRecord, checkStatus, checkUsage } from "../../src/remote/wire.ts";
import { stepWords } from "../../src/remote/words.ts";

const build = task({ run: () => {} });
const collection: Collection = buildCollection(
  "/project/tasks.ts",
  "tasks.ts",
  {
    build,
    deploy: task({
      options: {
        target: { type: "string", positional: true, required: true },
        env: { type: "string", choices: ["dev", "prod"], default: "dev" },
        port: { type: "number", default: 8080 },
        dryRun: { type: "boolean", default: true },
        verbose: { type: "count" },
        tag: { type: "string", multiple: true },
        token: { type: "string", secret: true },
      },
      deps: [build],
      run: () => {},
    }),
    plain: () => {},
  },
  new Map(),
);

function planned(name: string, given: Record<string, unknown>, rest: string[] = [], args: string[] = []) {
  const found = collection.find(name);
  if (found === undefined) throw new Error(name);
  const steps = planRun([{ task: found, given: new Map(Object.entries(given) as never), args, rest }], true);
  const step = steps.at(-1);
  if (step === undefined) throw new Error("no step");
  return step;
}

describe("a step's words, parsed back by the worker", () => {
  const cases: [string, Record<string, unknown>, string[]?, string[]?][] = [
    ["defaults only", { target: "eu" }],
    [
      "every kind of option",
      { target: "a b", env: "prod", port: -3, dryRun: false, verbose: 3, tag: ["x", "--y", "z=1"], token: "s3 cr=t" },
    ],
    ["rest after --", { target: "t" }, ["--not-an-option", "-x", "two words"]],
  ];
  for (const [title, given, rest] of cases) {
    it(title, () => {
      const step = planned("deploy", given, rest);
      const back = stepOf(collection, "deploy", stepWords(step));
      expect(back.task).toBe(step.task);
      expect(back.options).toEqual(step.options);
      expect(back.rest).toEqual(step.rest);
      expect(back.deps).toEqual([]);
    });
  }

  it("a plain function task's extra words", () => {
    const step = planned("plain", {}, [], ["one", "two"]);
    expect(stepOf(collection, "plain", stepWords(step)).args).toEqual(["one", "two"]);
  });

  it("refuses an unknown task, unknown words, core options and bad values, as one line each", () => {
    expect(() => stepOf(collection, "nope", [])).toThrow(/unknown task "nope"/);
    expect(() => stepOf(collection, "deploy", ["t", "--colour"])).toThrow(/^invalid options: /);
    expect(() => stepOf(collection, "deploy", ["t", "--port=abc"])).toThrow(/^invalid options: .*port/);
    expect(() => stepOf(collection, "deploy", ["t", "--env=stage"])).toThrow(/^invalid options: /);
    expect(() => stepOf(collection, "deploy", ["t", "--redis", "redis://x"])).toThrow(/^invalid options: /);
    expect(() => stepOf(collection, "deploy", ["t", "build"])).toThrow(/^invalid options: /);
    expect(() => stepOf(collection, "deploy", [])).toThrow(/^invalid options: /);
  });
});

describe("job data a worker accepts", () => {
  const good = {
    v: PROTOCOL,
    run: "0123456789abcdef0123456789abcdef",
    task: "deploy",
    words: ["--env=prod"],
    hash: "abc123",
    cwd: "packages/app",
    echo: false,
    dryRun: false,
    warnOnly: false,
    measure: true,
  };
  it("takes a well-formed job", () => {
    expect(checkJobData(good)).toEqual(good);
  });
  it("refuses anything else with a reason", () => {
    const bad: [string, unknown][] = [
      ["no data", null],
      ["another protocol", { ...good, v: 2 }],
      ["a run id that could name other keys", { ...good, run: "x:y" }],
      ["no task", { ...good, task: "" }],
      ["words that are not strings", { ...good, words: ["a", 1] }],
      ["a directory above the project", { ...good, cwd: "../etc" }],
      ["an absolute directory", { ...good, cwd: "/etc" }],
      ["a flag that is not a boolean", { ...good, echo: "yes" }],
      ["a hash that is not hex", { ...good, hash: "$(rm -rf /)" }],
    ];
    for (const [why, data] of bad) expect(typeof checkJobData(data), why).toBe("string");
  });
  it("relative directories stay inside", () => {
    expect(isInsideRelative("")).toBe(true);
    expect(isInsideRelative("a/b")).toBe(true);
    expect(isInsideRelative("a/../..")).toBe(false);
    expect(isInsideRelative("a//b")).toBe(false);
    expect(isInsideRelative("a\0b")).toBe(false);
  });
});

describe("what a dispatcher accepts from a worker", () => {
  it("stream entries: ours, with an attempt ≥ 1 and a known kind", () => {
    const fields = (over: Record<string, string> = {}): Buffer[] =>
      Object.entries({ j: "r.1", a: "2", w: "w1", k: "out", d: "hi", ...over }).flatMap(([k, v]) => [
        Buffer.from(k),
        Buffer.from(v),
      ]);
    expect(parseEntry("1-0", fields())).toMatchObject({ job: "r.1", attempt: 2, worker: "w1", kind: "out" });
    expect(parseEntry("1-0", fields())?.data.toString()).toBe("hi");
    expect(parseEntry("1-0", fields({ a: "0" }))).toBeUndefined();
    expect(parseEntry("1-0", fields({ k: "eval" }))).toBeUndefined();
    expect(parseEntry("1-0", fields().slice(2))).toBeUndefined();
  });

  it("statuses: each kind as runner has it; anything else fails the task saying so", () => {
    expect(checkStatus({ kind: "passed" })).toEqual({ kind: "passed" });
    expect(checkStatus({ kind: "failed", exitCode: 3, message: "m", commandFailed: true, where: "t.ts:1:1" })).toEqual({
      kind: "failed",
      exitCode: 3,
      message: "m",
      commandFailed: true,
      where: "t.ts:1:1",
    });
    expect(checkStatus({ kind: "timed-out", afterMs: 5, message: "m" })).toEqual({
      kind: "timed-out",
      afterMs: 5,
      message: "m",
    });
    for (const bad of [
      null,
      "passed",
      { kind: "failed", exitCode: 0, message: "m" },
      { kind: "failed", exitCode: 300, message: "m" },
      { kind: "won" },
    ]) {
      expect(checkStatus(bad)).toMatchObject({ kind: "failed", exitCode: 1, message: /cannot read/ });
    }
  });

  it("command records and figures with the wrong shape are left out", () => {
    expect(checkRecord({ command: "true", exitCode: 0, signal: null, durationMs: 3 })).toEqual({
      command: "true",
      exitCode: 0,
      signal: null,
      durationMs: 3,
    });
    expect(checkRecord({ command: "true", exitCode: "0", signal: null, durationMs: 3 })).toBeUndefined();
    expect(checkUsage({ userCpuMs: 1, systemCpuMs: 2, peakRssBytes: 3 })).toEqual({
      userCpuMs: 1,
      systemCpuMs: 2,
      peakRssBytes: 3,
    });
    expect(checkUsage({ userCpuMs: -1, systemCpuMs: 2, peakRssBytes: 3 })).toBeUndefined();
  });
});
