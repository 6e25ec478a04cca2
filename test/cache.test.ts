// The tasks cache can be damaged, planted or forged: anything wrong in it is a miss (the tasks
// file is bundled again), never an error, never stale code, never code runner did not make.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runnerBin, runRunner } from "./helpers.ts";

const TASKS = `import { writeFileSync } from "node:fs";
export function hello(): void {
  console.log("hello");
}
`;

/** A project with its own cache directory, run once so that the cache holds its entry. */
async function cachedProject(): Promise<{ dir: string; cache: string; entry: string; bundle: string }> {
  const dir = project({
    "tasks.ts": TASKS,
    "evil.cjs": `require("fs").writeFileSync(${JSON.stringify("pwned")}, "");\n`,
  });
  const cache = join(dir, "cache");
  const run = await runRunner(["hello"], { cwd: dir, env: { RUNNER_CACHE_DIR: cache } });
  expect(run.stdout).toBe("hello\n");
  const names = readdirSync(cache);
  const entry = names.find((name) => name.endsWith(".json"));
  const bundle = names.find((name) => name.endsWith(".cjs"));
  if (entry === undefined || bundle === undefined) throw new Error(`no cache entry in ${names.join(", ")}`);
  return { dir, cache, entry: join(cache, entry), bundle: join(cache, bundle) };
}

async function expectHello(dir: string, cache: string): Promise<void> {
  const run = await runRunner(["hello", "-v"], { cwd: dir, env: { RUNNER_CACHE_DIR: cache } });
  expect(run.stdout).toBe("hello\n");
  expect(run.code).toBe(0);
  expect(existsSync(join(dir, "pwned"))).toBe(false);
}

describe("the tasks cache", () => {
  it("is private even under umask 000: directories 0700, files 0600", () => {
    const dir = project({ "tasks.ts": TASKS });
    const cache = join(dir, "cache");
    const run = spawnSync(
      "sh",
      ["-c", `umask 000; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(runnerBin)} hello`],
      {
        cwd: dir,
        env: { ...process.env, RUNNER_CACHE_DIR: cache },
        encoding: "utf8",
      },
    );
    expect(run.stdout).toBe("hello\n");
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(cache)) {
      const stat = statSync(join(cache, name));
      expect([name, stat.mode & 0o777]).toEqual([name, stat.isDirectory() ? 0o700 : 0o600]);
    }
  });

  it("is not used where others can write: a bundle planted there does not run", async () => {
    const { dir, cache, entry, bundle } = await cachedProject();
    writeFileSync(bundle, readFileSync(join(dir, "evil.cjs")));
    // The entry made to match the planted bundle, as someone able to write there could.
    const meta = JSON.parse(readFileSync(entry, "utf8")) as { bundle: Record<string, number> };
    const stat = statSync(bundle);
    Object.assign(meta.bundle, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs });
    writeFileSync(entry, JSON.stringify(meta));
    chmodSync(cache, 0o777);
    await expectHello(dir, cache);
  });

  it("never runs a bundle its entry points at elsewhere", async () => {
    const { dir, cache, entry } = await cachedProject();
    const meta = JSON.parse(readFileSync(entry, "utf8")) as { bundle: { name: string } };
    meta.bundle.name = "../evil.cjs";
    writeFileSync(entry, JSON.stringify(meta));
    await expectHello(dir, cache);
  });

  it("bundles again when the bundle was cut short or edited in place", async () => {
    const { dir, cache, bundle } = await cachedProject();
    truncateSync(bundle, 20);
    await expectHello(dir, cache);
    writeFileSync(bundle, readFileSync(join(dir, "evil.cjs")));
    await expectHello(dir, cache);
  });

  it.each(["not json", "[]", '{ "bundle": 3 }', '{ "bundle": { "name": "x.cjs" }, "inputs": [] }', "null"])(
    "treats a damaged entry (%s) as a miss",
    async (text) => {
      const { dir, cache, entry } = await cachedProject();
      writeFileSync(entry, text);
      await expectHello(dir, cache);
    },
  );

  it("sees a file that changes what an import means: lib.ts appearing beside lib/index.ts", async () => {
    const dir = project({
      "tasks.ts": `import { say } from "./lib";\nexport function hello(): void {\n  console.log(say());\n}\n`,
      "lib/index.ts": `export const say = () => "from lib/index.ts";\n`,
    });
    const cache = join(dir, "cache");
    const first = await runRunner(["hello"], { cwd: dir, env: { RUNNER_CACHE_DIR: cache } });
    expect(first.stdout).toBe("from lib/index.ts\n");
    writeFileSync(join(dir, "lib.ts"), `export const say = () => "from lib.ts";\n`);
    const second = await runRunner(["hello"], { cwd: dir, env: { RUNNER_CACHE_DIR: cache } });
    expect(second.stdout).toBe("from lib.ts\n");
  });

  it("falls back to a private directory of its own when none is usable, and still runs", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const shared = join(dir, "shared");
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    const run = await runRunner(["hello"], {
      cwd: dir,
      env: { RUNNER_CACHE_DIR: shared, TMPDIR: shared },
    });
    expect([run.stdout, run.stderr, run.code]).toEqual(["hello\n", "", 0]);
    expect(readdirSync(shared).filter((name) => name.endsWith(".json"))).toEqual([]);
  });
});
