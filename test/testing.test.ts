// `runner-ts/testing` (SPEC §4, "Testing tasks"): mockContext itself, then used as a user
// would, on this project's own tasks (tasks/index.ts, whose `runner-ts` import resolves to
// src/ through vitest.config.ts).
import { describe, expect, it } from "vitest";
import { CommandError, task } from "runner-ts";
import { mockContext } from "runner-ts/testing";
import { defaults } from "../src/config/settings.ts";
import { build, check, format, lint, test as testTask, typecheck } from "../tasks/index.ts";

describe("mockContext answers from a table", () => {
  it("answers exact string keys from an object, a string answer being stdout", async () => {
    const ctx = mockContext({ "git status --short": "M src/a.ts\n", "git rev-parse HEAD": { stdout: "abc\n" } });
    const status = await ctx.run("git status --short");
    expect(status).toEqual({
      command: "git status --short",
      stdout: "M src/a.ts\n",
      stderr: "",
      all: "M src/a.ts\n",
      exitCode: 0,
      signal: null,
      ok: true,
      failed: false,
      timedOut: false,
      durationMs: 0,
    });
    expect((await ctx.run("git rev-parse HEAD")).stdout).toBe("abc\n");
  });

  it("matches a string key only against the whole command", async () => {
    const ctx = mockContext({ "git status": "clean" });
    await expect(ctx.run("git status --short")).rejects.toThrow('unexpected command "git status --short"');
    await expect(ctx.run("git")).rejects.toThrow('unexpected command "git"');
  });

  it("takes RegExp keys from a Map or an array of pairs; the first match wins", async () => {
    const fromMap = mockContext(
      new Map<string | RegExp, string>([
        [/^npm (ci|install)$/, "installed"],
        [/^npm/, "other npm"],
      ]),
    );
    expect((await fromMap.run("npm ci")).stdout).toBe("installed");
    expect((await fromMap.run("npm test")).stdout).toBe("other npm");
    const fromPairs = mockContext([
      ["make", "exact"],
      [/make/, "pattern"],
    ]);
    expect((await fromPairs.run("make")).stdout).toBe("exact");
    expect((await fromPairs.run("make all")).stdout).toBe("pattern");
  });

  it("matches a /g RegExp key every time, not every other time", async () => {
    const ctx = mockContext([[/^echo/g, "ok"]]);
    for (let i = 0; i < 3; i++) expect((await ctx.run(`echo ${i}`)).stdout).toBe("ok");
  });

  it("answers stderr, combining all as stdout then stderr", async () => {
    const ctx = mockContext({ build: { stdout: "out\n", stderr: "warn\n" } });
    const result = await ctx.run("build");
    expect([result.stdout, result.stderr, result.all]).toEqual(["out\n", "warn\n", "out\nwarn\n"]);
  });
});

describe("mockContext records every call", () => {
  it("records run, exec and $ in order, with their options, as the real ctx would display them", async () => {
    const ctx = mockContext([[/./, ""]]);
    await ctx.run("npm test", { env: { CI: "1" }, cwd: "pkg" });
    await ctx.exec("git", ["commit", "-m", "a message"]);
    const tag = "v1.0.0";
    const message = "it's out";
    await ctx.$`git tag -a ${tag} -m ${message}`;
    expect(ctx.commands).toEqual(["npm test", "git commit -m 'a message'", `git tag -a v1.0.0 -m 'it'\\''s out'`]);
    expect(ctx.calls).toEqual([
      { kind: "run", command: "npm test", options: { env: { CI: "1" }, cwd: "pkg" } },
      { kind: "exec", command: "git commit -m 'a message'", options: {} },
      { kind: "$", command: `git tag -a v1.0.0 -m 'it'\\''s out'`, options: {} },
    ]);
  });

  it("records an unexpected command too, then throws naming it and what was expected", async () => {
    const ctx = mockContext([
      ["git status", "clean"],
      [/^npm /, ""],
    ]);
    const error = await ctx.run("rm -rf /").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CommandError);
    expect((error as Error).message).toBe(
      'mockContext: unexpected command "rm -rf /" (expected one of: git status, /^npm /)',
    );
    expect(ctx.commands).toEqual(["rm -rf /"]);
  });

  it("with an empty table, every command is unexpected", async () => {
    const ctx = mockContext();
    await expect(ctx.exec("ls")).rejects.toThrow('mockContext: unexpected command "ls" (expected one of: none)');
  });

  it("collects ctx.log lines", () => {
    const ctx = mockContext();
    ctx.log("copied", 3, "files");
    ctx.log("done");
    expect(ctx.logs).toEqual(["copied 3 files", "done"]);
  });

  it("rejects an empty $ command as the real ctx does", async () => {
    const ctx = mockContext([[/.*/, ""]]);
    await expect(ctx.$``).rejects.toThrow("ctx.$: empty command");
    expect(ctx.calls).toEqual([]);
  });
});

describe("mockContext failures", () => {
  it("throws CommandError for a non-zero exit code, with the result and the real error text", async () => {
    const ctx = mockContext({ "npm test": { exitCode: 3, stdout: "1 failed\n" } });
    const error = await ctx.run("npm test").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    const { result, message } = error as CommandError;
    expect(message).toBe("Command failed with exit code 3: npm test");
    expect([result.exitCode, result.ok, result.failed, result.stdout]).toEqual([3, false, true, "1 failed\n"]);
  });

  it("puts the output's last lines in the message when the output was hidden", async () => {
    const ctx = mockContext({ make: { exitCode: 2, stderr: "error: no rule\n" } });
    await expect(ctx.run("make", { hide: true })).rejects.toThrow(
      "Command failed with exit code 2: make\nerror: no rule",
    );
  });

  it("returns the failed result instead with warn: true", async () => {
    const ctx = mockContext({ "npm test": { exitCode: 1 } });
    const result = await ctx.run("npm test", { warn: true });
    expect([result.ok, result.failed, result.exitCode]).toEqual([false, true, 1]);
  });

  it("fails a command ended by a signal: no exit code", async () => {
    const ctx = mockContext({ server: { signal: "SIGKILL" } });
    await expect(ctx.run("server")).rejects.toThrow("Command was killed with SIGKILL: server");
    const result = await ctx.run("server", { warn: true });
    expect([result.exitCode, result.signal, result.ok]).toEqual([null, "SIGKILL", false]);
  });

  it("fails a timed-out command as the real ctx reports one: SIGTERM, no exit code", async () => {
    const ctx = mockContext({ "sleep 100": { timedOut: true } });
    const result = await ctx.run("sleep 100", { warn: true });
    expect([result.timedOut, result.exitCode, result.signal, result.ok, result.failed]).toEqual([
      true,
      null,
      "SIGTERM",
      false,
      true,
    ]);
    const error = await ctx.run("sleep 100").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).message).toMatch(/^Command timed out after \d+ ms: sleep 100$/);
  });

  it("fails a task that uses it, as the runner would see it", async () => {
    const release = task({
      async run(ctx) {
        await ctx.run("npm test");
        await ctx.run("npm publish");
      },
    });
    const ctx = mockContext({ "npm test": { exitCode: 1 }, "npm publish": "" });
    await expect(release.run(ctx, {})).rejects.toBeInstanceOf(CommandError);
    expect(ctx.commands).toEqual(["npm test"]);
  });
});

describe("mockContext settings", () => {
  it("fills name, options, args, rest, cwd, config and signal", () => {
    const controller = new AbortController();
    const ctx = mockContext(
      {},
      {
        name: "docs.build",
        options: { target: "esnext" },
        args: ["a"],
        rest: ["--", "b"],
        cwd: "/project",
        config: { jobs: 2 },
        signal: controller.signal,
      },
    );
    expect([ctx.name, ctx.options, ctx.args, ctx.rest, ctx.cwd, ctx.config]).toEqual([
      "docs.build",
      { target: "esnext" },
      ["a"],
      ["--", "b"],
      "/project",
      { ...defaults(), jobs: 2 },
    ]);
    expect(ctx.signal).toBe(controller.signal);
  });

  it("has plain defaults: the configuration is runner's built-in one", () => {
    const ctx = mockContext();
    expect([ctx.name, ctx.options, ctx.args, ctx.rest, ctx.cwd, ctx.config]).toEqual([
      "task",
      {},
      [],
      [],
      process.cwd(),
      defaults(),
    ]);
    expect(ctx.signal.aborted).toBe(false);
    expect([ctx.dryRun, ctx.invocationDir]).toEqual([false, process.cwd()]);
  });

  it("fills dryRun and invocationDir (which defaults to cwd)", () => {
    expect(mockContext({}, { dryRun: true, cwd: "/project" })).toMatchObject({
      dryRun: true,
      cwd: "/project",
      invocationDir: "/project",
    });
    expect(mockContext({}, { cwd: "/project", invocationDir: "/project/sub" }).invocationDir).toBe("/project/sub");
  });
});

describe("mockContext's ctx.defer", () => {
  const withCleanup = task({
    run: async (ctx) => {
      ctx.defer(() => ctx.run("docker rm -f db"));
      ctx.defer(() => ctx.log("second registered"));
      await ctx.run("docker run -d --name db postgres");
    },
  });

  it("keeps what was registered until runDeferred runs it, last registered first", async () => {
    const ctx = mockContext({ "docker run -d --name db postgres": "", "docker rm -f db": "" });
    await withCleanup.run(ctx, {});
    expect(ctx.deferred).toHaveLength(2);
    expect(ctx.commands).toEqual(["docker run -d --name db postgres"]);
    await ctx.runDeferred();
    expect(ctx.logs).toEqual(["second registered"]);
    expect(ctx.commands).toEqual(["docker run -d --name db postgres", "docker rm -f db"]);
    expect(ctx.deferred).toEqual([]);
  });

  it("runs every deferred function even when one throws, then rejects with the first error", async () => {
    const ctx = mockContext({ "docker rm -f db": { exitCode: 1 } });
    ctx.defer(() => ctx.log("still ran"));
    ctx.defer(() => ctx.run("docker rm -f db"));
    await expect(ctx.runDeferred()).rejects.toBeInstanceOf(CommandError);
    expect(ctx.logs).toEqual(["still ran"]);
  });

  it("rejects what is not a function at once", () => {
    const ctx = mockContext();
    expect(() => ctx.defer("rm -rf tmp" as unknown as () => void)).toThrow(
      "ctx.defer: expected a function, not string",
    );
  });
});

describe("this project's own tasks, tested with mockContext", () => {
  it("lint runs prettier --check, then eslint with no warnings allowed", async () => {
    const ctx = mockContext({
      "./node_modules/.bin/prettier --check --log-level warn .": "",
      "./node_modules/.bin/eslint --max-warnings 0 .": "",
    });
    await lint.run(ctx, {});
    expect(ctx.commands).toEqual([
      "./node_modules/.bin/prettier --check --log-level warn .",
      "./node_modules/.bin/eslint --max-warnings 0 .",
    ]);
  });

  it("lint stops at the first failure: no eslint after prettier fails", async () => {
    const ctx = mockContext([
      [/prettier/, { exitCode: 1, stdout: "[warn] src/a.ts\n" }],
      [/eslint/, ""],
    ]);
    await expect(lint.run(ctx, {})).rejects.toThrow(
      "Command failed with exit code 1: ./node_modules/.bin/prettier --check --log-level warn .",
    );
    expect(ctx.commands).toHaveLength(1);
  });

  it("typecheck runs tsc on the whole project without emitting", async () => {
    const ctx = mockContext({ "./node_modules/.bin/tsc --noEmit -p .": "" });
    await typecheck.run(ctx, {});
    expect(ctx.calls).toEqual([{ kind: "run", command: "./node_modules/.bin/tsc --noEmit -p .", options: {} }]);
  });

  it("test runs vitest with no shell, passing the chosen files as arguments", async () => {
    const ctx = mockContext([[/vitest/, ""]]);
    await testTask.run(ctx, { file: [] });
    await testTask.run(ctx, { file: ["test/config.test.ts", "a file with spaces.ts"] });
    expect(ctx.calls.map((call) => [call.kind, call.command])).toEqual([
      ["exec", "./node_modules/.bin/vitest run"],
      ["exec", "./node_modules/.bin/vitest run test/config.test.ts 'a file with spaces.ts'"],
    ]);
  });

  it("test passes vitest's failure on, with its exit code", async () => {
    const ctx = mockContext([[/vitest/, { exitCode: 1 }]]);
    const error = await Promise.resolve(testTask.run(ctx, { file: ["x"] })).catch((e: unknown) => e);
    expect((error as CommandError).result.exitCode).toBe(1);
  });

  it("format writes with prettier", async () => {
    const ctx = mockContext({ "./node_modules/.bin/prettier --write --log-level warn .": "" });
    await format.run(ctx, {});
    expect(ctx.commands).toHaveLength(1);
  });

  it("build runs the bundler as a command, with --types unless told not to", async () => {
    const bundler = `${process.execPath} tasks/bundle.mjs`;
    const ctx = mockContext({ [bundler]: "", [`${bundler} --types`]: "" });
    await build.run(ctx, { types: true });
    await build.run(ctx, { types: false });
    expect(ctx.commands).toEqual([`${bundler} --types`, bundler]);
  });

  it("check runs nothing itself: lint, typecheck and test are its deps; test needs no build first", () => {
    const ctx = mockContext();
    check.run(ctx, {});
    expect(ctx.calls).toEqual([]);
    expect(check.deps).toEqual([lint, typecheck, testTask]);
    expect(testTask.deps).toBeUndefined();
    expect(testTask.options?.file).toMatchObject({ positional: true, multiple: true });
  });
});
