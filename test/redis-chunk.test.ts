// bullmq and ioredis as runner ships them (tasks/bundle.mjs): built into dist/redis.cjs, which
// runner loads through V8's code cache on the --redis and --worker paths only. A copy of
// runner with only its package.json's dependencies installed runs a worker and a --redis
// run, so nothing of bullmq's or ioredis's is left to node_modules.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, repoRoot, runnerBuild } from "./helpers.ts";
import { hasRedis, requireRedisInCI } from "./redis-server.ts";
import { machinesFor, sharedRedis, startRunner, startWorker } from "./remote-helpers.ts";

requireRedisInCI();

const machines = machinesFor(
  () => `import { task } from "runner";\nexport const greet = task({ run: (ctx) => ctx.run("echo hello") });\n`,
);
const redis = sharedRedis();

/** A copy of runner's bin/ and dist/, with node_modules holding its runtime dependencies alone (links to the repository's). */
function installedRunner(): string {
  const copy = project();
  for (const part of ["bin", "dist", "package.json"])
    cpSync(join(runnerBuild, part), join(copy, part), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(pkg.dependencies)) {
    mkdirSync(join(copy, "node_modules", name, ".."), { recursive: true });
    symlinkSync(join(repoRoot, "node_modules", name), join(copy, "node_modules", name));
  }
  return join(copy, "bin", "runner.js");
}

/** The compiled code in cache directory `cache`, by the file it is of (`runner`, `redis`). */
function compiled(cache: string): string[] {
  const dir = join(cache, "compiled");
  const names = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".v8")) : [];
  return names.map((name) => name.replace(/-[0-9a-f]+\.v8$/, "")).sort();
}

describe.skipIf(!hasRedis)("runner's Redis chunk", () => {
  it("is loaded, from compiled code, by a worker and a --redis run, and never by a run without Redis", async () => {
    const bin = installedRunner();
    const m = machines(1);
    const cache = join(project(), "cache");
    const env = { RUNNER_CACHE_DIR: cache };
    for (const args of [["--list"], ["greet"]]) {
      const local = await startRunner(args, m.here, env, bin).ended;
      expect(local.code, local.all).toBe(0);
    }
    expect(compiled(cache)).toEqual(["runner"]);

    await startWorker({ dir: m.there[0] ?? "", url: redis.server.url, name: "w1", env, bin });
    for (let i = 0; i < 2; i++) {
      const remote = await startRunner(["--redis", redis.server.url, "greet"], m.here, env, bin).ended;
      expect([remote.code, remote.stdout], remote.all).toEqual([0, "hello\n"]);
      // The first run leaves the chunk's compiled code; the second starts from it.
      expect(compiled(cache)).toEqual(["redis", "runner"]);
    }
  }, 60_000);
});
