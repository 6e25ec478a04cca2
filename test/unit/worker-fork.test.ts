// When a spare worker may stand for the one the pool would fork (pool/worker-fork.ts).
import { describe, expect, it } from "vitest";
import { sameFork, type WorkerFork } from "../../src/pool/worker-fork.ts";

const BASE: WorkerFork = {
  script: "/r/dist/boot.cjs",
  execPath: "/usr/bin/node",
  execArgv: ["--enable-source-maps"],
  env: { PATH: "/bin", HOME: "/root" },
  cwd: "/p",
  stdin: "ignore",
};

describe("sameFork", () => {
  it("holds for equal forks, whatever the order of the environment and its unset names", () => {
    expect(sameFork(BASE, { ...BASE, env: { HOME: "/root", PATH: "/bin", GONE: undefined } })).toBe(true);
  });

  it.each([
    ["script", { script: "/other/boot.cjs" }],
    ["Node", { execPath: "/opt/node" }],
    ["Node's options", { execArgv: [] }],
    ["directory", { cwd: "/p/sub" }],
    ["stdin", { stdin: "inherit" as const }],
    ["a value", { env: { PATH: "/bin", HOME: "/home/u" } }],
    ["one more variable", { env: { PATH: "/bin", HOME: "/root", FORCE_COLOR: "1" } }],
    ["one variable fewer", { env: { PATH: "/bin" } }],
  ])("fails for another %s", (_what, change) => {
    expect(sameFork(BASE, { ...BASE, ...change })).toBe(false);
    expect(sameFork({ ...BASE, ...change }, BASE)).toBe(false);
  });
});
