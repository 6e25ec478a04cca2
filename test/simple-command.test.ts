// ctx.run's shortcut past the shell (simple-command.ts): which commands take it, and that a
// command taking it is seen exactly as through the shell, its process excepted.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaults } from "../src/config/settings.ts";
import { DEFAULT_SHELL, directCommand } from "../src/child/direct-command.ts";
import { project, runRunner } from "./helpers.ts";

describe("directCommand", () => {
  const env = { PATH: "/usr/bin:/bin", PWD: "/" };
  const direct = (command: string, shell = DEFAULT_SHELL): readonly string[] | undefined => {
    const found = directCommand(command, shell, env, "/");
    return found === undefined ? undefined : [found.file, ...found.args];
  };

  it("splits plain words on blanks", () => {
    expect(direct("sleep 0.5")).toEqual(["sleep", "0.5"]);
    expect(direct(" \tmake  -j4\tCC=clang all ")).toEqual(["make", "-j4", "CC=clang", "all"]);
    expect(direct("./node_modules/.bin/tsc --noEmit -p .")).toEqual(["./node_modules/.bin/tsc", "--noEmit", "-p", "."]);
    expect(direct("git log --format=%H -1 origin/main,x+y@z:1")).toEqual([
      "git",
      "log",
      "--format=%H",
      "-1",
      "origin/main,x+y@z:1",
    ]);
  });

  it.each([
    "echo 'a b'",
    'ls "x"',
    "ls a\\ b",
    "ls $HOME",
    "ls `pwd`",
    "ls *.ts",
    "ls ?.ts",
    "ls [ab].ts",
    "ls ~",
    "ls # comment",
    "ls > out",
    "ls < in",
    "ls | wc",
    "ls; ls",
    "ls && ls",
    "ls &",
    "(ls)",
    "ls {a,b}",
    "ls\nls",
    "! ls",
    "",
    "   ",
  ])("leaves %j to the shell", (command) => {
    expect(direct(command)).toBeUndefined();
  });

  it.each(["FOO=1 make", "X= ls", "cd sub", "echo hi", "true", "exit 3", "export A", ". ./env", "if", "done", "wait"])(
    "leaves %j to the shell: an assignment, a reserved word or a builtin",
    (command) => {
      expect(direct(command)).toBeUndefined();
    },
  );

  it("only bypasses the default shell, and needs a PATH", () => {
    expect(DEFAULT_SHELL).toBe(defaults().shell);
    expect(direct("sleep 1", "/bin/bash")).toBeUndefined();
    expect(directCommand("sleep 1", DEFAULT_SHELL, { PWD: "/" }, "/")).toBeUndefined();
    expect(directCommand("sleep 1", DEFAULT_SHELL, { PATH: "", PWD: "/" }, "/")).toBeUndefined();
  });

  it("hands on the PWD the shell would: the inherited one if it names the directory, else its physical path", () => {
    const dir = realpathSync(project({ "real/.keep": "" }));
    symlinkSync(join(dir, "real"), join(dir, "link"));
    const pwdFor = (pwd: string | undefined, cwd: string): string | undefined =>
      directCommand("ls", DEFAULT_SHELL, { PATH: "/usr/bin", PWD: pwd }, cwd)?.env.PWD;
    expect(pwdFor(join(dir, "real"), join(dir, "real"))).toBe(join(dir, "real"));
    expect(pwdFor(join(dir, "link"), join(dir, "real"))).toBe(join(dir, "link"));
    expect(pwdFor(dir, join(dir, "link"))).toBe(join(dir, "real"));
    expect(pwdFor(undefined, join(dir, "real"))).toBe(join(dir, "real"));
    expect(pwdFor("relative", join(dir, "real"))).toBe(join(dir, "real"));
    expect(pwdFor(dir, join(dir, "missing"))).toBeUndefined();
  });
});

/** A program that tells who started it: its parent's pid and its process group. */
const REPORT = `import { readFileSync, writeFileSync } from "node:fs";
const stat = readFileSync("/proc/self/stat", "utf8");
const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
writeFileSync(process.argv[2], JSON.stringify({ pid: process.pid, ppid: process.ppid, pgrp, pwd: process.env.PWD }));
`;

const TASKS = `import { task } from "runner-ts";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const read = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const result = ({ durationMs, command, ...rest }: Record<string, unknown>) => rest;
export const who = task({
  options: { command: { type: "string", required: true } },
  run: async (ctx, { command }) => {
    await ctx.run(command);
    writeFileSync(join(ctx.cwd, "who.json"), JSON.stringify({ runner: process.pid, ...read(join(ctx.cwd, "out.json")) }));
  },
});
// The same command straight and with a ";" that sends it through the shell: their results.
export const both = task({
  options: { command: { type: "string", required: true } },
  run: async (ctx, { command }) => {
    const straight = await ctx.run(command, { warn: true });
    const shell = await ctx.run(command + ";", { warn: true });
    writeFileSync(join(ctx.cwd, "both.json"), JSON.stringify([result({ ...straight }), result({ ...shell })]));
  },
});
`;

describe("ctx.run without the shell", () => {
  const setup = (files: Readonly<Record<string, string>> = {}): string =>
    project({ "tasks.ts": TASKS, "report.mjs": REPORT, ...files });
  const who = async (dir: string, command: string): Promise<Record<string, number>> => {
    const run = await runRunner(["who", "--command", command], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return JSON.parse(readFileSync(join(dir, "who.json"), "utf8")) as Record<string, number>;
  };

  it.runIf(process.platform === "linux")("spawns a command of plain words itself, leading its own group", async () => {
    const dir = setup();
    const seen = await who(dir, "node report.mjs out.json");
    expect(seen.ppid).toBe(seen.runner);
    expect(seen.pgrp).toBe(seen.pid);
  });

  it.runIf(process.platform === "linux")("runs a command with shell syntax through the shell", async () => {
    const dir = setup();
    const seen = await who(dir, 'node report.mjs "out.json"');
    expect(seen.ppid).not.toBe(seen.runner);
    expect(seen.pgrp).toBe(seen.ppid); // the shell leads the group
  });

  it.runIf(process.platform === "linux")("runs every command through a configured shell", async () => {
    const dir = setup({ "bin/myshell": `#!/bin/sh\nexec /bin/sh "$@"\n` });
    chmodSync(join(dir, "bin/myshell"), 0o755);
    const run = await runRunner(["who", "--command", "node report.mjs out.json"], {
      cwd: dir,
      env: { RUNNER_SHELL: join(dir, "bin/myshell") },
    });
    expect(run.code).toBe(0);
    const seen = JSON.parse(readFileSync(join(dir, "who.json"), "utf8")) as Record<string, number>;
    expect(seen.ppid).not.toBe(seen.runner);
  });

  const both = async (dir: string, command: string, cwd = dir, env = {}): Promise<unknown[]> => {
    const run = await runRunner(["both", "--command", command], { cwd, env });
    expect(run.code).toBe(0);
    return JSON.parse(readFileSync(join(dir, "both.json"), "utf8")) as unknown[];
  };

  it("leaves a missing command to the shell: its message, status 127", async () => {
    const dir = setup();
    const [straight, shell] = await both(dir, "no-such-command-here --flag");
    expect(straight).toEqual(shell);
    const sh = spawnSync("/bin/sh", ["-c", "no-such-command-here --flag"], { cwd: dir, encoding: "utf8" });
    expect(straight).toMatchObject({ exitCode: 127, stderr: sh.stderr, stdout: "" });
    expect(sh.stderr).toMatch(/no-such-command-here.*not found/);
  });

  it("leaves a program that cannot be executed to the shell: its message, status 126", async () => {
    const dir = setup({ "bin/plain.txt": "not a program\n" });
    const [straight, shell] = await both(dir, "./bin/plain.txt");
    expect(straight).toEqual(shell);
    expect(straight).toMatchObject({ exitCode: 126 });
  });

  it("reports a program a signal ended as the shell does: 128 + N, and the signal's name", async () => {
    const dir = setup({ "die.mjs": `process.kill(process.pid, "SIGTERM");\nsetTimeout(() => {}, 5000);\n` });
    const [straight, shell] = await both(dir, "node die.mjs");
    expect(straight).toEqual(shell);
    expect(straight).toMatchObject({ exitCode: 143, signal: null });
  });

  it("hands the program the environment the shell would, PWD included", async () => {
    const dir = realpathSync(setup({ "env.mjs": "console.log(JSON.stringify(process.env));\n" }));
    mkdirSync(join(dir, "sub"));
    // Started from sub/, with PWD naming it: commands run in the tasks file's directory.
    const [straight, shell] = (await both(dir, "node env.mjs", join(dir, "sub"), { PWD: join(dir, "sub") })) as {
      stdout: string;
    }[];
    // A bash serving as /bin/sh would add `_` and bump SHLVL; dash, like the shortcut, does neither.
    const envOf = (seen: { stdout: string } | undefined): Record<string, string> => {
      const env = JSON.parse(seen?.stdout ?? "{}") as Record<string, string>;
      delete env._;
      delete env.SHLVL;
      return env;
    };
    expect(envOf(straight)).toEqual(envOf(shell));
    expect(envOf(straight)).toMatchObject({ PWD: dir });
  });
});
