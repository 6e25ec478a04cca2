// runner runs as root in CI: it uses only tasks, config and dotenv files of its own user (or
// root) that no one else can write, in directories no one else can write, and looks for
// configuration no higher than the project. Each refusal is one line naming the file.
import { chownSync, chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const MARKER = `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify("ran")}, "");\n`;

describe("files runner will not run", () => {
  it.runIf(asRoot)("a tasks file owned by another user", async () => {
    const dir = project({ "tasks.ts": `${MARKER}export function hi() {}\n` });
    chownSync(join(dir, "tasks.ts"), NOBODY, NOBODY);
    const run = await runRunner(["hi"], { cwd: dir });
    expect(run.stderr).toBe(
      "Refusing to use tasks.ts: it belongs to user 65534, not to you (runner uses only files of its own user or root).\n",
    );
    expect(run.code).toBe(2);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  it("a tasks file others can write, or one in a directory others can write", async () => {
    const dir = project({
      "tasks.ts": `${MARKER}export function hi() {}\n`,
      "sub/tasks.ts": `${MARKER}export function hi() {}\n`,
    });
    chmodSync(join(dir, "tasks.ts"), 0o666);
    const writable = await runRunner(["hi"], { cwd: dir });
    expect(writable.stderr).toBe(
      "Refusing to use tasks.ts: others can write it (mode 666); make it private with chmod go-w.\n",
    );
    chmodSync(join(dir, "sub"), 0o777);
    const inShared = await runRunner(["hi"], { cwd: join(dir, "sub") });
    expect(inShared.stderr).toBe(
      `Refusing to use tasks.ts: others can write its directory ${join(dir, "sub")} (mode 777).\n`,
    );
    expect([writable.code, inShared.code]).toEqual([2, 2]);
    expect(existsSync(join(dir, "ran"))).toBe(false);
    expect(existsSync(join(dir, "sub", "ran"))).toBe(false);
  });

  it("a file the tasks file imports that others can write", async () => {
    const dir = project({ "tasks.ts": `import "./lib.ts";\nexport function hi() {}\n`, "lib.ts": MARKER });
    chmodSync(join(dir, "lib.ts"), 0o666);
    const run = await runRunner(["hi"], { cwd: dir });
    expect(run.stderr).toBe(
      "Refusing to use lib.ts: others can write it (mode 666); make it private with chmod go-w.\n",
    );
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  it.runIf(asRoot)("a config file or a package.json owned by another user", async () => {
    for (const [name, content] of [
      ["runner.config.mjs", `${MARKER}export default {};\n`],
      ["package.json", `{ "runner": { "shell": "./evil.sh" } }`],
    ] as const) {
      const dir = project({ "tasks.ts": `export function hi() {}\n`, [name]: content });
      chownSync(join(dir, name), NOBODY, NOBODY);
      const run = await runRunner(["hi"], { cwd: dir });
      expect(run.stderr).toMatch(/^Refusing to use .+: it belongs to user 65534, not to you/);
      expect(run.stderr.split("\n")).toHaveLength(2);
      expect(run.code).toBe(2);
      expect(existsSync(join(dir, "ran"))).toBe(false);
    }
  });

  it("a dotenv file others can write (it could set PATH)", async () => {
    const dir = project({
      "tasks.ts": `export function hi() {}\n`,
      ".env": "PATH=/tmp/evil\n",
      ".runnerrc.json": `{ "dotenv": ".env" }`,
    });
    chmodSync(join(dir, ".env"), 0o666);
    const run = await runRunner(["hi"], { cwd: dir });
    expect(run.stderr).toBe(
      `Refusing to use ${join(dir, ".env")}: others can write it (mode 666); make it private with chmod go-w.\n`,
    );
    expect(run.code).toBe(2);
  });
});

describe("where configuration is looked for", () => {
  it("not above the project root: a config planted in a shared parent is never read", async () => {
    const shared = project({ "runner.config.mjs": `${MARKER}export default { jobs: 0 };\n` });
    mkdirSync(join(shared, "project"));
    writeFileSync(join(shared, "project", "package.json"), "{}");
    writeFileSync(join(shared, "project", "tasks.ts"), `export function hi() { console.log("hi"); }\n`);
    const run = await runRunner(["hi"], { cwd: join(shared, "project") });
    expect([run.stdout, run.stderr, run.code]).toEqual(["hi\n", "", 0]);
    expect(existsSync(join(shared, "project", "ran"))).toBe(false);
    expect(existsSync(join(shared, "ran"))).toBe(false);
  });

  it("without a package.json or .git, only beside the tasks file", async () => {
    const parent = project({ ".runnerrc.json": `{ "jobs": 0 }` });
    mkdirSync(join(parent, "app"));
    writeFileSync(join(parent, "app", "tasks.ts"), `export function hi() { console.log("hi"); }\n`);
    const run = await runRunner(["hi"], { cwd: join(parent, "app") });
    expect([run.stdout, run.code]).toEqual(["hi\n", 0]);
  });
});

describe("shell completion", () => {
  it.runIf(asRoot)("never runs a tasks file it would refuse, and offers nothing from it", async () => {
    const dir = project({ "tasks.ts": `${MARKER}export function hi() {}\n` });
    chownSync(join(dir, "tasks.ts"), NOBODY, NOBODY);
    const run = await runRunner(["--complete", "--", ""], { cwd: dir });
    expect([run.stdout, run.stderr, run.code]).toEqual(["", "", 0]);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });
});
