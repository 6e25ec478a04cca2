// Finding the tasks file (SPEC §1): upward from the start directory, first directory that
// holds a candidate wins, candidates in a fixed order; --file and --cwd; where commands run.
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const CANDIDATES = [
  "tasks.ts",
  "tasks.mts",
  "tasks.js",
  "tasks.mjs",
  "tasks/index.ts",
  "tasks/index.mts",
  "tasks/index.js",
  "tasks/index.mjs",
];

/** A tasks file whose `which` task prints a label, so a run shows which file was loaded. */
function which(label: string): string {
  return `export function which() {\n  console.log(${JSON.stringify(label)});\n}\n`;
}

/** A task that prints the directory its commands run in (the real path, as the OS reports it). */
const PRINT_CWD = `export async function where(ctx) {\n  await ctx.run(\`"\${process.execPath}" -e "console.log(process.cwd())"\`);\n}\n`;

describe("-f or -C after a task name where no tasks file is found", () => {
  it("says the option came too late, not that there is no tasks file", async () => {
    const dir = project({ "ci/tasks.ts": "export function hello() {}\n" });
    for (const [args, option] of [
      [["hello", "-f", "ci/tasks.ts"], "--file"],
      [["hello", "--file=ci/tasks.ts"], "--file"],
      [["hello", "-C", "ci"], "--cwd"],
    ] as const) {
      const run = await runInProcess(args, { cwd: dir });
      expect([run.code, run.stdout, run.stderr]).toEqual([
        2,
        "",
        `Option ${option} must come before the first task name.\n`,
      ]);
    }
  });
});

describe("discovery order", () => {
  // Each case holds its candidate and every candidate after it: the candidate must win.
  it.each(CANDIDATES.map((name, index) => [name, CANDIDATES.slice(index)] as const))(
    "picks %s over every later candidate in the same directory",
    async (expected, present) => {
      const dir = project(Object.fromEntries(present.map((name) => [name, which(name)])));
      const run = await runInProcess(["which"], { cwd: dir });
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe(`${expected}\n`);
      expect(run.code).toBe(0);
    },
  );

  it("prefers the nearest directory, even over a better-ranked name further up", async () => {
    const root = project({
      "tasks.ts": which("outer tasks.ts"),
      "inner/tasks/index.mjs": which("inner tasks/index.mjs"),
    });
    mkdirSync(join(root, "inner", "deep"));
    const run = await runInProcess(["which"], { cwd: join(root, "inner", "deep") });
    expect(run.stdout).toBe("inner tasks/index.mjs\n");
    expect(run.code).toBe(0);
  });

  it("finds the tasks file from a nested subdirectory and says which file it loaded with -v", async () => {
    const root = project({ "tasks.ts": which("root") });
    const deep = join(root, "a", "b", "c");
    mkdirSync(deep, { recursive: true });
    const run = await runInProcess(["-v", "which"], { cwd: deep });
    expect(run.stdout).toBe("root\n");
    expect(run.stderr).toBe(`runner: tasks from ${join(realpathSync(root), "tasks.ts")} (transpiled)\n`);
    expect(run.code).toBe(0);
  });

  it("skips a tasks/ directory with no index file and keeps looking upward", async () => {
    const root = project({ "tasks.ts": which("root"), "sub/tasks/helper.ts": "export const x = 1;\n" });
    const run = await runInProcess(["which"], { cwd: join(root, "sub") });
    expect(run.stdout).toBe("root\n");
    expect(run.code).toBe(0);
  });

  it("says where it looked when no tasks file exists, exit 2", async () => {
    const dir = project({ "notes.txt": "no tasks here\n" });
    const run = await runInProcess(["build"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `No tasks file found in ${realpathSync(dir)} or any parent directory (looked for ${CANDIDATES.join(", ")}). Create tasks.ts or pass --file.\n`,
    );
    expect(run.code).toBe(2);
  });
});

describe("--file and --cwd", () => {
  it("-f names the tasks file, whatever its name, instead of the one discovery would find", async () => {
    const dir = project({ "tasks.ts": which("discovered"), "ci/pipeline.ts": which("named by -f") });
    for (const args of [["-f", "ci/pipeline.ts"], ["--file", "ci/pipeline.ts"], ["--file=ci/pipeline.ts"]]) {
      const run = await runInProcess([...args, "which"], { cwd: dir });
      expect(run.stdout, args.join(" ")).toBe("named by -f\n");
      expect(run.code).toBe(0);
    }
  });

  it("-f resolves an absolute path and runs commands from that file's directory", async () => {
    const dir = project({ "elsewhere/custom.ts": PRINT_CWD });
    const other = project();
    const run = await runInProcess(["-f", join(dir, "elsewhere", "custom.ts"), "where"], { cwd: other });
    expect(run.stdout).toBe(`${realpathSync(join(dir, "elsewhere"))}\n`);
    expect(run.code).toBe(0);
  });

  it("a --file that does not exist is a one-line error, exit 2", async () => {
    const dir = project({ "tasks.ts": which("discovered") });
    const run = await runInProcess(["--file", "missing.ts", "which"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`Tasks file ${join(realpathSync(dir), "missing.ts")} (from --file) does not exist.\n`);
    expect(run.code).toBe(2);
  });

  it("a --file that names a directory says it is not a file, exit 2", async () => {
    const dir = project({ "sub/tasks.ts": which("sub") });
    const run = await runInProcess(["-f", "sub", "which"], { cwd: dir });
    expect(run.stderr).toBe(`Tasks file ${join(realpathSync(dir), "sub")} (from --file) is not a file.\n`);
    expect(run.code).toBe(2);
  });

  it("-C / --cwd starts the search in another directory, relative or absolute", async () => {
    const root = project({ "app/tasks.ts": which("app"), "tasks.ts": which("root") });
    mkdirSync(join(root, "app", "src"));
    const here = await runInProcess(["which"], { cwd: root });
    expect(here.stdout).toBe("root\n");
    for (const args of [["-C", "app"], ["--cwd", "app/src"], [`--cwd=${join(root, "app")}`]]) {
      const run = await runInProcess([...args, "which"], { cwd: root });
      expect(run.stdout, args.join(" ")).toBe("app\n");
      expect(run.code).toBe(0);
    }
  });

  it("-C to a directory that does not exist is a one-line error, exit 2", async () => {
    const dir = project({ "tasks.ts": which("root") });
    const run = await runInProcess(["-C", "nowhere", "which"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`Directory ${join(realpathSync(dir), "nowhere")} (from --cwd) does not exist.\n`);
    expect(run.code).toBe(2);
  });

  it("-C to a directory with no tasks file names that directory in the error", async () => {
    const dir = project({ "tasks.ts": which("root") });
    const empty = project();
    const run = await runInProcess(["-C", empty, "which"], { cwd: dir });
    expect(run.stderr).toMatch(
      new RegExp(`^No tasks file found in ${escapeRegExp(realpathSync(empty))} or any parent directory \\(`),
    );
    expect(run.stderr.split("\n")).toHaveLength(2);
    expect(run.code).toBe(2);
  });

  it.each([["-f"], ["--file"], ["-C"], ["--cwd"]])(
    "%s after a task name is an error, exit 2, nothing run",
    async (flag) => {
      const dir = project({ "tasks.ts": which("ran"), "other.ts": which("other") });
      const run = await runInProcess(["which", flag, flag.toLowerCase().includes("f") ? "other.ts" : "."], {
        cwd: dir,
      });
      const long = flag.startsWith("--") ? flag : flag === "-f" ? "--file" : "--cwd";
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`Option ${long} must come before the first task name.\n`);
      expect(run.code).toBe(2);
    },
  );
});

describe("where commands run", () => {
  it("runs commands from the tasks file's directory when started from a subdirectory", async () => {
    const root = project({ "tasks.ts": PRINT_CWD });
    const deep = join(root, "packages", "one");
    mkdirSync(deep, { recursive: true });
    const run = await runInProcess(["where"], { cwd: deep });
    expect(run.stdout).toBe(`${realpathSync(root)}\n`);
    expect(run.code).toBe(0);
  });

  it("for tasks/index.ts, runs commands from the directory that holds tasks/", async () => {
    const root = project({ "tasks/index.ts": PRINT_CWD });
    mkdirSync(join(root, "src"));
    for (const cwd of [root, join(root, "tasks"), join(root, "src")]) {
      const run = await runInProcess(["where"], { cwd });
      expect(run.stdout, cwd).toBe(`${realpathSync(root)}\n`);
      expect(run.code).toBe(0);
    }
  });

  it("with -C, runs commands from the tasks file's directory, not the -C directory", async () => {
    const root = project({ "tasks.ts": PRINT_CWD });
    mkdirSync(join(root, "sub"));
    const other = project();
    const run = await runInProcess(["-C", join(root, "sub"), "where"], { cwd: other });
    expect(run.stdout).toBe(`${realpathSync(root)}\n`);
    expect(run.code).toBe(0);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
