// Start-up (src/boot/boot.ts): runner's code comes from V8's code cache kept in its cache directory,
// and a rebuilt or damaged cache never runs stale code or fails a run.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, project, runnerBuild, runRunner } from "./helpers.ts";

function runCopy(bin: string, cache: string, args: readonly string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: project(),
    env: cleanEnv({ RUNNER_CACHE_DIR: cache }),
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A copy of runner's bin/ and dist/ (enough for --version and --help) that a test may change. */
function copyOfRunner(): { bin: string; runnerFile: string } {
  const copy = project();
  for (const part of ["bin", "dist", "package.json"])
    cpSync(join(runnerBuild, part), join(copy, part), { recursive: true });
  return { bin: join(copy, "bin", "runner.js"), runnerFile: join(copy, "dist", "runner.cjs") };
}

function codeCacheFiles(cache: string): string[] {
  const dir = join(cache, "compiled");
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".v8")) : [];
}

describe("compiled code at start-up", () => {
  it("keeps runner's compiled code in the cache directory, and starts from it", async () => {
    const cache = join(project(), "cache");
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("hi");\n}\n` });
    for (let i = 0; i < 2; i++) {
      const run = await runRunner(["hi"], { cwd: dir, env: { RUNNER_CACHE_DIR: cache } });
      expect([run.stdout, run.stderr, run.code]).toEqual(["hi\n", "", 0]);
    }
    expect(codeCacheFiles(cache)).toHaveLength(1);
  });

  it("never runs code compiled from an earlier build of runner", () => {
    const { bin, runnerFile } = copyOfRunner();
    const cache = join(project(), "cache");
    const first = runCopy(bin, cache, ["--version"]);
    expect(first.code).toBe(0);
    expect(codeCacheFiles(cache)).toHaveLength(1);
    // A new build of the same length (V8 checks only the length): another version number.
    const source = readFileSync(runnerFile, "utf8");
    const version = first.stdout.trim();
    const other = version.replace(/\d/g, (digit) => String((Number(digit) + 1) % 10));
    expect(source).toContain(JSON.stringify(version));
    writeFileSync(runnerFile, source.replaceAll(JSON.stringify(version), JSON.stringify(other)));
    const later = new Date(statSync(runnerFile).mtimeMs + 5000);
    utimesSync(runnerFile, later, later);
    const second = runCopy(bin, cache, ["--version"]);
    expect([second.stdout, second.stderr, second.code]).toEqual([`${other}\n`, "", 0]);
  });

  it("never runs stale code after an in-place copy that keeps size and mtime (cp -p)", () => {
    const { bin, runnerFile } = copyOfRunner();
    const cache = join(project(), "cache");
    const first = runCopy(bin, cache, ["--version"]);
    const version = first.stdout.trim();
    const other = version.replace(/\d/g, (digit) => String((Number(digit) + 1) % 10));
    const { mtime, atime } = statSync(runnerFile);
    const source = readFileSync(runnerFile, "utf8");
    // Written into the same file (same inode), then given back its time: only ctime tells.
    writeFileSync(runnerFile, source.replaceAll(JSON.stringify(version), JSON.stringify(other)));
    utimesSync(runnerFile, atime, mtime);
    const second = runCopy(bin, cache, ["--version"]);
    expect([second.stdout, second.code]).toEqual([`${other}\n`, 0]);
  });

  it("keeps compiled code private (0700, 0600), and leaves a directory others can write alone", () => {
    const { bin } = copyOfRunner();
    const cache = join(project(), "cache");
    const umask = process.umask(0);
    try {
      expect(runCopy(bin, cache, ["--version"]).code).toBe(0);
    } finally {
      process.umask(umask);
    }
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache, "compiled")).mode & 0o777).toBe(0o700);
    const [name] = codeCacheFiles(cache);
    const file = join(cache, "compiled", name!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Writable by others: neither read (V8 would run what it holds) nor written.
    chmodSync(join(cache, "compiled"), 0o777);
    writeFileSync(file, "planted");
    const run = runCopy(bin, cache, ["--version"]);
    expect([run.stderr, run.code]).toEqual(["", 0]);
    expect(readFileSync(file, "utf8")).toBe("planted");
  });

  it("starts from source when the cached code is damaged, and replaces it", () => {
    const { bin } = copyOfRunner();
    const cache = join(project(), "cache");
    expect(runCopy(bin, cache, ["--version"]).code).toBe(0);
    const [name] = codeCacheFiles(cache);
    const file = join(cache, "compiled", name!);
    const good = readFileSync(file);
    // The stamp line stays, so only V8's own check can reject what follows.
    const stampEnd = good.indexOf(10) + 1;
    const damaged = Buffer.concat([good.subarray(0, stampEnd), Buffer.alloc(good.length - stampEnd, 7)]);
    writeFileSync(file, damaged);
    const run = runCopy(bin, cache, ["--help"]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("Usage: runner");
    expect(run.code).toBe(0);
    expect(readFileSync(file).equals(damaged)).toBe(false);
  });

  it("runs without a usable cache directory", async () => {
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("hi");\n}\n` });
    // A cache "directory" that is a file: nothing can be kept, everything still works.
    const blocked = join(project({ file: "" }), "file");
    const run = await runRunner(["hi"], { cwd: dir, env: { RUNNER_CACHE_DIR: blocked } });
    expect([run.stdout, run.code]).toEqual(["hi\n", 0]);
  });
});
