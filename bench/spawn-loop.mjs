// The floor for scenario 4: a bare Node loop spawning `true` through the shell, N at a time.
// Usage: node bench/spawn-loop.mjs [count=200] [jobs=2] [command=true]
import { spawn } from "node:child_process";

const count = Number(process.argv[2] ?? 200);
const jobs = Number(process.argv[3] ?? 2);
const command = process.argv[4] ?? "true";
let started = 0;
let failed = 0;

function next() {
  if (started >= count) return Promise.resolve();
  started++;
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: "ignore" });
    child.on("error", () => {
      failed++;
      resolve();
    });
    child.on("close", (code) => {
      if (code !== 0) failed++;
      resolve();
    });
  }).then(next);
}

await Promise.all(Array.from({ length: Math.min(jobs, count) }, next));
process.exitCode = failed ? 1 : 0;
