// Safe to run unattended as root: each defect an adversarial pass found, pinned with the
// real CLI. (Signals, process groups and stuck tasks have their own files.)
import { spawnSync } from "node:child_process";
import { linkSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, runnerBin, runRunner } from "./helpers.ts";

describe("time limits of 2^31 ms or more", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner-ts";
export const nap = task({ run: (ctx) => ctx.run("sleep 0.3") });
export const own = task({ timeout: "600h", run: (ctx) => ctx.run("sleep 0.3") });
export const trapped = task({
  run: (ctx) => ctx.run("trap 'echo got TERM; exit 3' TERM; sleep 5 & wait", { timeout: "300ms", warn: true }),
});
`,
  });

  it("hold: --timeout 600h and a task's own 600h do not expire at once", async () => {
    for (const args of [["--timeout", "600h", "nap"], ["own"], ["--timeout", "2147483648", "nap"]]) {
      const run = await runRunner(args, { cwd: dir });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    }
  });

  it("hold for the grace period too: a command gets its SIGTERM, not an instant SIGKILL", async () => {
    const run = await runRunner(["trapped"], { cwd: dir, env: { RUNNER_KILL_GRACE: "600h" } });
    expect(run.stdout).toContain("got TERM");
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(run.code).toBe(0);
  });
});

describe("whole numbers and durations: plain decimals only, and a negative value is a value", () => {
  const dir = project({ "tasks.ts": `export function ok() {}\n` });
  const cases: [string[], string][] = [
    [["-j", "-1", "ok"], 'Invalid value "-1" for --jobs: expected a whole number ≥ 1.'],
    [["--jobs=-1", "ok"], 'Invalid value "-1" for --jobs: expected a whole number ≥ 1.'],
    [["--retries", "-1", "ok"], 'Invalid value "-1" for --retries: expected a whole number ≥ 0.'],
    [
      ["--timeout", "-5", "ok"],
      'Invalid value "-5" for --timeout: expected a duration like "90s", "5m", "1h" or milliseconds.',
    ],
    [["-j", "0x10", "ok"], 'Invalid value "0x10" for --jobs: expected a whole number ≥ 1.'],
    [["-j", "1e3", "ok"], 'Invalid value "1e3" for --jobs: expected a whole number ≥ 1.'],
    [["-j", " 4 ", "ok"], 'Invalid value " 4 " for --jobs: expected a whole number ≥ 1.'],
    [["-j", "Infinity", "ok"], 'Invalid value "Infinity" for --jobs: expected a whole number ≥ 1.'],
    [
      ["-j", "99999999999999999999", "ok"],
      'Invalid value "99999999999999999999" for --jobs: expected a whole number ≥ 1.',
    ],
  ];
  it.each(cases)("runner %j", async (args, message) => {
    const run = await runRunner(args, { cwd: dir });
    expect([run.stderr, run.stdout, run.code]).toEqual([`${message}\n`, "", 2]);
  });

  it("a task's number option takes plain decimals, negative and fractional ones too", async () => {
    const numbers = project({
      "tasks.ts": `import { task } from "runner-ts";
export const n = task({ options: { x: { type: "number" } }, run: (ctx, o) => console.log(JSON.stringify(o.x)) });
`,
    });
    for (const [word, shown] of [
      ["-2", "-2"],
      ["1.5", "1.5"],
      [".5", "0.5"],
    ] as const) {
      const run = await runRunner(["n", "--x", word], { cwd: numbers });
      expect([run.stdout, run.code]).toEqual([`${shown}\n`, 0]);
    }
    for (const word of ["0x10", "1e3", " 4 ", "Infinity", "1e999", ""]) {
      const run = await runRunner(["n", `--x=${word}`], { cwd: numbers });
      expect(run.stderr).toBe(`Invalid value "${word}" for --x of task "n": expected a number.\n`);
      expect(run.code).toBe(2);
    }
  });

  it("the same in the environment", async () => {
    const run = await runRunner(["ok"], { cwd: dir, env: { RUNNER_JOBS: "0x10" } });
    expect(run.stderr).toBe('Invalid value "0x10" for RUNNER_JOBS in the environment: expected a whole number ≥ 1.\n');
    expect(run.code).toBe(2);
  });
});

describe("bad values in tasks and settings", () => {
  it("a missing configured shell is named, not reported as the command's own 127", async () => {
    const dir = project({
      "tasks.ts": `export const hi = (ctx: { run(c: string): Promise<unknown> }) => ctx.run("echo hi");\n`,
      ".runnerrc.json": `{ "shell": "/nonexistent/sh" }`,
    });
    const run = await runRunner(["hi"], { cwd: dir });
    expect(run.stderr).toContain("the shell /nonexistent/sh (from the shell setting) does not exist");
    expect(run.stderr).not.toContain("echo hi: command not found");
    expect(run.code).toBe(127);
  });

  it("a captureLimit beyond what a string can hold is refused, with the bound", async () => {
    const dir = project({ "tasks.ts": `export function ok() {}\n` });
    const run = await runRunner(["ok"], { cwd: dir, env: { RUNNER_CAPTURE_LIMIT: String(2 ** 40) } });
    expect(run.stderr).toBe(
      `Invalid value "${2 ** 40}" for RUNNER_CAPTURE_LIMIT in the environment: expected a whole number of bytes from 1024 to 268435456 (256 MiB).\n`,
    );
    expect(run.code).toBe(2);
  });

  it("ctx.exec with a string for its arguments is a TypeError, not a command of single letters", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
export const spread = task({ run: (ctx) => ctx.exec("printf", "str" as unknown as string[]) });
`,
    });
    const run = await runRunner(["spread"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("ctx.exec: its arguments must be a list of strings, not a string");
    expect(run.code).toBe(1);
  });
});

describe("GitHub Actions workflow commands", () => {
  it("cannot be injected by an option value holding a newline", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
export const greet = task({
  options: { name: { type: "string", positional: true, required: true } },
  run: (ctx) => { console.log("hi"); throw new Error("no"); },
});
export const other = task({ run: () => {} });
`,
    });
    const evil = "x\n::error title=pwned::owned %0A";
    const run = await runRunner(["-p", "--output", "grouped", "greet", evil, "other"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(run.code).toBe(1);
    const commands = run.stdout.split("\n").filter((line) => line.startsWith("::"));
    // Only runner's own commands start a line: the value stays inside them, escaped.
    expect(commands.filter((line) => !/^::(group::greet |endgroup::$|error title=greet )/.test(line))).toEqual([]);
    expect(normalize(run.stdout)).toContain("::group::greet x%0A::error title=pwned::owned %250A\n");
  });
});

describe("--report and --junit onto what is not a plain file of their own", () => {
  const TASKS = `export function ok() {}\n`;

  it("write through a symlink: the link stays, its target gets the report", async () => {
    const dir = project({ "tasks.ts": TASKS, "real.json": "" });
    symlinkSync(join(dir, "real.json"), join(dir, "link.json"));
    const run = await runRunner(["--report", "link.json", "ok"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(lstatSync(join(dir, "link.json")).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, "real.json"), "utf8"))).toMatchObject({ exitCode: 0 });
  });

  it("write through a hard link: every name of the file shows the report", async () => {
    const dir = project({ "tasks.ts": TASKS, "one.xml": "" });
    linkSync(join(dir, "one.xml"), join(dir, "two.xml"));
    const run = await runRunner(["--junit", "one.xml", "ok"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "two.xml"), "utf8")).toContain("<testsuites");
    expect(statSync(join(dir, "one.xml")).ino).toBe(statSync(join(dir, "two.xml")).ino);
  });

  it("write to /dev/stdout, and leave a device node a device node", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runRunner(["--report", "/dev/stdout", "ok"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toMatchObject({ exitCode: 0 });
    // A device of the test's own (as root; /dev/null itself is not put at risk).
    if (process.getuid?.() === 0 && spawnSync("mknod", [join(dir, "null"), "c", "1", "3"]).status === 0) {
      const device = await runRunner(["--report", "null", "--junit", "null", "ok"], { cwd: dir });
      expect(device.code).toBe(0);
      expect(statSync(join(dir, "null")).isCharacterDevice()).toBe(true);
    }
  });

  it("write a FIFO's reader the report, not a file in the FIFO's place", () => {
    const dir = project({ "tasks.ts": TASKS });
    expect(spawnSync("mkfifo", [join(dir, "pipe")]).status).toBe(0);
    const run = shell(dir, 'cat pipe > got & eval "$RUNNER --report pipe ok"; wait');
    expect(run.status).toBe(0);
    expect(lstatSync(join(dir, "pipe")).isFIFO()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, "got"), "utf8"))).toMatchObject({ exitCode: 0 });
  });

  it("replace a plain file atomically, through a random temporary name, leaving nothing behind", async () => {
    const dir = project({ "tasks.ts": TASKS, "run.json": "old" });
    // A link planted under the old, predictable temporary name must not be followed.
    writeFileSync(join(dir, "victim"), "keep");
    symlinkSync(join(dir, "victim"), join(dir, `.run.json.${process.pid + 1}.tmp`));
    const run = await runRunner(["--report", "run.json", "ok"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "victim"), "utf8")).toBe("keep");
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8"))).toMatchObject({ exitCode: 0 });
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp") && !name.includes(String(process.pid + 1)))).toEqual(
      [],
    );
  });
});

/** `runner <args>` through sh, so that the test can redirect and pipe it as a user would. */
function shell(
  dir: string,
  script: string,
  timeoutMs = 20_000,
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("sh", ["-c", script], {
    cwd: dir,
    encoding: "utf8",
    timeout: timeoutMs,
    env: {
      ...process.env,
      RUNNER: `${JSON.stringify(process.execPath)} ${JSON.stringify(runnerBin)}`,
      RUNNER_CACHE_DIR: join(dir, ".cache"),
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("runner's own output going nowhere", () => {
  const dir = project({
    "tasks.ts": `import { writeFileSync } from "node:fs";
export function flood() {
  for (let i = 0; i < 100000; i++) console.log("line", i);
}
export async function slow() {
  for (let i = 0; i < 50000; i++) console.log("line", i);
}
export function marker() {
  writeFileSync("marker", "ran");
}
`,
  });

  it("`runner flood | head -1` ends at once, with the task's own status", () => {
    // A runner that spins on is killed by the time limit, and the status is then null.
    const run = shell(dir, 'eval "$RUNNER flood" | head -1');
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith("line 0\n")).toBe(true);
  });

  it("a slow reader costs no listener per console.log, and no warning", () => {
    const run = shell(dir, 'eval "$RUNNER slow" | (sleep 1; cat > /dev/null)');
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
  });

  it("a full disk on stdout is one line, the later tasks still run, and the run does not pass", () => {
    const run = shell(dir, 'rm -f marker; eval "$RUNNER flood marker" > /dev/full');
    expect(run.stderr.split("\n").filter((line) => line.startsWith("runner:"))).toEqual([
      "runner: could not write to stdout (ENOSPC); what followed was lost.",
    ]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(readFileSync(join(dir, "marker"), "utf8")).toBe("ran");
    expect(run.status).toBe(2);
  });
});

describe("tasks and config files that hold strange values", () => {
  const oneLine = (run: { stderr: string; stdout: string; code: number | null }, code = 2): void => {
    expect(run.stderr.split("\n").filter((line) => line !== "")).toHaveLength(1);
    expect(run.stderr).not.toContain("internal error");
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.code).toBe(code);
  };

  it.each([
    ["a namespace whose getter throws", `export const docs = { get build() { throw new Error("no"); } };\n`],
    [
      "a Proxy export whose traps throw",
      `export const docs = new Proxy({}, { getPrototypeOf() { throw new Error("trap"); } });\n`,
    ],
    [
      "an option default that is a BigInt",
      `import { task } from "runner-ts";\nexport const t = task({ options: { n: { type: "number", default: 10n as unknown as number } }, run: () => {} });\n`,
    ],
    [
      "an option type that is a cycle",
      `import { task } from "runner-ts";\nconst c: Record<string, unknown> = {}; c.c = c;\nexport const t = task({ options: { n: { type: c as unknown as "string" } }, run: () => {} });\n`,
    ],
  ])("%s: one line, exit 2", async (_what, source) => {
    const dir = project({ "tasks.ts": `export function ok() {}\n${source}` });
    oneLine(await runRunner(["ok"], { cwd: dir }));
  });

  it("a chain of 20,000 deps loads and plans (no recursion to overflow)", async () => {
    const lines = ['import { task } from "runner-ts";', "export const t0 = task({ run: () => {} });"];
    for (let i = 1; i <= 20_000; i++) lines.push(`export const t${i} = task({ deps: [t${i - 1}], run: () => {} });`);
    const dir = project({ "tasks.ts": `${lines.join("\n")}\n` });
    const run = await runRunner(["--plan", "t20000"], { cwd: dir, timeoutMs: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n")).toHaveLength(20_002);
    expect(run.code).toBe(0);
  }, 60_000);

  it.each([
    ["a BigInt", "runner.config.ts", `export default { jobs: 10n };\n`],
    ["a getter that throws", "runner.config.ts", `export default { get jobs() { throw new Error("no"); } };\n`],
    ["a cycle", "runner.config.mjs", `const c = {}; c.c = c;\nexport default { env: c };\n`],
    ["a 10,000-character value", ".runnerrc.json", `{ "jobs": "${"x".repeat(10_000)}" }`],
  ])("a config file holding %s (%s): one short line, exit 2", async (_what, name, source) => {
    const dir = project({ "tasks.ts": `export function ok() {}\n`, [name]: source });
    const run = await runRunner(["ok"], { cwd: dir });
    oneLine(run);
    expect(run.stderr.length).toBeLessThan(400);
  });

  it("a YAML alias bomb in .runnerrc.yaml is one line at once, not minutes and gigabytes", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    levels.push("jobs: *i");
    const dir = project({ "tasks.ts": `export function ok() {}\n`, ".runnerrc.yaml": `${levels.join("\n")}\n` });
    const run = await runRunner(["ok"], { cwd: dir, timeoutMs: 20_000 });
    expect(run.signal).toBeNull();
    oneLine(run);
  });
});
