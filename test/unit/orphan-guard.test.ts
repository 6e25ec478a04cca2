// The pool's orphan guard (src/pool/orphan-guard.ts): its shell, fed as runner feeds it, with
// real process groups of this test's own.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GUARD_SCRIPT } from "../../src/pool/orphan-guard.ts";
import { START_TIME_FIELD, statFields } from "../../src/child/start-time.ts";
import { isAlive, killIfAlive, waitUntilGone } from "../process-helpers.ts";

/** A `sleep` leading a process group of its own, and its start time. */
function group(): { pid: number; start: string } {
  const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
  child.unref();
  const pid = child.pid!;
  return { pid, start: statFields(pid, readFileSync)![START_TIME_FIELD]! };
}

/** Runs the guard's shell with `input`, then ends its input as runner's death would; resolves when it has exited. */
function guard(input: string): Promise<number | null> {
  const shell = spawn("/bin/sh", ["-c", GUARD_SCRIPT], { stdio: ["pipe", "ignore", "inherit"] });
  shell.stdin.end(input);
  return new Promise((resolve) => shell.on("close", (code) => resolve(code)));
}

describe.skipIf(statFields("self", readFileSync) === undefined)("the orphan guard", () => {
  it("kills the groups it was told of once its input ends, but only those whose leader's start time still matches", async () => {
    const ours = group();
    const recycled = group();
    try {
      // `recycled` stands for a pid taken again by another process: its start time differs.
      expect(await guard(`+ ${ours.pid} ${ours.start}\n+ ${recycled.pid} 1\n`)).toBe(0);
      expect(await waitUntilGone(ours.pid)).toBe(true);
      expect(isAlive(recycled.pid)).toBe(true);
    } finally {
      killIfAlive(ours.pid);
      killIfAlive(recycled.pid);
    }
  });

  it("kills nothing after runner's ok (a run that ended as it should)", async () => {
    const kept = group();
    try {
      expect(await guard(`+ ${kept.pid} ${kept.start}\nok\n`)).toBe(0);
      expect(isAlive(kept.pid)).toBe(true);
    } finally {
      killIfAlive(kept.pid);
    }
  });
});
