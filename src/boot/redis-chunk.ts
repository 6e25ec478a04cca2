// dist/redis.cjs (src/remote/redis-modules.ts built with bullmq and ioredis in it), loaded
// through V8's code cache (code-cache.ts). In runner.cjs the build puts this in the place of
// redis-modules.ts, so the remote code's `import("./redis-modules.ts")` lands here: the
// chunk loads on the first such import, never at the start of a run without Redis.
import { join } from "node:path";
import type * as RedisModules from "../remote/redis-modules.ts";
import { compiledDir, loadWithCodeCache } from "./code-cache.ts";

/** The chunk beside runner.cjs in dist/. Called once: the build's module wrapper keeps what it returns. */
export function redisChunk(): typeof RedisModules {
  return loadWithCodeCache(join(import.meta.dirname, "redis.cjs"), compiledDir()) as typeof RedisModules;
}
