// The CPU burn of scenario 8, one definition for both sides: runner's burn tasks
// (bench/fixtures/isolate/tasks.ts imports it) and the fork-pool peer (bench/fork-burn.mjs).

/**
 * Burns `ms` of CPU (user + system) in JavaScript: arithmetic, checking process.cpuUsage()
 * between rounds (a loop of cpuUsage() calls alone would be mostly system time).
 * @param {number} ms
 * @returns {number}
 */
export function burn(ms) {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 100_000; i++) x = (x * 31 + i) | 0;
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return x;
  }
}
