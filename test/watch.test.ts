// `runner --watch` (SPEC §10) with real files, a real watcher and the real CLI: a run, then a
// re-run of what each change affects; bursts coalesce; editors' rename-over saves count; a
// change during a run stops its processes and runs again; the tasks file reloads; Ctrl-C
// ends it all with 130 and nothing left running. Runs are counted by what the tasks append
// to files, after the "watching" line came back and a moment of calm (no timed assertion).
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { collectOutput, project, runRunner } from "./helpers.ts";
import { isAlive, killIfAlive, spawnRunner, waitUntilGone } from "./process-helpers.ts";

/** Long enough for a wrong extra run to start, had the watcher seen a reason for one. */
const SETTLE_MS = 600;
const PATIENCE_MS = 20_000;

const started: { kill(signal: NodeJS.Signals): boolean }[] = [];
const pidsToKill: number[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
  for (const pid of pidsToKill.splice(0)) killIfAlive(pid);
});

/** Appends the task's name to `runs` in the project directory, then does `then`. */
const record = (name: string, then = "") => `(ctx) => { appendFileSync("runs", "${name}\\n"); ${then} }`;

const HEADER = `import { appendFileSync } from "node:fs";\nimport { task } from "runner-ts";\n`;

/** runner --watch in `dir`, with ways to wait on what it prints. */
function watching(dir: string, args: readonly string[]) {
  const child = spawnRunner(["--watch", ...args], dir);
  started.push(child);
  const output = collectOutput(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const until = async (what: string, test: () => boolean): Promise<void> => {
    for (let waited = 0; waited < PATIENCE_MS; waited += 25) {
      if (test()) return;
      await sleep(25);
    }
    throw new Error(`gave up waiting for ${what}; runner printed:\n${output.all()}`);
  };
  const count = (text: string): number => output.stderr().split(text).length - 1;
  return {
    child,
    output,
    exited,
    until,
    /** How many times runner said it is watching. */
    watchLines: () => count("runner: watching "),
    /** Waits until runner has said it is watching `n` times. */
    waitForWatching: (n: number) => until(`"watching" line ${n}`, () => count("runner: watching ") >= n),
  };
}

const runsIn = (dir: string): string[] =>
  existsSync(join(dir, "runs")) ? readFileSync(join(dir, "runs"), "utf8").trim().split("\n") : [];

const linesOf = (dir: string, file: string): string[] =>
  existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8").trim().split("\n").filter(Boolean) : [];

describe("runner --watch", () => {
  it("runs the tasks, then an edit in place runs them once more", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const build = task({ sources: ["src/**/*.ts"], run: ${record("build")} });\n`,
      "src/a.ts": "export const a = 1;\n",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    expect(runsIn(dir)).toEqual(["build"]);
    expect(w.output.stderr()).toMatch(/runner: watching 2 files for changes \(Ctrl-C to stop\)/);

    appendFileSync(join(dir, "src/a.ts"), "export const b = 2;\n");
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build", "build"]);
    expect(w.output.stderr()).toContain("runner: src/a.ts changed: re-running build\n");
    expect(w.watchLines()).toBe(2);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("runs once for a burst of writes to several files", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const build = task({ sources: ["src/**"], run: ${record("build")} });\n`,
      "src/a.ts": "",
      "src/b.ts": "",
      "src/deep/c.ts": "",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    for (let i = 0; i < 10; i++)
      appendFileSync(join(dir, ["src/a.ts", "src/b.ts", "src/deep/c.ts"][i % 3] ?? ""), `${i}\n`);
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build", "build"]);
    expect(w.output.stderr()).toMatch(/runner: src\/\S+\.ts and 2 more changed: re-running build\n/);
    expect(w.watchLines()).toBe(2);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("takes an editor's save (a temporary file renamed over the source) as a change", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const build = task({ sources: ["src/*.ts"], run: ${record("build")} });\n`,
      "src/a.ts": "1\n",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    writeFileSync(join(dir, "src/a.ts.tmp"), "2\n");
    renameSync(join(dir, "src/a.ts.tmp"), join(dir, "src/a.ts"));
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build", "build"]);
    expect(w.output.stderr()).toContain("runner: src/a.ts changed: re-running build\n");
    expect(w.output.stderr()).not.toContain("a.ts.tmp");
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("takes Vim's save (swap file, write test, backup by rename, new file) as one change of the file", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const build = task({ sources: ["src/**"], run: ${record("build")} });\n`,
      "src/a.ts": "1\n",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    // Opening the file, and typing: the swap file is written again and again.
    writeFileSync(join(dir, "src/.a.ts.swp"), "swap");
    await sleep(SETTLE_MS);
    appendFileSync(join(dir, "src/.a.ts.swp"), "more");
    await sleep(SETTLE_MS);
    expect(w.watchLines()).toBe(1);
    // :w — a write test, the old file renamed to its backup, the new one written, the backup gone.
    writeFileSync(join(dir, "src/4913"), "");
    unlinkSync(join(dir, "src/4913"));
    renameSync(join(dir, "src/a.ts"), join(dir, "src/a.ts~"));
    writeFileSync(join(dir, "src/a.ts"), "2\n");
    unlinkSync(join(dir, "src/a.ts~"));
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build", "build"]);
    expect(w.output.stderr()).toContain("runner: src/a.ts changed: re-running build\n");
    expect(w.watchLines()).toBe(2);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("does not run for a file its sources do not match (a negation, node_modules, another extension)", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const build = task({ sources: ["src/**/*.ts", "!src/**/*.skip.ts"], run: ${record("build")} });\n`,
      "src/a.ts": "",
      "src/notes.txt": "",
      "src/c.skip.ts": "",
      "src/node_modules/pkg/index.ts": "",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    for (const file of ["src/notes.txt", "src/c.skip.ts", "src/node_modules/pkg/index.ts", "src/new.txt"]) {
      appendFileSync(join(dir, file), "changed\n");
    }
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build"]);
    // The watcher is still there: a source's change runs it, and names only that file.
    appendFileSync(join(dir, "src/a.ts"), "changed\n");
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build", "build"]);
    expect(w.output.stderr()).toContain("runner: src/a.ts changed: re-running build\n");
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("does not run for what a task makes (its outputs), though its sources cover it", async () => {
    const make = `(ctx) => { appendFileSync("runs", "build\\n"); mkdirSync("src/gen", { recursive: true }); writeFileSync("src/gen/out.ts", String(Math.random())); }`;
    const dir = project({
      "tasks.ts": `import { mkdirSync, writeFileSync } from "node:fs";\n${HEADER}export const build = task({ sources: ["src/"], outputs: ["src/gen/**"], run: ${make} });\n`,
      "src/a.ts": "",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    await sleep(SETTLE_MS);
    expect(w.watchLines()).toBe(1);
    // `src/` is what is under src: an edit there runs it, once.
    appendFileSync(join(dir, "src/a.ts"), "x\n");
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["build", "build"]);
    expect(w.watchLines()).toBe(2);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("runs again only the task whose sources changed, and what depends on it", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const front = task({ sources: ["front/**"], run: ${record("front")} });
export const back = task({ sources: ["back/**"], run: ${record("back")} });
export const check = task({ deps: [front], run: ${record("check")} });
`,
      "front/a.ts": "",
      "back/b.ts": "",
    });
    const w = watching(dir, ["check", "back"]);
    await w.waitForWatching(1);
    expect(runsIn(dir)).toEqual(["front", "check", "back"]);
    appendFileSync(join(dir, "front/a.ts"), "x\n");
    await w.waitForWatching(2);
    await sleep(SETTLE_MS);
    expect(runsIn(dir)).toEqual(["front", "check", "back", "front", "check"]);
    expect(w.output.stderr()).toContain("runner: front/a.ts changed: re-running front, check\n");
    appendFileSync(join(dir, "back/b.ts"), "x\n");
    await w.waitForWatching(3);
    await sleep(SETTLE_MS);
    expect(runsIn(dir).slice(5)).toEqual(["back"]);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("leaves what it re-ran up to date for a plain run after it, deps it did not re-run included", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const gen = task({ sources: ["gen/**"], run: ${record("gen")} });
export const build = task({ deps: [gen], sources: ["src/**"], run: ${record("build")} });
`,
      "gen/g.ts": "",
      "src/a.ts": "",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    expect(runsIn(dir)).toEqual(["gen", "build"]);
    // Only build runs again, without gen: its fingerprint still counts gen's.
    appendFileSync(join(dir, "src/a.ts"), "x\n");
    await w.waitForWatching(2);
    expect(runsIn(dir)).toEqual(["gen", "build", "build"]);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
    const plain = await runRunner(["build"], { cwd: dir });
    expect(plain.code, plain.all).toBe(0);
    expect(plain.stderr).toMatch(/✔ build\s+up to date/);
    expect(runsIn(dir)).toEqual(["gen", "build", "build"]);
  });

  it("stops a run that a change makes stale (its processes end) and starts it again", async () => {
    const child = `node -e "require('fs').appendFileSync('child-pids', process.pid + '\\\\n'); setTimeout(() => {}, 60000)"`;
    const dir = project({
      "tasks.ts": `${HEADER}export const serve = task({ sources: ["src/**"], run: (ctx) => ctx.run(${JSON.stringify(child)}) });\n`,
      "src/a.ts": "",
    });
    const w = watching(dir, ["serve"]);
    await w.until("the first child", () => linesOf(dir, "child-pids").length === 1);
    const first = Number(linesOf(dir, "child-pids")[0]);
    pidsToKill.push(first);
    appendFileSync(join(dir, "src/a.ts"), "x\n");
    await w.until("the second child", () => linesOf(dir, "child-pids").length === 2);
    const second = Number(linesOf(dir, "child-pids")[1]);
    pidsToKill.push(second);
    expect(await waitUntilGone(first)).toBe(true);
    expect(isAlive(second)).toBe(true);
    expect(w.output.stderr()).toContain("runner: src/a.ts changed: re-running serve\n");
    expect(w.watchLines()).toBe(0);
    // Ctrl-C while it runs: 130, and the child is gone.
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
    expect(await waitUntilGone(second)).toBe(true);
  });

  it("after a stopped run, runs what it left undone with what the change touched, not what had passed", async () => {
    // The child says it started, then waits for a file the test writes once it has seen two of them.
    const child = `node -e "const fs = require('fs'); fs.appendFileSync('child-pids', process.pid + '\\\\n'); setInterval(() => fs.existsSync('go') && process.exit(0), 20)"`;
    const dir = project({
      "tasks.ts": `${HEADER}export const first = task({ sources: ["first/**"], run: ${record("first")} });
export const slow = task({ deps: [first], sources: ["slow/**"], run: (ctx) => ctx.run(${JSON.stringify(child)}) });
export const other = task({ sources: ["other/**"], run: ${record("other")} });
`,
      "first/a.ts": "",
      "slow/a.ts": "",
      "other/a.ts": "",
    });
    const w = watching(dir, ["slow", "other"]);
    await w.until("the first child", () => linesOf(dir, "child-pids").length === 1);
    const firstChild = Number(linesOf(dir, "child-pids")[0]);
    pidsToKill.push(firstChild);
    appendFileSync(join(dir, "other/a.ts"), "x\n");
    await w.until("the second child", () => linesOf(dir, "child-pids").length === 2);
    pidsToKill.push(Number(linesOf(dir, "child-pids")[1]));
    expect(await waitUntilGone(firstChild)).toBe(true);
    writeFileSync(join(dir, "go"), "");
    await w.waitForWatching(1);
    await sleep(SETTLE_MS);
    // first passed before the change and is not run again; slow and other had not run.
    expect(runsIn(dir)).toEqual(["first", "other"]);
    expect(w.output.stderr()).toContain("runner: other/a.ts changed: re-running slow, other\n");
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("goes on after a failed run; a change to a dependent's sources runs its failed dep again", async () => {
    const build = `(ctx) => { if (!existsSync("src/ok")) { appendFileSync("runs", "build failed\\n"); throw new Error("no src/ok"); } appendFileSync("runs", "build\\n"); }`;
    const dir = project({
      "tasks.ts": `import { existsSync } from "node:fs";\n${HEADER}export const build = task({ sources: ["src/**"], run: ${build} });
export const test = task({ deps: [build], sources: ["test/**"], run: ${record("test")} });
export const lint = task({ sources: ["lint/**"], run: ${record("lint")} });
`,
      "src/a.ts": "",
      "test/a.ts": "",
      "lint/a.ts": "",
    });
    const w = watching(dir, ["-k", "test", "lint"]);
    await w.waitForWatching(1);
    expect(runsIn(dir)).toEqual(["build failed", "lint"]);
    appendFileSync(join(dir, "test/a.ts"), "x\n");
    await w.waitForWatching(2);
    expect(runsIn(dir).slice(2)).toEqual(["build failed"]);
    expect(w.output.stderr()).toContain("runner: test/a.ts changed: re-running build, test\n");
    writeFileSync(join(dir, "src/ok"), "");
    await w.waitForWatching(3);
    await sleep(SETTLE_MS);
    expect(runsIn(dir).slice(3)).toEqual(["build", "test"]);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("restarts a service whose sources changed, and one that a task which runs again needs", async () => {
    const service = `echo $$ >> service-pids; echo listening; exec sleep 300`;
    const dir = project({
      "tasks.ts": `${HEADER}export const api = task({ service: { ready: /listening/ }, sources: ["api/**"], run: (ctx) => ctx.run(${JSON.stringify(service)}) });
export const e2e = task({ deps: [api], sources: ["e2e/**"], run: ${record("e2e")} });
`,
      "api/a.js": "",
      "e2e/a.js": "",
    });
    // Alone, the service runs until a change stops it.
    const alone = watching(dir, ["api"]);
    await alone.until("the first service", () => linesOf(dir, "service-pids").length === 1);
    const first = Number(linesOf(dir, "service-pids")[0]);
    pidsToKill.push(first);
    appendFileSync(join(dir, "api/a.js"), "x\n");
    await alone.until("the second service", () => linesOf(dir, "service-pids").length === 2);
    const second = Number(linesOf(dir, "service-pids")[1]);
    pidsToKill.push(second);
    expect(await waitUntilGone(first)).toBe(true);
    expect(alone.output.stderr()).toContain("runner: api/a.js changed: re-running api\n");
    alone.child.kill("SIGINT");
    expect((await alone.exited).code).toBe(130);
    expect(await waitUntilGone(second)).toBe(true);

    // With a dependent: a change to e2e's sources starts api again for it.
    const both = watching(dir, ["e2e"]);
    await both.waitForWatching(1);
    appendFileSync(join(dir, "e2e/a.js"), "x\n");
    await both.waitForWatching(2);
    expect(runsIn(dir)).toEqual(["e2e", "e2e"]);
    expect(linesOf(dir, "service-pids")).toHaveLength(4);
    expect(both.output.stderr()).toContain("runner: e2e/a.js changed: re-running api, e2e\n");
    for (const pid of linesOf(dir, "service-pids").map(Number)) expect(await waitUntilGone(pid)).toBe(true);
    both.child.kill("SIGINT");
    expect((await both.exited).code).toBe(130);
  });

  it("loads the tasks file again when it changes; one that does not load is one line, and the loop waits", async () => {
    const tasks = (word: string): string =>
      `${HEADER}export const build = task({ sources: ["src/**"], run: (ctx) => ctx.run("echo ${word}") });\n`;
    const dir = project({ "tasks.ts": tasks("first-version"), "src/a.ts": "" });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    expect(w.output.stdout()).toContain("first-version");

    writeFileSync(join(dir, "tasks.ts"), "export const build = ;\n");
    await w.waitForWatching(2);
    expect(w.output.stderr()).toContain("runner: tasks.ts changed: loading the tasks again\n");
    expect(w.output.stderr()).toMatch(/\ntasks\.ts:1:\d+: .*\nrunner: watching/);

    writeFileSync(join(dir, "tasks.ts"), tasks("second-version"));
    await w.waitForWatching(3);
    expect(w.output.stdout()).toContain("second-version");
    // The new tasks' sources are watched.
    appendFileSync(join(dir, "src/a.ts"), "x\n");
    await w.waitForWatching(4);
    expect(w.output.stdout().split("second-version").length - 1).toBe(2);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("a reload whose top-level await never settles, or that calls process.exit, is one line and the loop goes on", async () => {
    const tasks = (word: string, top = ""): string =>
      `${HEADER}${top}\nexport const build = task({ sources: ["src/**"], run: (ctx) => ctx.run("echo ${word}") });\n`;
    const dir = project({ "tasks.ts": tasks("first-version"), "src/a.ts": "" });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);

    // The watcher's handles used to keep the loop up, hiding the stall for ever.
    writeFileSync(join(dir, "tasks.ts"), tasks("stalled", "await new Promise(() => {});"));
    await w.waitForWatching(2);
    expect(w.output.stderr()).toContain("tasks.ts: its top-level await never settles");

    writeFileSync(join(dir, "tasks.ts"), tasks("exits", "process.exit(0);"));
    await w.waitForWatching(3);
    expect(w.output.stderr()).toMatch(/tasks\.ts:\d+:\d+: it called process\.exit\(0\) while the tasks were loading/);

    writeFileSync(join(dir, "tasks.ts"), tasks("second-version"));
    await w.waitForWatching(4);
    expect(w.output.stdout()).toContain("second-version");
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("a tasks file that no longer loads for a missing import loads again once that file appears", async () => {
    const tasks = (imports: string): string =>
      `${HEADER}${imports}\nexport const build = task({ sources: ["src/**"], run: (ctx) => ctx.run("echo " + word) });\n`;
    const dir = project({
      "tasks.ts": tasks(`const word = "first-word";`),
      "src/a.ts": "",
    });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    writeFileSync(join(dir, "tasks.ts"), tasks(`import { word } from "./word.ts";`));
    await w.waitForWatching(2);
    expect(w.output.stderr()).toMatch(/tasks\.ts:\d+:\d+: .*word\.ts/);
    writeFileSync(join(dir, "word.ts"), `export const word = "new-word";\n`);
    await w.waitForWatching(3);
    expect(w.output.stdout()).toContain("new-word");
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("Ctrl-C during a reload that awaits something slow ends the watch at once", async () => {
    const tasks = (top: string): string =>
      `${HEADER}${top}\nexport const build = task({ sources: ["src/**"], run: () => {} });\n`;
    const dir = project({ "tasks.ts": tasks(""), "src/a.ts": "" });
    const w = watching(dir, ["build"]);
    await w.waitForWatching(1);
    writeFileSync(join(dir, "tasks.ts"), tasks("await new Promise((resolve) => setTimeout(resolve, 600_000));"));
    await w.until("the reload", () => w.output.stderr().includes("loading the tasks again"));
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
    expect(w.output.stderr()).toContain("runner: stopped watching\n");
  });

  it("a task whose code awaits what nothing can settle fails, as without --watch, and the loop waits", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const hang = task({ sources: ["src/**"], run: () => new Promise(() => {}) });\n`,
      "src/a.ts": "",
    });
    const w = watching(dir, ["hang"]);
    await w.waitForWatching(1);
    expect(w.output.stderr()).toContain("✖ hang: never finished");
    appendFileSync(join(dir, "src/a.ts"), "x\n");
    await w.waitForWatching(2);
    expect(w.output.stderr().split("✖ hang: never finished").length - 1).toBe(2);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("a plain path in sources that is a folder made after the watch started is watched as one", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const gen = task({ sources: ["src"], run: ${record("gen")} });\n`,
    });
    const w = watching(dir, ["gen"]);
    await w.waitForWatching(1);
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/a.ts"), "1\n");
    await w.waitForWatching(2);
    expect(runsIn(dir)).toEqual(["gen", "gen"]);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("a file the tasks file imports is watched as the tasks file is", async () => {
    // build has no sources, so that it runs again after the reload: with sources it would be up
    // to date, its own code's text being the same (SPEC §10 fingerprints the task's own code).
    const dir = project({
      "tasks.ts": `${HEADER}import { word } from "./word.ts";
export const build = task({ run: (ctx) => ctx.run("echo " + word) });
export const watched = task({ sources: ["src/**"], run: () => {} });
`,
      "word.ts": `export const word = "old-word";\n`,
      "src/a.ts": "",
    });
    const w = watching(dir, ["build", "watched"]);
    await w.waitForWatching(1);
    writeFileSync(join(dir, "word.ts"), `export const word = "new-word";\n`);
    await w.waitForWatching(2);
    expect(w.output.stderr()).toContain("runner: word.ts changed: loading the tasks again\n");
    expect(w.output.stdout()).toContain("new-word");
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
  });

  it("Ctrl-C while waiting ends it with 130; SIGTERM with 143", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const build = task({ sources: ["src/**"], run: ${record("build")} });\n`,
      "src/a.ts": "",
    });
    for (const [signal, status] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      const w = watching(dir, ["build"]);
      await w.waitForWatching(1);
      w.child.kill(signal);
      const end = await w.exited;
      expect(end.code, w.output.all()).toBe(status);
      expect(w.output.stderr()).toContain("runner: stopped watching\n");
    }
  });

  it("Ctrl-C during the first run stops its command (no process left) and exits 130", async () => {
    const dir = project({
      "tasks.ts": `${HEADER}export const serve = task({ sources: ["src/**"], run: (ctx) => ctx.run("sleep 300 & echo $! > pid; wait") });\n`,
      "src/a.ts": "",
    });
    const w = watching(dir, ["serve"]);
    await w.until("the pid file", () => linesOf(dir, "pid").length === 1);
    const pid = Number(linesOf(dir, "pid")[0]);
    pidsToKill.push(pid);
    w.child.kill("SIGINT");
    expect((await w.exited).code).toBe(130);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  describe("says in one line what does not go with --watch (exit 2, nothing run)", () => {
    const tasks = `${HEADER}export const build = task({ sources: ["src/**"], run: ${record("build")} });
export const plain = task({ run: ${record("plain")} });
`;
    it.each([
      [["--list"], "Options --watch and --list do not go together: --list runs nothing to watch."],
      [["--plan", "build"], "Options --watch and --plan do not go together: --plan runs nothing to watch."],
      [["--graph", "build"], "Options --watch and --graph do not go together: --graph runs nothing to watch."],
      [["--dry-run", "build"], "Options --watch and --dry-run do not go together: use one."],
      [["--worker"], "Options --watch and --worker do not go together: a worker runs what it is sent."],
      [
        ["--redis", "redis://127.0.0.1:1", "build"],
        "--watch runs tasks here, not through Redis: it cannot be used with --redis.",
      ],
      [["plain"], "--watch: none of these tasks has sources to watch (give a task `sources: [...]`)."],
      [[], "--watch needs the tasks to run: runner --watch <task>..."],
    ])("runner --watch %j", async (args, message) => {
      const dir = project({ "tasks.ts": tasks });
      const result = await runRunner(["--watch", ...args], { cwd: dir });
      expect(result.stderr).toBe(`${message}\n`);
      expect(result.code).toBe(2);
      expect(runsIn(dir)).toEqual([]);
    });

    it("runner --watch with RUNNER_REDIS set names it, and --no-redis as the way out", async () => {
      const dir = project({ "tasks.ts": tasks });
      const result = await runRunner(["--watch", "build"], { cwd: dir, env: { RUNNER_REDIS: "redis://127.0.0.1:1" } });
      expect(result.stderr).toBe(
        "--watch runs tasks here, not through Redis: it cannot be used with RUNNER_REDIS (--no-redis runs here).\n",
      );
      expect(result.code).toBe(2);
    });
  });
});
