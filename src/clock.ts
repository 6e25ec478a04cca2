// Monotonic milliseconds for durations. `performance.now()` would do, but the first touch of
// the `performance` global loads Node's whole perf_hooks machinery (a dozen internal modules)
// at every run; process.hrtime needs nothing.
const origin = process.hrtime.bigint();

/** Milliseconds since runner started, with sub-millisecond precision. */
export function now(): number {
  return Number(process.hrtime.bigint() - origin) / 1e6;
}
