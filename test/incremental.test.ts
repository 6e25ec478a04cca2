// Up-to-date checks (SPEC §10) through the real CLI, on real files: a task with `sources`
// is skipped as "up to date" while nothing in its fingerprint changed since its last
// successful run — its source files' contents, its options, its own code, its `env`
// variables, its deps — and its outputs are there. Whether a task's code ran is told by a
// log it appends to, never by timing.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { cleanEnv, project, runnerBin, runRunner, writeFiles, type RunResult } from "./helpers.ts";
import { spawnRunner } from "./process-helpers.ts";

const TASKS = `import { task } from "runner-ts";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
const log = (name: string) => {
  mkdirSync("logs", { recursive: true });
  appendFileSync("logs/ran.log", name + "\\n");
};
export const gen = task({ sources: ["gen/**"], run: () => log("gen") });
export const all = task({ deps: [gen] });
export const build = task({
  deps: [all],
  sources: ["src/**", "!src/**/*.skip"],
  outputs: ["dist/**"],
  env: ["MODE"],
  options: { level: { type: "number", default: 1 } },
  run: () => {
    log("build");
    mkdirSync("dist", { recursive: true });
    writeFileSync("dist/out.txt", "made");
    // After its outputs are made: only the missing record can keep it out of date.
    if (existsSync("fail")) throw new Error("told to fail");
  },
});
export const never = task({ sources: ["src/**"], outputs: ["dist/never.txt"], run: () => log("never") });
export const plain = task({ run: () => log("plain") });
export const lint = task({ sources: ["src/**"], run: async (ctx) => {
  log("lint");
  await ctx.run(existsSync("fail") ? "exit 3" : "true");
} });
export const after = task({ deps: [plain], sources: ["src/**"], run: () => log("after") });
export const everything = task({ sources: ["**"], outputs: ["out/**"], run: () => {
  log("everything");
  mkdirSync("out", { recursive: true });
  writeFileSync("out/x.txt", String(Math.random()));
} });
export const modules = task({ sources: ["**/*.txt", "!logs/**"], run: () => log("modules") });
export const named = task({ sources: ["node_modules/pkg/**"], run: () => log("named") });
export const slow = task({
  sources: ["src/**"],
  run: async () => {
    log("slow");
    writeFileSync("started", "");
    while (!existsSync("go")) await new Promise((resolve) => setTimeout(resolve, 20));
  },
});
`;

const FILES = {
  "tasks.ts": TASKS,
  "src/a.txt": "alpha\n",
  "src/lib/b.txt": "beta\n",
  "src/ignored.skip": "skip\n",
  "gen/g.txt": "gen\n",
  "node_modules/pkg/index.txt": "dependency\n",
};

/** A project of its own, with runner's cache inside it (so it is this test's alone). */
function incrementalProject(files: Readonly<Record<string, string>> = {}): { dir: string; cache: string } {
  const dir = project({ ...FILES, ...files });
  return { dir, cache: join(dir, ".cache") };
}

function run(
  dir: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<RunResult> {
  return runRunner(args, { cwd: dir, env: { RUNNER_CACHE_DIR: join(dir, ".cache"), ...env } });
}

/** What task code ran, in order, since the log was last cleared. */
function ran(dir: string): string[] {
  const path = join(dir, "logs", "ran.log");
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  rmSync(path);
  return lines;
}

/** Runs `args`, expecting a pass, and returns what task code ran. */
async function ranBy(dir: string, args: readonly string[], env: Record<string, string | undefined> = {}) {
  const result = await run(dir, args, env);
  expect(result.stderr, result.all).not.toContain("Error");
  expect(result.code, result.all).toBe(0);
  return ran(dir);
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

/**
 * A record file as SPEC-independent bytes (src/incremental/record-file.ts): "RUTD", version,
 * head length, a JSON head, then four float64 stats per file. Read here on its own, so that
 * a change of layout is a change this test sees.
 */
interface RecordFile {
  version: number;
  head: Record<string, unknown> & { task?: string; dirs?: unknown };
  stats: Buffer;
}

function readRecord(path: string): RecordFile {
  const data = readFileSync(path);
  expect(data.toString("latin1", 0, 4)).toBe("RUTD");
  const length = data.readUInt32LE(8);
  const head = JSON.parse(data.toString("utf8", 12, 12 + length)) as RecordFile["head"];
  return { version: data.readUInt32LE(4), head, stats: data.subarray(12 + length) };
}

function recordBytes({ version, head, stats }: RecordFile): Buffer {
  const text = Buffer.from(JSON.stringify(head));
  const padded = text.length + ((8 - ((12 + text.length) % 8)) % 8);
  const prefix = Buffer.alloc(12 + padded, " ");
  prefix.write("RUTD", 0, "latin1");
  prefix.writeUInt32LE(version, 4);
  prefix.writeUInt32LE(padded, 8);
  text.copy(prefix, 12);
  return Buffer.concat([prefix, stats]);
}

describe("up-to-date checks", () => {
  it("skip a task whose fingerprint is as after its last run: its code does not run, it shows 'up to date'", async () => {
    const { dir } = incrementalProject();
    expect(await ranBy(dir, ["build"])).toEqual(["gen", "build"]);
    const second = await run(dir, ["build"]);
    expect(second.code).toBe(0);
    expect(ran(dir)).toEqual([]);
    expect(second.stderr).toContain("✔ gen up to date\n");
    expect(second.stderr).toContain("✔ build up to date\n");
    expect(second.stderr).toContain("✔ all up to date\n");
    expect(second.stderr).toContain("3 tasks: 3 up to date in");
    // Alone, a task still says why it printed nothing; -q drops that line.
    const alone = await run(dir, ["gen"]);
    expect(alone.stderr).toBe("✔ gen up to date\n");
    expect(ran(dir)).toEqual([]);
    expect((await run(dir, ["gen", "-q"])).stderr).toBe("");
  });

  it("re-run a task after an edit, a new source file or a deleted one; excluded files do not count", async () => {
    const { dir } = incrementalProject();
    await ranBy(dir, ["build"]);
    writeFileSync(join(dir, "src/a.txt"), "alpha, edited\n");
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
    writeFileSync(join(dir, "src/lib/new.txt"), "new\n");
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    unlinkSync(join(dir, "src/lib/b.txt"));
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    writeFileSync(join(dir, "src/ignored.skip"), "excluded by !src/**/*.skip\n");
    writeFileSync(join(dir, "src/.hidden"), "dot files count\n");
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("once its files have settled, still see a file added, renamed or removed deep in its sources", async () => {
    // Files and folders changed in the last 2 s are recorded without their stats (racy) and
    // walked and read again at the next check; settled ones are not, and a record whose
    // folders are all as they were takes its list of files as it is. Waiting out those 2 s
    // makes each check below take that shortcut, which must still see every change.
    const settle = () => sleep(2_100);
    const { dir, cache } = incrementalProject({ "src/lib/deep/c.txt": "gamma\n" });
    const settledRecord = (): boolean => {
      const records = filesUnder(join(cache, "up-to-date")).filter((path) => path.endsWith(".rec"));
      const heads = records.map((path) => readRecord(join(cache, "up-to-date", path)).head);
      const dirs = heads.find((head) => head.task === "build")?.dirs as [string, number][] | undefined;
      return dirs !== undefined && dirs.length > 0 && dirs.every((entry) => entry[1] !== -1);
    };
    await settle();
    expect(await ranBy(dir, ["build"])).toEqual(["gen", "build"]);
    // The run made dist/ and logs/: the project folder itself is settled two seconds later.
    await settle();
    expect(await ranBy(dir, ["build"])).toEqual([]);
    expect(settledRecord()).toBe(true);
    expect(await ranBy(dir, ["build"])).toEqual([]);
    writeFileSync(join(dir, "src/lib/deep/new.txt"), "new\n");
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    await settle();
    // Up to date, and its record made settled again.
    expect(await ranBy(dir, ["build"])).toEqual([]);
    expect(settledRecord()).toBe(true);
    renameSync(join(dir, "src/lib/deep/new.txt"), join(dir, "src/lib/deep/renamed.txt"));
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    await settle();
    expect(await ranBy(dir, ["build"])).toEqual([]);
    mkdirSync(join(dir, "src/lib/deep/deeper"));
    writeFileSync(join(dir, "src/lib/deep/deeper/d.txt"), "delta\n");
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    await settle();
    expect(await ranBy(dir, ["build"])).toEqual([]);
    unlinkSync(join(dir, "src/lib/deep/c.txt"));
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("re-run a task after a rename that keeps the number of files and their contents", async () => {
    const { dir } = incrementalProject();
    expect(await ranBy(dir, ["build"])).toEqual(["gen", "build"]);
    // src/lib/b.txt becomes src/lib/a.txt: in the sorted list, the same place and content.
    renameSync(join(dir, "src/lib/b.txt"), join(dir, "src/lib/a.txt"));
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("re-run a task whose outputs are gone, and keep one whose output was never made out of date", async () => {
    const { dir } = incrementalProject();
    await ranBy(dir, ["build"]);
    rmSync(join(dir, "dist"), { recursive: true });
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(existsSync(join(dir, "dist/out.txt"))).toBe(true);
    expect(await ranBy(dir, ["build"])).toEqual([]);
    expect(await ranBy(dir, ["never"])).toEqual(["never"]);
    expect(await ranBy(dir, ["never"])).toEqual(["never"]);
  });

  it("count a folder output (`out/**`, `out/`, `out`) as there only while a file is under it", async () => {
    // Each task makes nothing itself: the test puts its outputs in place, or takes them away.
    const tasks = ["out/**", "out/", "out", "out/*.js"].map(
      (pattern, index) =>
        `export const t${index} = task({ sources: ["src/**"], outputs: [${JSON.stringify(pattern)}], run: () => log("t${index}") });`,
    );
    const { dir } = incrementalProject({ "tasks.ts": `${TASKS}\n${tasks.join("\n")}\n` });
    const names = ["t0", "t1", "t2", "t3"];
    const each = async (): Promise<string[]> => (await ranBy(dir, ["-p", ...names])).sort();
    expect(await each()).toEqual(names);
    // No out/ at all, then an empty one: nothing is there.
    expect(await each()).toEqual(names);
    mkdirSync(join(dir, "out/deep"), { recursive: true });
    expect(await each()).toEqual(names);
    // A file deep down, and a dot file, count for the folder; only a .js directly in it for `out/*.js`.
    writeFileSync(join(dir, "out/deep/.made"), "x");
    expect(await each()).toEqual(["t3"]);
    writeFileSync(join(dir, "out/app.js"), "x");
    expect(await each()).toEqual([]);
    // What is under node_modules is nobody's output unless named.
    rmSync(join(dir, "out"), { recursive: true });
    mkdirSync(join(dir, "out/node_modules"), { recursive: true });
    writeFileSync(join(dir, "out/node_modules/x.txt"), "x");
    expect(await each()).toEqual(names);
  });

  it("re-run a task with other option values, or another value of a variable in its env", async () => {
    const { dir } = incrementalProject();
    await ranBy(dir, ["build"]);
    expect(await ranBy(dir, ["build", "--level", "2"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build", "--level", "2"])).toEqual([]);
    // One record per task: back to the old values is a change again (their outputs were made over).
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"], { MODE: "production" })).toEqual(["build"]);
    expect(await ranBy(dir, ["build"], { MODE: "production" })).toEqual([]);
    expect(await ranBy(dir, ["build"], { MODE: "" })).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    // A variable the task does not list changes nothing.
    expect(await ranBy(dir, ["build"], { OTHER: "x" })).toEqual([]);
  });

  it("re-run a task after an edit that keeps the file's size and mtime (its ctime tells)", async () => {
    const { dir } = incrementalProject();
    const file = join(dir, "src/a.txt");
    // A whole second, which utimes can set back exactly.
    const then = Math.floor(Date.now() / 1000) - 3600;
    utimesSync(file, then, then);
    // Files changed within 2 s of a check are read again at the next one whatever their stat says:
    // wait until this one is older, so that only its stat can tell of the edit below.
    await sleep(2100);
    await ranBy(dir, ["build"]);
    const before = statSync(file);
    writeFileSync(file, "ALPHA\n");
    utimesSync(file, then, then);
    const after = statSync(file);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("re-run every task once the tasks' code changed, even where its own `run` did not; not for a comment", async () => {
    const { dir } = incrementalProject({ "helper.ts": 'export const flags = "-O1";\n' });
    const withHelper = TASKS.replace(
      'export const gen = task({ sources: ["gen/**"], run: () => log("gen") });',
      'import { flags } from "./helper.ts";\nexport const gen = task({ sources: ["gen/**"], run: () => log("gen " + flags) });',
    );
    writeFiles(dir, { "tasks.ts": withHelper });
    expect(await ranBy(dir, ["build"])).toEqual(["gen -O1", "build"]);
    // A comment is not code (the bundle has none).
    writeFiles(dir, { "tasks.ts": withHelper.replace('log("build");', 'log("build"); // a comment') });
    expect(await ranBy(dir, ["build"])).toEqual([]);
    // A value that gen's run reads, in a file the tasks file imports: its text is the same.
    writeFiles(dir, { "helper.ts": 'export const flags = "-O2";\n' });
    expect(await ranBy(dir, ["build"])).toEqual(["gen -O2", "build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
    writeFiles(dir, {
      "tasks.ts": withHelper.replace(
        'log("build");',
        'log("build"); (globalThis as Record<string, unknown>).edited = 1;',
      ),
    });
    expect(await ranBy(dir, ["build"])).toEqual(["gen -O2", "build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("re-run the dependents of a dep that ran, through group tasks, and of a dep without sources", async () => {
    const { dir } = incrementalProject();
    await ranBy(dir, ["build"]);
    writeFileSync(join(dir, "gen/g.txt"), "gen, edited\n");
    // build depends on the group `all`, which depends on gen.
    expect(await ranBy(dir, ["build"])).toEqual(["gen", "build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
    // A dep run on its own since: its dependent's record names its old fingerprint.
    writeFileSync(join(dir, "gen/g.txt"), "gen, edited again\n");
    expect(await ranBy(dir, ["gen"])).toEqual(["gen"]);
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    // A task without sources always runs, and so does what depends on it.
    expect(await ranBy(dir, ["after"])).toEqual(["plain", "after"]);
    expect(await ranBy(dir, ["after"])).toEqual(["plain", "after"]);
  });

  it("-B and --force run every task anyway, and still record them", async () => {
    const { dir } = incrementalProject();
    await ranBy(dir, ["build"]);
    expect(await ranBy(dir, ["-B", "build"])).toEqual(["gen", "build"]);
    expect(await ranBy(dir, ["--force", "build"])).toEqual(["gen", "build"]);
    writeFileSync(join(dir, "src/a.txt"), "edited\n");
    expect(await ranBy(dir, ["-B", "build"])).toEqual(["gen", "build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("leave a task that failed out of date, and record it once it passed", async () => {
    const { dir } = incrementalProject({ fail: "" });
    const failed = await run(dir, ["build"]);
    expect(failed.code).toBe(1);
    expect(ran(dir)).toEqual(["gen", "build"]);
    const again = await run(dir, ["build"]);
    expect(again.code).toBe(1);
    expect(ran(dir)).toEqual(["build"]);
    unlinkSync(join(dir, "fail"));
    expect(await ranBy(dir, ["build"])).toEqual(["build"]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("leave out of date a task that passed only because -w let its failing command through", async () => {
    const { dir } = incrementalProject({ fail: "" });
    const warned = await run(dir, ["lint", "-w"]);
    expect(warned.code, warned.all).toBe(0);
    expect(ran(dir)).toEqual(["lint"]);
    // Without -w the command still fails, and that run must not be skipped as up to date.
    const plain = await run(dir, ["lint"]);
    expect(plain.code, plain.all).toBe(3);
    expect(ran(dir)).toEqual(["lint"]);
    unlinkSync(join(dir, "fail"));
    // A -w run whose commands all passed is a pass like any other.
    expect(await ranBy(dir, ["lint", "-w"])).toEqual(["lint"]);
    expect(await ranBy(dir, ["lint"])).toEqual([]);
  });

  it("record the fingerprint taken before the task ran: an edit made while it ran leaves it out of date", async () => {
    const { dir } = incrementalProject();
    const child = spawnRunner(["slow"], dir, { RUNNER_CACHE_DIR: join(dir, ".cache") });
    const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdout.resume();
    child.stderr.resume();
    for (let waited = 0; !existsSync(join(dir, "started")) && waited < 20_000; waited += 20) await sleep(20);
    writeFileSync(join(dir, "src/a.txt"), "edited while slow ran\n");
    writeFileSync(join(dir, "go"), "");
    expect(await exit).toBe(0);
    expect(ran(dir)).toEqual(["slow"]);
    expect(await ranBy(dir, ["slow"])).toEqual(["slow"]);
    expect(await ranBy(dir, ["slow"])).toEqual([]);
  });

  it("check, show and never record in a dry run", async () => {
    const { dir } = incrementalProject();
    expect(await ranBy(dir, ["-n", "build"])).toEqual(["gen", "build"]);
    expect(await ranBy(dir, ["build"])).toEqual(["gen", "build"]);
    const dry = await run(dir, ["-n", "build"]);
    expect(dry.stderr).toContain("✔ build up to date\n");
    expect(ran(dir)).toEqual([]);
  });

  it("leave node_modules, .git, runner's cache and the task's outputs out of its sources unless named", async () => {
    const { dir, cache } = incrementalProject({ ".git/HEAD": "ref\n" });
    expect(await ranBy(dir, ["modules"])).toEqual(["modules"]);
    writeFileSync(join(dir, "node_modules/pkg/index.txt"), "dependency, upgraded\n");
    writeFileSync(join(dir, ".git/HEAD"), "other\n");
    expect(await ranBy(dir, ["modules"])).toEqual([]);
    writeFileSync(join(dir, "src/a.txt"), "edited\n");
    expect(await ranBy(dir, ["modules"])).toEqual(["modules"]);
    // A pattern that names node_modules looks there.
    expect(await ranBy(dir, ["named"])).toEqual(["named"]);
    writeFileSync(join(dir, "node_modules/pkg/index.txt"), "dependency, upgraded again\n");
    expect(await ranBy(dir, ["named"])).toEqual(["named"]);
    expect(await ranBy(dir, ["named"])).toEqual([]);
    // `**` covers the cache (inside the project here), the logs and out/, which the task
    // makes anew each time: neither the cache nor its outputs make it out of date.
    expect(existsSync(cache)).toBe(true);
    writeFiles(dir, { "tasks.ts": TASKS.replace('sources: ["**"]', 'sources: ["**", "!logs/**"]') });
    expect(await ranBy(dir, ["everything"])).toEqual(["everything"]);
    expect(await ranBy(dir, ["everything"])).toEqual([]);
  });

  it("keeps its store whole when runs of the same project overlap", async () => {
    const { dir, cache } = incrementalProject();
    const runOnce = (): Promise<number | null> =>
      new Promise((resolve) => {
        const child = spawnRunner(["build", "never"], dir, { RUNNER_CACHE_DIR: cache });
        child.stdout.resume();
        child.stderr.resume();
        child.on("close", resolve);
      });
    for (let round = 0; round < 5; round++) {
      writeFileSync(join(dir, "src/a.txt"), `round ${round}\n`);
      expect(await Promise.all([runOnce(), runOnce(), runOnce()])).toEqual([0, 0, 0]);
    }
    ran(dir);
    const records = filesUnder(join(cache, "up-to-date")).filter((name) => name.endsWith(".rec"));
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      const { head, stats } = readRecord(join(cache, "up-to-date", record));
      expect(typeof head.fingerprint).toBe("string");
      // Whole: four numbers for each file its head names.
      expect(stats.length).toBe(String(head.paths).split("\0").length * 32);
    }
    expect(filesUnder(join(cache, "up-to-date")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(await ranBy(dir, ["build"])).toEqual([]);
  });

  it("keeps its records private even under umask 000: directories 0700, files 0600", () => {
    const { dir, cache } = incrementalProject();
    const result = spawnSync(
      "sh",
      ["-c", `umask 000; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(runnerBin)} build`],
      { cwd: dir, env: cleanEnv({ RUNNER_CACHE_DIR: cache }), encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    const store = join(cache, "up-to-date");
    const entries = ["", ...filesUnder(store)].map((name) => join(store, name));
    const records = entries.filter((path) => path.endsWith(".rec"));
    expect(records.length).toBe(2);
    for (const path of entries) {
      const stat = statSync(path);
      expect((stat.mode & 0o777).toString(8), path).toBe(stat.isDirectory() ? "700" : "600");
    }
  });

  it("drops the records of a project unused for 30 days, and keeps one whose records were read", async () => {
    // Three projects sharing one cache: `kept` is only read (an up-to-date dry run), `old` is
    // not used at all, and a run of `busy` that writes sweeps the store.
    const cache = join(project({}), "cache");
    const env = { RUNNER_CACHE_DIR: cache };
    const [busy, kept, old] = [0, 1, 2].map(() => incrementalProject().dir);
    const store = join(cache, "up-to-date");
    const projectOf = new Map<string, string>();
    for (const dir of [busy, kept, old]) {
      expect(await ranBy(dir ?? "", ["build"], env)).toEqual(["gen", "build"]);
    }
    for (const key of readdirSync(store).filter((name) => !name.startsWith("."))) {
      const record = filesUnder(join(store, key)).find((name) => name.endsWith(".rec")) ?? "";
      projectOf.set(String(readRecord(join(store, key, record)).head.project), key);
    }
    const keyOf = (dir: string | undefined): string => projectOf.get(realpathSync(dir ?? "")) ?? "missing";
    const daysAgo = (days: number): Date => new Date(Date.now() - days * 24 * 3600_000);
    for (const dir of [kept, old]) utimesSync(join(store, keyOf(dir)), daysAgo(40), daysAgo(40));
    utimesSync(join(store, ".swept"), daysAgo(2), daysAgo(2));
    // A dry run reads the records and writes none: only the read marks `kept` as used.
    const dry = await run(kept ?? "", ["-n", "build"], env);
    expect(dry.stderr, dry.all).toContain("build  up to date");
    expect(existsSync(join(store, keyOf(old)))).toBe(true);
    writeFileSync(join(busy ?? "", "src/a.txt"), "changed\n");
    expect(await ranBy(busy ?? "", ["build"], env)).toEqual(["build"]);
    expect(existsSync(join(store, keyOf(busy)))).toBe(true);
    expect(existsSync(join(store, keyOf(kept)))).toBe(true);
    expect(existsSync(join(store, keyOf(old)))).toBe(false);
    expect(await ranBy(kept ?? "", ["build"], env)).toEqual([]);
    expect(await ranBy(old ?? "", ["build"], env)).toEqual(["gen", "build"]);
  });

  it("takes a record as a miss when a directory above it is open to others, as a write would refuse it", async () => {
    const { dir, cache } = incrementalProject();
    // The fallback cache a refused write goes to, inside this test's own project.
    const tmp = join(dir, "tmp");
    mkdirSync(tmp, { mode: 0o700 });
    await ranBy(dir, ["build"], { TMPDIR: tmp });
    for (const level of [cache, join(cache, "up-to-date")]) {
      chmodSync(level, 0o777);
      rmSync(join(tmp, `runner-cache-${process.getuid?.() ?? "user"}`, "up-to-date"), { recursive: true, force: true });
      expect(await ranBy(dir, ["build"], { TMPDIR: tmp })).toEqual(["gen", "build"]);
      chmodSync(level, 0o700);
      expect(await ranBy(dir, ["build"], { TMPDIR: tmp })).toEqual([]);
    }
  });

  it("takes a damaged, foreign-shaped or other-version record as a miss, never an error", async () => {
    const { dir, cache } = incrementalProject();
    await ranBy(dir, ["build"]);
    const store = join(cache, "up-to-date");
    const records = filesUnder(store).filter((name) => name.endsWith(".rec"));
    expect(records.length).toBe(2);
    const original = records.map((name) => readRecord(join(store, name)));
    const rewrite = (damage: (record: RecordFile) => Buffer): void =>
      records.forEach((name, index) => {
        const record = original[index];
        if (record !== undefined) writeFileSync(join(store, name), damage(record), { mode: 0o600 });
      });
    // Written back as read, the records still hold: what follows is damage, not this test's codec.
    rewrite(recordBytes);
    expect(await ranBy(dir, ["build"])).toEqual([]);
    for (const damage of [
      () => Buffer.from("garbage{"),
      () => Buffer.alloc(0),
      (record: RecordFile) => recordBytes({ ...record, version: 3 }),
      (record: RecordFile) => recordBytes(record).subarray(0, -8),
      (record: RecordFile) => recordBytes({ ...record, head: { ...record.head, hashes: "x\0y\0z" } }),
      (record: RecordFile) => recordBytes({ ...record, head: { ...record.head, dirs: "x" } }),
      (record: RecordFile) => recordBytes({ ...record, head: { ...record.head, task: "other" } }),
    ]) {
      rewrite(damage);
      const result = await run(dir, ["build"]);
      expect(result.code, result.all).toBe(0);
      expect(result.stderr).not.toContain("up to date");
      expect(ran(dir)).toEqual(["gen", "build"]);
      expect(await ranBy(dir, ["build"])).toEqual([]);
    }
  });

  it("shows 'up-to-date' in --report and a skipped testcase with message 'up to date' in --junit", async () => {
    const { dir } = incrementalProject();
    await ranBy(dir, ["build"]);
    const result = await run(dir, ["--report", "run.json", "--junit", "results.xml", "build"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as {
      tasks: { name: string; status: string; exitCode: number | null }[];
    };
    expect(report.tasks.map((task) => [task.name, task.status, task.exitCode])).toEqual([
      ["gen", "up-to-date", 0],
      ["all", "up-to-date", 0],
      ["build", "up-to-date", 0],
    ]);
    const junit = readFileSync(join(dir, "results.xml"), "utf8");
    expect(junit.match(/<skipped message="up to date"\/>/g)?.length).toBe(3);
  });

  it("says a bad sources, outputs or env in one line, exit 2", async () => {
    for (const [declaration, words] of [
      ['sources: "src/**"', "sources"],
      ['sources: ["/etc/**"]', "relative to the project directory"],
      ['sources: ["src/**"], outputs: "dist"', "outputs"],
      ['outputs: ["dist/**"]', "outputs but no sources"],
      ['sources: ["src/**"], env: ["NOT A NAME"]', "env"],
    ] as const) {
      const dir = project({
        "tasks.ts": `import { task } from "runner-ts";\nexport const bad = task({ ${declaration}, run: () => {} });\n`,
      });
      const result = await runRunner(["bad"], { cwd: dir });
      expect(result.code, declaration).toBe(2);
      expect(result.stderr.split("\n").filter(Boolean), declaration).toHaveLength(1);
      expect(result.stderr, declaration).toContain(words);
      expect(result.stdout).toBe("");
    }
  });
});
