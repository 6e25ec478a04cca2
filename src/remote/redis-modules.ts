// What runner's remote code takes from bullmq and ioredis, in one place: every import of
// either goes through this module (`await import("./redis-modules.ts")`), typed by their own
// types. The build (tasks/bundle.mjs) makes it dist/redis.cjs, bullmq and ioredis bundled in
// with ONE ioredis (bullmq's own require of it resolves to the same copy), and inside
// runner.cjs replaces it with src/boot/redis-chunk.ts, which loads that file from V8's
// compiled code: on the --redis and --worker paths only, and without resolving and reading
// some 150 package files there. Run from source (the tests), it is the packages themselves.
export { Queue, WaitingError, Worker } from "bullmq";
export { Redis } from "ioredis";
