// Configuration (SPEC §6): config files found by cosmiconfig, RUNNER_* variables and flags,
// observed through a task printing ctx.config and through what commands see.
import { chmodSync, realpathSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, type RunResult } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const TASKS = `import { task } from "runner-ts";

export const show = task({ run: (ctx) => { console.log(JSON.stringify(ctx.config)); } });

export function vars(ctx) {
  return ctx.run('echo "FOO=$FOO BAR=$BAR"');
}

export function hi(ctx) {
  return ctx.run("echo hi");
}

export function slow(ctx) {
  return ctx.run("sleep 5");
}

export function color(ctx) {
  return ctx.run('echo "FORCE_COLOR=$FORCE_COLOR"');
}
`;

/** The configuration a run of `show` printed. */
function shown(run: RunResult): Record<string, unknown> {
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** A bad-input error: one line on stderr, exit status 2, no task ran. */
function expectUserError(run: RunResult, line: string | RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr.split("\n")).toHaveLength(2);
  if (typeof line === "string") expect(run.stderr).toBe(`${line}\n`);
  else expect(run.stderr).toMatch(line);
}

describe("defaults", () => {
  it("gives ctx.config the built-in defaults when nothing is configured", async () => {
    const dir = project({ "tasks.ts": TASKS });
    expect(shown(await runInProcess(["show"], { cwd: dir }))).toEqual({
      jobs: availableParallelism(),
      retries: 0,
      killGrace: 3000,
      shell: "/bin/sh",
      env: {},
      echo: false,
      dotenv: [],
      captureLimit: 1024 * 1024,
      isolate: false,
      redisQueue: "runner",
      redisLockDuration: 30_000,
      redisStalledInterval: 30_000,
      redisMaxStalled: 1,
      workerGrace: 30_000,
    });
  });
});

describe("config file formats", () => {
  const cases: [string, Record<string, string>][] = [
    ["package.json#runner", { "package.json": `{ "name": "x", "runner": { "jobs": 3 } }` }],
    [".runnerrc as JSON", { ".runnerrc": `{ "jobs": 3 }` }],
    [".runnerrc as YAML", { ".runnerrc": `# YAML\njobs: 3\n` }],
    [".runnerrc.json", { ".runnerrc.json": `{ "jobs": 3 }` }],
    [".runnerrc.yaml", { ".runnerrc.yaml": `jobs: 3\n` }],
    [".runnerrc.yml", { ".runnerrc.yml": `jobs: 3\n` }],
    [".runnerrc.js (CommonJS)", { ".runnerrc.js": `module.exports = { jobs: 3 };\n` }],
    [".runnerrc.mjs", { ".runnerrc.mjs": `export default { jobs: 3 };\n` }],
    [
      "runner.config.js (ES module package)",
      { "package.json": `{ "type": "module" }`, "runner.config.js": `export default { jobs: 3 };\n` },
    ],
    ["runner.config.mjs", { "runner.config.mjs": `export default { jobs: 3 };\n` }],
  ];
  it.each(cases)("reads %s", async (_name, files) => {
    const dir = project({ "tasks.ts": TASKS, ...files });
    expect(shown(await runInProcess(["show"], { cwd: dir })).jobs).toBe(3);
  });

  it("loads runner.config.ts through runner's own loader: types and extensionless relative imports", async () => {
    const dir = project({
      "tasks.ts": TASKS,
      "config/jobs.ts": `export const jobs: number = 3;\n`,
      "runner.config.ts": [
        `import { jobs } from "./config/jobs";`,
        `interface Settings { jobs: number; output: "grouped" | "quiet" }`,
        `const settings: Settings = { jobs, output: "grouped" };`,
        `export default settings satisfies Settings;`,
        ``,
      ].join("\n"),
    });
    const config = shown(await runInProcess(["show"], { cwd: dir }));
    expect(config.jobs).toBe(3);
    expect(config.output).toBe("grouped");
  });

  it("reads every key from a file, with file and dotenv paths relative to that file", async () => {
    const dir = project({
      "tasks.ts": TASKS,
      ".env": "A=1\n",
      ".runnerrc.json": JSON.stringify({
        jobs: 3,
        output: "grouped",
        timeout: "2m",
        retries: 1,
        killGrace: "500ms",
        shell: "/bin/sh",
        env: { A: "1" },
        echo: false,
        color: false,
        file: "tasks.ts",
        dotenv: ".env",
        captureLimit: 2048,
        isolate: false,
        isolateMaxRss: "1GB",
        // (--no-redis below: the task runs here, showing what it was given)
        redis: "redis://queue.example:6380",
        redisQueue: "ci.jobs",
        redisLockDuration: "10s",
        redisStalledInterval: 5000,
        redisMaxStalled: 2,
        workerGrace: "1m",
      }),
    });
    const real = realpathSync(dir);
    expect(shown(await runInProcess(["--no-redis", "show"], { cwd: dir }))).toEqual({
      jobs: 3,
      output: "grouped",
      timeout: 120_000,
      retries: 1,
      killGrace: 500,
      shell: "/bin/sh",
      env: { A: "1" },
      echo: false,
      color: false,
      file: join(real, "tasks.ts"),
      dotenv: [{ path: join(real, ".env"), required: false }],
      captureLimit: 2048,
      isolate: false,
      isolateMaxRss: 1e9,
      // redis is read (a run without --no-redis would go there), and --no-redis clears it.
      redisQueue: "ci.jobs",
      redisLockDuration: 10_000,
      redisStalledInterval: 5000,
      redisMaxStalled: 2,
      workerGrace: 60_000,
    });
  });

  it("skips a package.json without a runner key and finds the next place", async () => {
    const dir = project({ "tasks.ts": TASKS, "package.json": `{ "name": "x" }`, ".runnerrc.yml": "jobs: 3\n" });
    expect(shown(await runInProcess(["show"], { cwd: dir })).jobs).toBe(3);
  });

  it("ignores an empty config file", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc": "" });
    expect(shown(await runInProcess(["show"], { cwd: dir })).jobs).toBe(availableParallelism());
  });
});

describe("where config is searched", () => {
  it("searches upward: a run from a subdirectory finds the project's config", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "jobs": 3 }`, "src/deep/keep": "" });
    expect(shown(await runInProcess(["show"], { cwd: join(dir, "src/deep") })).jobs).toBe(3);
  });

  it("finds a runner key in a parent directory's package.json", async () => {
    const dir = project({ "package.json": `{ "runner": { "jobs": 3 } }`, "app/tasks.ts": TASKS });
    expect(shown(await runInProcess(["show"], { cwd: join(dir, "app") })).jobs).toBe(3);
  });

  it("reads the user's global config (XDG_CONFIG_HOME/runner/config.json) last", async () => {
    const dir = project({ "app/tasks.ts": TASKS, "xdg/runner/config.json": `{ "jobs": 3 }` });
    const run = await runInProcess(["show"], { cwd: join(dir, "app"), env: { XDG_CONFIG_HOME: join(dir, "xdg") } });
    expect(shown(run).jobs).toBe(3);
  });

  it("the nearest file wins over one in a parent directory", async () => {
    const dir = project({
      ".runnerrc.json": `{ "jobs": 2 }`,
      "app/tasks.ts": TASKS,
      "app/.runnerrc.json": `{ "jobs": 4 }`,
    });
    expect(shown(await runInProcess(["show"], { cwd: join(dir, "app") })).jobs).toBe(4);
  });

  it("searches from the tasks file's directory when --file names one elsewhere", async () => {
    const dir = project({
      ".runnerrc.json": `{ "jobs": 2 }`,
      "app/tasks.ts": TASKS,
      "app/.runnerrc.json": `{ "jobs": 4 }`,
    });
    expect(shown(await runInProcess(["-f", "app/tasks.ts", "show"], { cwd: dir })).jobs).toBe(4);
    expect(shown(await runInProcess(["-C", "app", "show"], { cwd: dir })).jobs).toBe(4);
  });

  it("uses a parent's config for a tasks file that has none beside it", async () => {
    const dir = project({ ".runnerrc.json": `{ "jobs": 2 }`, "app/tasks.ts": TASKS });
    expect(shown(await runInProcess(["-f", "app/tasks.ts", "show"], { cwd: dir })).jobs).toBe(2);
  });
});

describe("precedence: defaults < config file < environment < command line", () => {
  it("takes jobs from the flag, else the environment, else the file", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "jobs": 3 }` });
    const env = { RUNNER_JOBS: "5" };
    // -j 7 implies -p, whose output mode adds runner's own lines on stderr: stdout is the config.
    const parallel = async (args: string[]) =>
      JSON.parse((await runInProcess(args, { cwd: dir, env })).stdout) as object;
    expect(await parallel(["-j", "7", "show"])).toHaveProperty("jobs", 7);
    expect(await parallel(["--jobs=7", "show"])).toHaveProperty("jobs", 7);
    expect(shown(await runInProcess(["show"], { cwd: dir, env })).jobs).toBe(5);
    expect(shown(await runInProcess(["show"], { cwd: dir })).jobs).toBe(3);
  });

  it("ignores an empty environment variable", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "jobs": 3 }` });
    expect(shown(await runInProcess(["show"], { cwd: dir, env: { RUNNER_JOBS: "" } })).jobs).toBe(3);
  });

  it("--timeout and --retries on the command line beat the environment", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "timeout": "1m", "retries": 1 }` });
    const env = { RUNNER_TIMEOUT: "2m", RUNNER_RETRIES: "2" };
    const fromEnv = shown(await runInProcess(["show"], { cwd: dir, env }));
    expect([fromEnv.timeout, fromEnv.retries]).toEqual([120_000, 2]);
    const fromFlags = shown(await runInProcess(["--timeout", "3m", "--retries", "3", "show"], { cwd: dir, env }));
    expect([fromFlags.timeout, fromFlags.retries]).toEqual([180_000, 3]);
  });
});

describe("environment variables", () => {
  const cases: [string, string, string, unknown][] = [
    ["RUNNER_JOBS", "5", "jobs", 5],
    ["RUNNER_OUTPUT", "quiet", "output", "quiet"],
    ["RUNNER_TIMEOUT", "90s", "timeout", 90_000],
    ["RUNNER_RETRIES", "2", "retries", 2],
    ["RUNNER_KILL_GRACE", "5s", "killGrace", 5000],
    ["RUNNER_SHELL", "bash", "shell", "bash"],
    ["RUNNER_ENV", `{"A":"x","B":""}`, "env", { A: "x", B: "" }],
    ["RUNNER_ECHO", "1", "echo", true],
    ["RUNNER_COLOR", "false", "color", false],
    [
      "RUNNER_DOTENV",
      "a.env,b.env",
      "dotenv",
      [
        { path: "a.env", required: false },
        { path: "b.env", required: false },
      ],
    ],
    ["RUNNER_CAPTURE_LIMIT", "4096", "captureLimit", 4096],
  ];
  it.each(cases)("%s=%s sets %s", async (name, value, key, expected) => {
    const dir = project({ "tasks.ts": TASKS, "a.env": "", "b.env": "" });
    const run = await runInProcess(["show"], { cwd: dir, env: { [name]: value } });
    // An echoed command would print `$ …`; `show` runs none, so stdout is the config alone.
    expect(shown(run)[key]).toEqual(expected);
  });

  it("RUNNER_FILE picks the tasks file (relative to the current directory)", async () => {
    const dir = project({
      "tasks.ts": `export function where() { console.log("tasks.ts"); }\n`,
      "ci/tasks.ts": `export function where() { console.log("ci/tasks.ts"); }\n`,
    });
    const run = await runInProcess(["where"], { cwd: dir, env: { RUNNER_FILE: "ci/tasks.ts" } });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "ci/tasks.ts\n", ""]);
  });
});

describe("configuration changes behaviour", () => {
  it("env reaches commands, and beats the dotenv files", async () => {
    const dir = project({
      "tasks.ts": TASKS,
      ".env": "FOO=from-dotenv\nBAR=from-dotenv\n",
      ".runnerrc.json": `{ "dotenv": ".env", "env": { "BAR": "from-config" } }`,
    });
    const run = await runInProcess(["vars"], { cwd: dir });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "FOO=from-dotenv BAR=from-config\n", ""]);
  });

  it("a variable already in the environment beats the dotenv file (CI secrets win over .env)", async () => {
    const dir = project({
      "tasks.ts": TASKS,
      ".env": "FOO=from-dotenv\nBAR=from-dotenv\n",
      ".runnerrc.json": `{ "dotenv": ".env" }`,
    });
    const run = await runInProcess(["vars"], { cwd: dir, env: { FOO: "from-environment" } });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "FOO=from-environment BAR=from-dotenv\n", ""]);
  });

  it("RUNNER_ENV replaces the file's env", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "env": { "FOO": "file", "BAR": "file" } }` });
    const run = await runInProcess(["vars"], { cwd: dir, env: { RUNNER_ENV: `{"FOO":"env"}` } });
    expect(run.stdout).toBe("FOO=env BAR=\n");
  });

  it("dotenv paths in a config file are relative to that file, not to the tasks file", async () => {
    const dir = project({
      "package.json": "{}",
      ".runnerrc.yaml": "dotenv:\n  - env/one.env\n  - env/two.env\n",
      "env/one.env": "FOO=one\nBAR=one\n",
      "env/two.env": "BAR=two\n",
      "app/tasks.ts": TASKS,
    });
    const run = await runInProcess(["vars"], { cwd: join(dir, "app") });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "FOO=one BAR=two\n", ""]);
  });

  it("RUNNER_DOTENV loads a file from the project directory", async () => {
    const dir = project({ "tasks.ts": TASKS, "ci.env": "FOO=ci\n" });
    const run = await runInProcess(["vars"], { cwd: dir, env: { RUNNER_DOTENV: "ci.env" } });
    expect(run.stdout).toBe("FOO=ci BAR=\n");
  });

  it("a required dotenv file that does not exist is an error and nothing runs", async () => {
    const dir = project({
      "tasks.ts": TASKS,
      ".runnerrc.json": `{ "dotenv": [{ "path": "missing.env", "required": true }] }`,
    });
    const run = await runInProcess(["vars"], { cwd: dir });
    expectUserError(
      run,
      /^The dotenv file .*missing\.env does not exist \(it is required by the dotenv setting\)\.\n$/,
    );
  });

  it("echo: true prints each command before it runs; --no-echo and RUNNER_ECHO=false turn it off", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "echo": true }` });
    const on = await runInProcess(["hi"], { cwd: dir });
    expect(on.code).toBe(0);
    expect(on.all).toBe("$ echo hi\nhi\n");
    const flagOff = await runInProcess(["--no-echo", "hi"], { cwd: dir });
    expect(flagOff.all).toBe("hi\n");
    const envOff = await runInProcess(["hi"], { cwd: dir, env: { RUNNER_ECHO: "false" } });
    expect(envOff.all).toBe("hi\n");
  });

  it("timeout limits a task: the run ends with status 124", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "timeout": "300ms", "killGrace": "1s" }` });
    const run = await runInProcess(["slow"], { cwd: dir });
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("timed out");
  });

  it("RUNNER_TIMEOUT limits a task too", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["slow"], { cwd: dir, env: { RUNNER_TIMEOUT: "300ms" } });
    expect(run.code).toBe(124);
  });

  it("a task's own timeout beats the configured one", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";\nexport const nap = task({ timeout: "1m", run: (ctx) => ctx.run("sleep 1") });\n`,
      ".runnerrc.json": `{ "timeout": "200ms" }`,
    });
    const run = await runInProcess(["nap"], { cwd: dir });
    expect([run.code, run.stderr]).toEqual([0, ""]);
  });

  it("retries re-runs a failed task", async () => {
    const tasks = `export function flaky(ctx) {\n  return ctx.run("test -f marker || { touch marker; exit 3; }");\n}\n`;
    const once = await runInProcess(["flaky"], { cwd: project({ "tasks.ts": tasks }) });
    expect(once.code).toBe(3);
    const dir = project({ "tasks.ts": tasks, ".runnerrc.json": `{ "retries": 1 }` });
    const retried = await runInProcess(["flaky"], { cwd: dir });
    expect(retried.code).toBe(0);
    expect(retried.stderr).toContain("↻ flaky: attempt 2 of 2\n");
  });

  it("shell is the program that runs commands (as `<shell> -c <command>`)", async () => {
    const dir = project({ "tasks.ts": TASKS, "bin/myshell": `#!/bin/sh\necho "myshell $1 [$2]"\n` });
    chmodSync(join(dir, "bin/myshell"), 0o755);
    const shell = join(dir, "bin/myshell");
    const fromFile = project({ "tasks.ts": TASKS, ".runnerrc.json": JSON.stringify({ shell }) });
    expect((await runInProcess(["hi"], { cwd: fromFile })).stdout).toBe("myshell -c [echo hi]\n");
    const fromEnv = await runInProcess(["hi"], { cwd: dir, env: { RUNNER_SHELL: shell } });
    expect(fromEnv.stdout).toBe("myshell -c [echo hi]\n");
  });

  it("file picks the tasks file, relative to the config file, also from a subdirectory", async () => {
    const dir = project({
      "package.json": "{}",
      ".runnerrc.json": `{ "file": "build/tasks.ts" }`,
      "build/tasks.ts": `export function where(ctx) { console.log("build/tasks.ts", ctx.cwd.endsWith("build")); }\n`,
      "src/keep": "",
    });
    const run = await runInProcess(["where"], { cwd: dir });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "build/tasks.ts true\n", ""]);
    const fromSub = await runInProcess(["where"], { cwd: join(dir, "src") });
    expect(fromSub.stdout).toBe("build/tasks.ts true\n");
  });

  it("--file beats RUNNER_FILE, which beats the file key", async () => {
    const dir = project({
      ".runnerrc.json": `{ "file": "a.ts" }`,
      "a.ts": `export function where() { console.log("a"); }\n`,
      "b.ts": `export function where() { console.log("b"); }\n`,
      "c.ts": `export function where() { console.log("c"); }\n`,
    });
    expect((await runInProcess(["where"], { cwd: dir })).stdout).toBe("a\n");
    expect((await runInProcess(["where"], { cwd: dir, env: { RUNNER_FILE: "b.ts" } })).stdout).toBe("b\n");
    expect((await runInProcess(["-f", "c.ts", "where"], { cwd: dir, env: { RUNNER_FILE: "b.ts" } })).stdout).toBe(
      "c\n",
    );
  });

  it("a file key naming no file is an error naming the config file", async () => {
    const dir = project({ ".runnerrc.json": `{ "file": "nope.ts" }` });
    const real = realpathSync(dir);
    expectUserError(
      await runInProcess(["where"], { cwd: dir }),
      `Tasks file ${join(real, "nope.ts")} (from file in ${join(real, ".runnerrc.json")}) does not exist.`,
    );
  });

  it("color: true colours the run, so commands get FORCE_COLOR; --no-color and RUNNER_COLOR=0 do not", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "color": true }` });
    expect((await runInProcess(["color"], { cwd: dir })).stdout).toBe("FORCE_COLOR=1\n");
    expect((await runInProcess(["--no-color", "color"], { cwd: dir })).stdout).toBe("FORCE_COLOR=\n");
    expect((await runInProcess(["color"], { cwd: dir, env: { RUNNER_COLOR: "0" } })).stdout).toBe("FORCE_COLOR=\n");
  });
});

describe("invalid configuration: one line naming the source, exit status 2, nothing run", () => {
  const fileCases: [string, unknown, string][] = [
    ["jobs", 0, "Invalid value 0 for jobs in <file>: expected a whole number ≥ 1."],
    ["jobs", "3", 'Invalid value "3" for jobs in <file>: expected a whole number ≥ 1.'],
    [
      "output",
      "fancy",
      'Invalid value "fancy" for output in <file>: expected one of prefixed, grouped, interleaved, quiet.',
    ],
    [
      "timeout",
      "soon",
      'Invalid value "soon" for timeout in <file>: expected a duration like "90s", "5m", "1h" or milliseconds.',
    ],
    ["retries", -1, "Invalid value -1 for retries in <file>: expected a whole number ≥ 0."],
    ["killGrace", "x", 'Invalid value "x" for killGrace in <file>: expected a duration like "3s" or milliseconds.'],
    ["shell", "", 'Invalid value "" for shell in <file>: expected the path or name of a shell.'],
    ["env", { A: 1 }, 'Invalid value {"A":1} for env in <file>: expected an object of string values.'],
    ["echo", "yes", 'Invalid value "yes" for echo in <file>: expected true or false.'],
    ["color", 1, "Invalid value 1 for color in <file>: expected true or false."],
    ["file", 3, "Invalid value 3 for file in <file>: expected a path."],
    [
      "dotenv",
      5,
      'Invalid value 5 for dotenv in <file>: expected a path, or a list of paths and { "path": …, "required": true } objects.',
    ],
    [
      "captureLimit",
      10,
      "Invalid value 10 for captureLimit in <file>: expected a whole number of bytes from 1024 to 268435456 (256 MiB).",
    ],
  ];
  it.each(fileCases)("%s: %j in a config file", async (key, value, message) => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": JSON.stringify({ [key]: value }) });
    const path = join(realpathSync(dir), ".runnerrc.json");
    expectUserError(await runInProcess(["show"], { cwd: dir }), message.replace("<file>", path));
  });

  const envCases: [string, string, string][] = [
    ["RUNNER_JOBS", "abc", "a whole number ≥ 1"],
    ["RUNNER_JOBS", "1.5", "a whole number ≥ 1"],
    ["RUNNER_OUTPUT", "fancy", "one of prefixed, grouped, interleaved, quiet"],
    ["RUNNER_TIMEOUT", "soon", 'a duration like "90s", "5m", "1h" or milliseconds'],
    ["RUNNER_RETRIES", "-1", "a whole number ≥ 0"],
    ["RUNNER_KILL_GRACE", "1x", 'a duration like "3s" or milliseconds'],
    ["RUNNER_ENV", "not json", "an object of string values"],
    ["RUNNER_ENV", "[1]", "an object of string values"],
    ["RUNNER_ECHO", "maybe", "true or false"],
    ["RUNNER_COLOR", "2", "true or false"],
    ["RUNNER_CAPTURE_LIMIT", "12", "a whole number of bytes from 1024 to 268435456 (256 MiB)"],
  ];
  it.each(envCases)("%s=%s", async (name, value, expected) => {
    const dir = project({ "tasks.ts": TASKS });
    expectUserError(
      await runInProcess(["show"], { cwd: dir, env: { [name]: value } }),
      `Invalid value "${value}" for ${name} in the environment: expected ${expected}.`,
    );
  });

  it("a RUNNER_FILE naming no file", async () => {
    const dir = project({ "tasks.ts": TASKS });
    expectUserError(
      await runInProcess(["show"], { cwd: dir, env: { RUNNER_FILE: "nope.ts" } }),
      `Tasks file ${join(realpathSync(dir), "nope.ts")} (from RUNNER_FILE) does not exist.`,
    );
  });

  const flagCases: [string[], string][] = [
    [["-j", "abc"], 'Invalid value "abc" for --jobs: expected a whole number ≥ 1.'],
    [["-j0"], 'Invalid value "0" for --jobs: expected a whole number ≥ 1.'],
    [
      ["--timeout", "soon"],
      'Invalid value "soon" for --timeout: expected a duration like "90s", "5m", "1h" or milliseconds.',
    ],
    [["--retries=x"], 'Invalid value "x" for --retries: expected a whole number ≥ 0.'],
  ];
  it.each(flagCases)("flag %j", async (args, message) => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "jobs": 3 }` });
    expectUserError(await runInProcess([...args, "show"], { cwd: dir }), message);
  });

  it("a valid flag does not excuse an invalid environment variable", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["-j", "2", "show"], { cwd: dir, env: { RUNNER_JOBS: "many" } });
    expectUserError(run, 'Invalid value "many" for RUNNER_JOBS in the environment: expected a whole number ≥ 1.');
  });

  it("an unknown key in a config file, with a suggestion when one is close", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.yml": "jbos: 3\n" });
    const path = join(realpathSync(dir), ".runnerrc.yml");
    expectUserError(
      await runInProcess(["show"], { cwd: dir }),
      `Unknown setting "jbos" in ${path}. Did you mean "jobs"?`,
    );
    const far = project({ "tasks.ts": TASKS, "package.json": `{ "runner": { "parallelism": 3 } }` });
    expectUserError(
      await runInProcess(["show"], { cwd: far }),
      `Unknown setting "parallelism" in ${join(realpathSync(far), "package.json")}. Known settings: jobs, output, timeout, retries, killGrace, shell, env, echo, color, file, dotenv, captureLimit, isolate, isolateMaxRss, redis, redisQueue, redisLockDuration, redisStalledInterval, redisMaxStalled, workerGrace.`,
    );
  });

  it("a config that is not an object of settings", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc": "just a string\n" });
    expectUserError(
      await runInProcess(["show"], { cwd: dir }),
      `Invalid configuration in ${join(realpathSync(dir), ".runnerrc")}: expected an object of settings.`,
    );
  });

  it("a bad config file is reported before the command line is checked, and stops --list too", async () => {
    const dir = project({ "tasks.ts": TASKS, ".runnerrc.json": `{ "jobs": 0 }` });
    const message = /^Invalid value 0 for jobs in .*\.runnerrc\.json: expected a whole number ≥ 1\.\n$/;
    expectUserError(await runInProcess(["no-such-task"], { cwd: dir }), message);
    expectUserError(await runInProcess(["--list"], { cwd: dir }), message);
  });

  const syntaxCases: [string, string, RegExp][] = [
    [".runnerrc.json", `{ "jobs": 3,`, /: Expected .*position/],
    [".runnerrc", `jobs: 3\n  output: [\n`, /: bad indentation of a mapping entry \(2:\d+\)$/m],
    [".runnerrc.yaml", `jobs: [1\n`, /: unexpected end of the stream/],
    ["package.json", `{ "runner": { "jobs": 3, } }`, /: Expected .*position/],
    [".runnerrc.mjs", `export default { jobs: ; };\n`, /: Unexpected token/],
    [
      "runner.config.ts",
      `const jobs: number = ;\nexport default { jobs };\n`,
      /: runner\.config\.ts:1:22: Unexpected ";"/,
    ],
    ["runner.config.ts", `throw new Error("no config today");\n`, /: runner\.config\.ts(:1:7)?: no config today$/m],
  ];
  it.each(syntaxCases)("a syntax error in %s: one line, no stack", async (name, content, reason) => {
    const dir = project({ "tasks.ts": TASKS, [name]: content });
    const run = await runInProcess(["show"], { cwd: dir });
    const path = join(realpathSync(dir), name);
    expectUserError(run, new RegExp(`^Invalid configuration file ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
