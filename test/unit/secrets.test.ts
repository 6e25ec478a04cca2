// The masking of secret values (common/secrets.ts, execution/masked-events.ts): in text, in
// bytes that are not UTF-8, across chunks, and flushed when the task ends.
import { describe, expect, it } from "vitest";
import { Masker } from "../../src/common/secrets.ts";
import { EventMasker } from "../../src/execution/masked-events.ts";
import type { RunEvent } from "../../src/execution/events.ts";
import type { Step } from "../../src/plan/plan.ts";

describe("Masker", () => {
  it("masks every occurrence, the longer of two overlapping secrets whole", () => {
    const masker = new Masker(["abc", "abcdef", ""]);
    expect(masker.text("x abcdef y abc z")).toBe("x *** y *** z");
  });

  it("leaves bytes around a secret exactly as they were", () => {
    const masker = new Masker(["tok"]);
    const chunk = Buffer.from([0xff, 0xfe, ...Buffer.from("tok"), 0x80]);
    expect([...masker.chunk(chunk)]).toEqual([0xff, 0xfe, ...Buffer.from("***"), 0x80]);
  });

  it("holds back the end of a chunk that may be the start of a secret", () => {
    const masker = new Masker(["hunter2"]);
    expect(masker.pending(Buffer.from("user hunt"))).toBe(4);
    expect(masker.pending(Buffer.from("user hunter2"))).toBe(0);
    expect(masker.pending(Buffer.from("user x\n"))).toBe(0);
  });
});

describe("EventMasker", () => {
  const step = { task: { name: "t" } } as unknown as Step;
  const output = (text: string): RunEvent => ({ kind: "output", step, stream: "stdout", chunk: Buffer.from(text) });
  const texts = (events: readonly RunEvent[]): string[] =>
    events.map((event) => (event.kind === "output" ? event.chunk.toString() : event.kind));

  it("joins a secret split across chunks, and lets out what it held when the task ends", () => {
    const masker = new EventMasker(new Masker(["hunter2"]), () => []);
    expect(texts(masker.events(output("pass: hun")))).toEqual(["pass: "]);
    expect(texts(masker.events(output("ter2!\nnext h")))).toEqual(["***!\nnext "]);
    const run = {
      step,
      status: { kind: "failed", exitCode: 1, message: "bad hunter2", commandFailed: false },
      startedAt: 0,
      durationMs: 1,
      attempts: [],
      commands: [{ command: "login hunter2", exitCode: 1, signal: null, durationMs: 1 }],
      outputTail: "pass: hunter2!\nnext h",
    } as const;
    const ended = masker.events({ kind: "task-ended", run });
    expect(texts(ended)).toEqual(["h", "task-ended"]);
    const last = ended[1];
    expect(
      last?.kind === "task-ended" && [last.run.status, last.run.commands[0]?.command, last.run.outputTail],
    ).toEqual([
      { kind: "failed", exitCode: 1, message: "bad ***", commandFailed: false },
      "login ***",
      "pass: ***!\nnext h",
    ]);
  });

  it("learns a started task's secrets: a task ctx.call runs is not in the plan", () => {
    const masker = new EventMasker(new Masker([]), (started) => (started === step ? ["called-secret"] : []));
    expect(texts(masker.events(output("before called-secret\n")))).toEqual(["before called-secret\n"]);
    expect(texts(masker.events({ kind: "task-started", step }))).toEqual(["task-started"]);
    expect(texts(masker.events(output("after called-secret\n")))).toEqual(["after ***\n"]);
  });
});
