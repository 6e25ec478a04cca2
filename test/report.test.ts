// --report (JSON) and --junit (XML), SPEC §5: written after every run — passed, failed or
// interrupted — atomically, into directories created as needed; an unwritable path is one
// line on stderr. The JUnit file is read back by a real XML parser (python3's ElementTree).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, repoRoot, runRunner } from "./helpers.ts";
import { runInProcess } from "./world.ts";
import { spawnRunner } from "./process-helpers.ts";

const TASKS = `import { task } from "runner-ts";
export const ok = task({
  options: { word: { type: "string", default: "hi" }, times: { type: "number", default: 1 } },
  run: (ctx, o) => ctx.run(\`echo ok \${o.word}\`),
});
export const fail3 = task({ run: (ctx) => ctx.run("echo failing; exit 3") });
export const needsFail = task({ deps: [fail3], run: () => {} });
export const killed = task({ run: (ctx) => ctx.run("kill -9 $$") });
export const slow = task({ timeout: "300ms", run: (ctx) => ctx.run("sleep 30") });
export function boom() {
  throw new Error("kaboom");
}
export const flaky = task({
  retries: 2,
  run: (ctx) => ctx.run("test -e tried || { touch tried; echo first try; exit 7; }; echo second try"),
});
export const chatty = task({ run: (ctx) => ctx.run("seq 1 150") });
export const long = task({ run: (ctx) => ctx.run("echo started; sleep 30") });
export const nasty = task({
  options: { label: { type: "string", default: "plain" } },
  run: (ctx) => ctx.run("sh nasty.sh"),
});
`;

// Markup, quotes, a CDATA end, colour codes, a control character (U+0001) and a tab.
const NASTY = [
  `printf '<&>"%s\\n' "'"`,
  `printf ']]> end\\n'`,
  `printf '\\033[31mred\\033[0m\\001\\tx\\n'`,
  `exit 2`,
  ``,
].join("\n");

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Reads a report, checks every time field's type and format, and puts `<ms>` / `<iso>`
 * in their place so the rest can be compared exactly.
 */
function readReport(path: string): unknown {
  const report = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const times = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(times);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        if (key === "durationMs") {
          expect(Number.isInteger(inner) && (inner as number) >= 0).toBe(true);
          return [key, "<ms>"];
        }
        if (key === "startedAt" && inner !== null) {
          expect(inner).toMatch(ISO);
          return [key, "<iso>"];
        }
        // Resource figures (stats.test.ts measures them): whole numbers that add up.
        if (key === "stats" && process.platform === "linux") {
          const { cpuMs, userCpuMs, systemCpuMs, peakRssBytes } = inner as Record<string, number>;
          for (const figure of [cpuMs, userCpuMs, systemCpuMs, peakRssBytes]) {
            expect(Number.isInteger(figure) && (figure ?? -1) >= 0).toBe(true);
          }
          expect(cpuMs).toBe((userCpuMs ?? 0) + (systemCpuMs ?? 0));
          return [key, "<stats>"];
        }
        return [key, key === "options" ? inner : times(inner)];
      }),
    );
  };
  return times(report);
}

/** Every task that started, and every command, has resource figures in a report (on Linux). */
const STATS = process.platform === "linux" ? { stats: "<stats>" } : {};

const VERSION = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

function passed(name: string, options: Record<string, unknown>, commands: unknown[], outputTail: string): unknown {
  return {
    name,
    options,
    status: "passed",
    exitCode: 0,
    signal: null,
    message: null,
    startedAt: "<iso>",
    durationMs: "<ms>",
    attempts: [{ status: "passed", exitCode: 0, message: null, durationMs: "<ms>" }],
    commands,
    outputTail,
    ...STATS,
  };
}

function failed(
  name: string,
  fields: { exitCode: number; signal?: string; message: string; commands: unknown[]; outputTail: string },
): unknown {
  return {
    name,
    options: {},
    status: "failed",
    exitCode: fields.exitCode,
    signal: fields.signal ?? null,
    message: fields.message,
    startedAt: "<iso>",
    durationMs: "<ms>",
    attempts: [{ status: "failed", exitCode: fields.exitCode, message: fields.message, durationMs: "<ms>" }],
    commands: fields.commands,
    outputTail: fields.outputTail,
    ...STATS,
  };
}

function skipped(name: string, message: string, options: Record<string, unknown> = {}): unknown {
  return {
    name,
    options,
    status: "skipped",
    exitCode: null,
    signal: null,
    message,
    startedAt: null,
    durationMs: "<ms>",
    attempts: [],
    commands: [],
    outputTail: "",
  };
}

const cmd = (command: string, exitCode: number | null, signal: string | null = null): unknown => ({
  command,
  exitCode,
  signal,
  durationMs: "<ms>",
  ...STATS,
});

describe("--report", () => {
  it("describes a run that passed: every task with its options, attempts, commands and output", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["--report", "run.json", "ok", "ok", "--word", "x"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readReport(join(dir, "run.json"))).toEqual({
      version: 1,
      runner: VERSION,
      startedAt: "<iso>",
      durationMs: "<ms>",
      exitCode: 0,
      tasks: [
        passed("ok", { word: "hi", times: 1 }, [cmd("echo ok hi", 0)], "ok hi\n"),
        passed("ok", { word: "x", times: 1 }, [cmd("echo ok x", 0)], "ok x\n"),
      ],
    });
  });

  it("describes a failed run: exit codes, the killing signal, errors, skipped tasks; nothing else changes", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const args = ["-k", "ok", "needs-fail", "killed", "boom"];
    const plain = await runInProcess(args, { cwd: dir });
    const run = await runInProcess(["--report", "run.json", ...args], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe(plain.stdout);
    expect(normalize(run.stderr)).toBe(normalize(plain.stderr));
    expect(readReport(join(dir, "run.json"))).toEqual({
      version: 1,
      runner: VERSION,
      startedAt: "<iso>",
      durationMs: "<ms>",
      exitCode: 3,
      tasks: [
        passed("ok", { word: "hi", times: 1 }, [cmd("echo ok hi", 0)], "ok hi\n"),
        failed("fail3", {
          exitCode: 3,
          message: "Command failed with exit code 3: echo failing; exit 3",
          commands: [cmd("echo failing; exit 3", 3)],
          outputTail: "failing\n",
        }),
        skipped("needs-fail", "it depends on fail3"),
        failed("killed", {
          exitCode: 137,
          signal: "SIGKILL",
          message: "Command was killed with SIGKILL: kill -9 $$",
          commands: [cmd("kill -9 $$", null, "SIGKILL")],
          outputTail: "",
        }),
        failed("boom", { exitCode: 1, message: "kaboom", commands: [], outputTail: "" }),
      ],
    });
  });

  it("gives a timed-out task exit code 124 and no signal (runner sent it), and skips what came after", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["--report", "run.json", "slow", "ok"], { cwd: dir });
    expect(run.code).toBe(124);
    const report = readReport(join(dir, "run.json")) as { exitCode: number; tasks: unknown[] };
    expect(report.exitCode).toBe(124);
    expect(report.tasks).toEqual([
      {
        name: "slow",
        options: {},
        status: "timed-out",
        exitCode: 124,
        signal: null,
        message: "Task timed out after 300 ms",
        startedAt: "<iso>",
        durationMs: "<ms>",
        attempts: [{ status: "timed-out", exitCode: 124, message: "Task timed out after 300 ms", durationMs: "<ms>" }],
        commands: [cmd("sleep 30", null, "SIGTERM")],
        outputTail: "",
        ...STATS,
      },
      skipped("ok", "an earlier task failed", { word: "hi", times: 1 }),
    ]);
  });

  it("shows every attempt of a task that was retried, and the commands and output of all of them", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["--report", "run.json", "flaky"], { cwd: dir });
    expect(run.code).toBe(0);
    const command = "test -e tried || { touch tried; echo first try; exit 7; }; echo second try";
    const report = readReport(join(dir, "run.json")) as { tasks: unknown[] };
    expect(report.tasks).toEqual([
      {
        ...(passed("flaky", {}, [cmd(command, 7), cmd(command, 0)], "first try\nsecond try\n") as object),
        attempts: [
          { status: "failed", exitCode: 7, message: `Command failed with exit code 7: ${command}`, durationMs: "<ms>" },
          { status: "passed", exitCode: 0, message: null, durationMs: "<ms>" },
        ],
      },
    ]);
  });

  it("keeps the last 100 lines of a task's output", async () => {
    const dir = project({ "tasks.ts": TASKS });
    await runInProcess(["--report", "run.json", "chatty"], { cwd: dir });
    const report = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { tasks: { outputTail: string }[] };
    const lines = Array.from({ length: 100 }, (_, index) => `${index + 51}\n`).join("");
    expect(report.tasks[0]?.outputTail).toBe(lines);
  });

  it("is written when the run is interrupted: the running task cancelled, the rest skipped, exit code 130", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const child = spawnRunner(["--report", "run.json", "--junit", "results.xml", "long", "ok"], dir);
    let stdout = "";
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    child.stderr.resume();
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (text: string) => {
        stdout += text;
        if (stdout.includes("started")) resolve();
      });
    });
    child.kill("SIGINT");
    expect(await closed).toBe(130);
    const report = readReport(join(dir, "run.json")) as { exitCode: number; tasks: unknown[] };
    expect(report.exitCode).toBe(130);
    expect(report.tasks).toEqual([
      {
        name: "long",
        options: {},
        status: "cancelled",
        exitCode: null,
        signal: null,
        message: null,
        startedAt: "<iso>",
        durationMs: "<ms>",
        attempts: [{ status: "cancelled", exitCode: null, message: null, durationMs: "<ms>" }],
        // Stopped by runner: no exit code. (Which signal ended it is context.ts's r.signal.)
        commands: [
          {
            command: "echo started; sleep 30",
            exitCode: null,
            signal: expect.any(String),
            durationMs: "<ms>",
            ...STATS,
          },
        ],
        outputTail: "started\n",
        ...STATS,
      },
      skipped("ok", "the run was interrupted", { word: "hi", times: 1 }),
    ]);
    const suite = parseXml(join(dir, "results.xml")).children[0]!;
    expect(suite.attrib).toMatchObject({ tests: "2", failures: "0", skipped: "2" });
    expect(suite.children.map((testcase) => testcase.children[0])).toEqual([
      { tag: "skipped", attrib: { message: "cancelled" }, text: "", children: [] },
      { tag: "skipped", attrib: { message: "the run was interrupted" }, text: "", children: [] },
    ]);
  });

  it("creates missing directories, leaves no temporary file, and replaces an old report", async () => {
    const dir = project({ "tasks.ts": TASKS, "out/run.json": "not json, from an older run" });
    const first = await runInProcess(["--report", "reports/deep/run.json", "--report", "out/run.json", "ok"], {
      cwd: dir,
    });
    expect(first.code).toBe(0);
    // The last --report wins, as for every option that takes one value.
    expect(existsSync(join(dir, "reports"))).toBe(false);
    expect(readdirSync(join(dir, "out"))).toEqual(["run.json"]);
    expect((readReport(join(dir, "out", "run.json")) as { exitCode: number }).exitCode).toBe(0);

    const nested = await runInProcess(["--report", "reports/deep/run.json", "ok"], { cwd: dir });
    expect(nested.code).toBe(0);
    expect(readdirSync(join(dir, "reports", "deep"))).toEqual(["run.json"]);
  });

  it("is relative to where runner was started, not to -C", async () => {
    const dir = project({ "proj/tasks.ts": TASKS });
    const run = await runInProcess(["-C", "proj", "--report", "run.json", "ok"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, "run.json"))).toBe(true);
    expect(existsSync(join(dir, "proj", "run.json"))).toBe(false);
  });

  it("records commands of a dry run as run with exit code 0", async () => {
    const dir = project({ "tasks.ts": TASKS });
    await runInProcess(["-n", "--report", "run.json", "fail3"], { cwd: dir });
    const report = readReport(join(dir, "run.json")) as { tasks: { commands: unknown; status: string }[] };
    // A command that was not run has no figures; the task has (zeros).
    const { stats: _none, ...dry } = cmd("echo failing; exit 3", 0) as Record<string, unknown>;
    expect(report.tasks[0]).toMatchObject({ status: "passed", commands: [dry], ...STATS });
    expect(report.tasks[0]?.commands).toEqual([dry]);
  });

  it("is not written when nothing runs: --list, --plan, bad input", async () => {
    const dir = project({ "tasks.ts": TASKS });
    expect((await runInProcess(["--report", "run.json", "--list"], { cwd: dir })).code).toBe(0);
    expect((await runInProcess(["--report", "run.json", "--plan", "ok"], { cwd: dir })).code).toBe(0);
    expect((await runInProcess(["--report", "run.json", "nope"], { cwd: dir })).code).toBe(2);
    expect(existsSync(join(dir, "run.json"))).toBe(false);
  });
});

describe("a file that cannot be written", () => {
  it("is one line naming it; a run that passed then exits 2, and the other file is still written", async () => {
    const dir = project({ "tasks.ts": TASKS });
    mkdirSync(join(dir, "taken"));
    const run = await runInProcess(["--report", "taken", "--junit", "results.xml", "ok"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("ok hi\n");
    expect(run.stderr).toBe("Could not write the report taken: it is a directory.\n");
    expect(readdirSync(dir).sort()).toEqual(["results.xml", "taken", "tasks.ts"]);
    expect(readdirSync(join(dir, "taken"))).toEqual([]);
  });

  it("is one line, not a hang, where no directory can be made (procfs, where Node's recursive mkdir never returns)", async () => {
    const dir = project({ "tasks.ts": TASKS });
    // The real CLI, killed if it hangs.
    const run = await runRunner(["--report", "/proc/no-such-dir/run.json", "ok"], { cwd: dir, timeoutMs: 15_000 });
    expect([run.signal, run.code]).toEqual([null, 2]);
    expect(run.stderr).toMatch(/^Could not write the report \/proc\/no-such-dir\/run\.json: .+\.\n$/);
  });

  it("keeps the exit status of a run that failed", async () => {
    const dir = project({ "tasks.ts": TASKS, "file.txt": "" });
    const run = await runInProcess(["--junit", "file.txt/results.xml", "fail3"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(
      run.stderr.endsWith(
        "\nCould not write the JUnit file file.txt/results.xml: a part of its path is a file, not a directory.\n",
      ),
    ).toBe(true);
  });
});

/** An element as python3's ElementTree read it (text only where it is not indentation). */
interface XmlElement {
  readonly tag: string;
  readonly attrib: Readonly<Record<string, string>>;
  readonly text: string;
  readonly children: readonly XmlElement[];
}

const PARSE = `
import json, sys, xml.etree.ElementTree as ET
def tree(e):
    children = [tree(c) for c in e]
    return {"tag": e.tag, "attrib": e.attrib, "text": "" if children else (e.text or ""), "children": children}
print(json.dumps(tree(ET.parse(sys.argv[1]).getroot())))
`;

/** Parses with a real, strict XML parser: anything malformed fails the test. */
function parseXml(path: string): XmlElement {
  const parsed = spawnSync("python3", ["-c", PARSE, path], { encoding: "utf8" });
  expect(parsed.stderr).toBe("");
  expect(parsed.status).toBe(0);
  return JSON.parse(parsed.stdout) as XmlElement;
}

/** `time` attributes are seconds with three decimals; replaced by `<s>` for comparison. */
function withoutTimes(element: XmlElement): XmlElement {
  const attrib = { ...element.attrib };
  if (attrib.time !== undefined) {
    expect(attrib.time).toMatch(/^\d+\.\d{3}$/);
    attrib.time = "<s>";
  }
  if (attrib.timestamp !== undefined) {
    expect(attrib.timestamp).toMatch(ISO);
    attrib.timestamp = "<iso>";
  }
  return { ...element, attrib, children: element.children.map(withoutTimes) };
}

describe("--junit", () => {
  it("writes one testsuite with a testcase per task: failures with their error and output, skips", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["--junit", "out/results.xml", "-k", "ok", "needs-fail", "slow", "boom"], {
      cwd: dir,
    });
    expect(run.code).toBe(3);
    const totals = { tests: "5", failures: "3", errors: "0", skipped: "1", time: "<s>" };
    const testcase = (name: string, children: XmlElement[] = []): XmlElement => ({
      tag: "testcase",
      attrib: { name, classname: "tasks.ts", time: "<s>" },
      text: "",
      children,
    });
    const failure = (type: string, message: string, text: string): XmlElement => ({
      tag: "failure",
      attrib: { message, type },
      text,
      children: [],
    });
    expect(withoutTimes(parseXml(join(dir, "out", "results.xml")))).toEqual({
      tag: "testsuites",
      attrib: { name: "runner", ...totals },
      text: "",
      children: [
        {
          tag: "testsuite",
          attrib: { name: "runner", ...totals, timestamp: "<iso>" },
          text: "",
          children: [
            testcase("ok"),
            testcase("fail3", [
              failure(
                "failed",
                "Command failed with exit code 3: echo failing; exit 3",
                "Command failed with exit code 3: echo failing; exit 3\n\nfailing\n",
              ),
            ]),
            testcase("needs-fail", [
              { tag: "skipped", attrib: { message: "it depends on fail3" }, text: "", children: [] },
            ]),
            testcase("slow", [failure("timed-out", "Task timed out after 300 ms", "Task timed out after 300 ms")]),
            testcase("boom", [failure("failed", "kaboom", "kaboom")]),
          ],
        },
      ],
    });
  });

  it("holds any output: markup, ]]>, escape codes and control characters, in names and messages too", async () => {
    const dir = project({ "tasks.ts": TASKS, "nasty.sh": NASTY });
    const label = `"<a&b>" ]]> \u0007`;
    const run = await runInProcess(["--junit", "results.xml", "nasty", "--label", label], { cwd: dir });
    expect(run.code).toBe(2);
    const testcase = parseXml(join(dir, "results.xml")).children[0]!.children[0]!;
    // The bell (U+0007) cannot be in XML 1.0: it is dropped, the rest kept as written.
    expect(testcase.attrib.name).toBe(`nasty --label "<a&b>" ]]> `);
    const failure = testcase.children[0]!;
    expect(failure.attrib.message).toBe("Command failed with exit code 2: sh nasty.sh");
    expect(failure.text).toBe(`Command failed with exit code 2: sh nasty.sh\n\n<&>"'\n]]> end\nred\tx\n`);
  });
});
