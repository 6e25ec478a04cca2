// The peer for scenario 8: a plain Node pool on child_process.fork. It forks `jobs` workers
// of this same script and hands them `count` jobs over IPC, at most `jobs` at a time; each
// job burns `ms` of CPU in JavaScript until process.cpuUsage() shows it used (burn.mjs, as
// the burn tasks of bench/fixtures/isolate/tasks.ts).
// Usage: node bench/fork-burn.mjs [count=4] [jobs=2] [ms=1000]
import { fork } from "node:child_process";
import { burn } from "./burn.mjs";

if (process.argv[2] === "--worker") {
  process.on("message", (ms) => {
    burn(ms);
    process.send("done");
  });
} else {
  const count = Number(process.argv[2] ?? 4);
  const jobs = Number(process.argv[3] ?? 2);
  const ms = Number(process.argv[4] ?? 1000);
  let given = 0;
  let finished = 0;
  const give = (worker) => {
    if (given >= count) return worker.disconnect();
    given++;
    worker.send(ms);
  };
  for (let i = 0; i < Math.min(jobs, count); i++) {
    const worker = fork(import.meta.filename, ["--worker"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    worker.on("message", () => {
      finished++;
      give(worker);
    });
    worker.on("exit", (code) => {
      if (code !== 0) process.exitCode = 1;
    });
    give(worker);
  }
  process.on("exit", () => {
    if (finished !== count) process.exitCode = 1;
  });
}
