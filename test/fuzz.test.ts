// Fuzzing the command line and the configuration: a seeded generator of command lines,
// environment variables and config files, run in-process. Whatever it makes, runner either
// succeeds or says what is wrong in one line with exit status 2: never a stack trace, never
// an internal error (70). Bounded in count, so it takes seconds; the seed is printed with any
// failure, to replay it.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project } from "./helpers.ts";
import { runInProcess } from "./world.ts";
import { random } from "./random.ts";

const TASKS = `import { task } from "runner-ts";
export const build = task({
  aliases: ["b"],
  options: {
    target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
    jobs: { type: "number", default: 4, short: "j" },
    watch: { type: "boolean", default: false, short: "w" },
    entry: { type: "string", positional: true, required: true },
    define: { type: "string", multiple: true },
  },
  run: () => {},
});
export const test = task({
  options: { files: { type: "string", positional: true, multiple: true }, quiet: { type: "boolean", short: "q" } },
  run: () => {},
});
export function lint() {}
export const docs = { build: () => {}, serve: task({ options: { port: { type: "number" } }, run: () => {} }) };
`;

const WEIRD = [
  "",
  " ",
  "-",
  "--",
  "-1",
  "-5",
  "0",
  "0x10",
  "1e3",
  "Infinity",
  "NaN",
  "99999999999999999999999",
  "é",
  "a\nb",
  "a\u0000b",
  "'",
  '"',
  "=",
  "==x",
  "%s",
  "\u001b[31m",
  "x".repeat(500),
  "es5",
  "esnext",
  "true",
  "false",
  "yes",
];
const WORDS = ["build", "b", "test", "lint", "docs", "docs.build", "docs.serve", "docs.nope", "nope", "BUILD", "biuld"];
const CORE = [
  "-p",
  "-j",
  "-j2",
  "-j0",
  "--jobs",
  "-k",
  "-q",
  "-v",
  "-e",
  "--no-echo",
  "-w",
  "-n",
  "--plan",
  "--json",
  "--list",
  "-l",
  "--help",
  "-h",
  "--version",
  "--color",
  "--no-color",
  "--no-dedupe",
  "--output",
  "--timeout",
  "--retries",
  "--completion",
  "-kqn",
  "-qj3",
  "--lsit",
  "--output=grouped",
  "--timeout=5m",
  "-f",
  "-C",
  "--report",
  "--junit",
  "--graph",
  "--graph=dot",
  "--graph=svg",
  "mermaid",
  "--trace",
  "--isolate",
  "--stats",
];
const TASK_OPTIONS = [
  "--target",
  "--target=esnext",
  "--jobs",
  "-j",
  "-j8",
  "--watch",
  "--no-watch",
  "-w",
  "-wj",
  "--define",
  "--port",
  "--quiet",
  "-q",
  "--tagret",
];
const SAFE_PATHS = ["tasks.ts", "nope.ts", "out/run.json", "sub", ".", "run.json", "sub/x.xml"];
const SETTINGS = [
  "jobs",
  "output",
  "timeout",
  "retries",
  "killGrace",
  "shell",
  "env",
  "echo",
  "color",
  "file",
  "dotenv",
  "captureLimit",
  "jbos",
];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T;
}

function commandLine(next: () => number): string[] {
  const words: string[] = [];
  for (let n = Math.floor(next() * 7); n > 0; n--) {
    const roll = next();
    if (roll < 0.25) words.push(pick(next, WORDS));
    else if (roll < 0.5) words.push(pick(next, CORE));
    else if (roll < 0.7) words.push(pick(next, TASK_OPTIONS));
    else if (roll < 0.8) words.push(pick(next, SAFE_PATHS));
    else words.push(pick(next, WEIRD));
  }
  return words;
}

function value(next: () => number, depth = 0): unknown {
  const roll = next();
  if (roll < 0.2) return pick(next, WEIRD);
  if (roll < 0.35) return Math.floor(next() * 2000) - 1000;
  if (roll < 0.4) return next() < 0.5 ? 1e308 : -0.5;
  if (roll < 0.5) return next() < 0.5;
  if (roll < 0.55) return null;
  if (roll < 0.7 && depth < 2) return [value(next, depth + 1), value(next, depth + 1)];
  if (roll < 0.85 && depth < 2) return { [pick(next, SETTINGS)]: value(next, depth + 1), A: pick(next, WEIRD) };
  return pick(next, ["prefixed", "grouped", "quiet", "interleaved", "90s", "2", "/bin/sh", ".env"]);
}

function config(next: () => number): string {
  const settings: Record<string, unknown> = {};
  for (let n = Math.floor(next() * 3); n > 0; n--) settings[pick(next, SETTINGS)] = value(next);
  return next() < 0.1 ? pick(next, ["", "{", "[]", "null", "3", '"x"']) : JSON.stringify(settings);
}

function environment(next: () => number): Record<string, string> {
  const env: Record<string, string> = {};
  if (next() < 0.3) {
    const key = pick(next, [
      "JOBS",
      "OUTPUT",
      "TIMEOUT",
      "RETRIES",
      "KILL_GRACE",
      "ECHO",
      "COLOR",
      "ENV",
      "DOTENV",
      "CAPTURE_LIMIT",
    ]);
    env[`RUNNER_${key}`] = pick(next, WEIRD);
  }
  return env;
}

const CASES = 500;
const SEED = 20261201;

describe("fuzzing the command line and the configuration", () => {
  it(`${CASES} generated runs from seed ${SEED}: success, or exit 2 with one line; never a stack, never 70`, async () => {
    const next = random(SEED);
    // One project for every case (its tasks are bundled once); only its config changes.
    const dir = project({ "tasks.ts": TASKS, "package.json": "{}" });
    for (let i = 0; i < CASES; i++) {
      const args = commandLine(next);
      const env = environment(next);
      const rc = next() < 0.5 ? config(next) : undefined;
      if (rc !== undefined) writeFileSync(join(dir, ".runnerrc.json"), rc);
      else rmSync(join(dir, ".runnerrc.json"), { force: true });
      const run = await runInProcess(args, { cwd: dir, env });
      const what = `case ${i}: runner ${JSON.stringify(args)} env ${JSON.stringify(env)} .runnerrc.json ${rc ?? "(none)"}\n${run.all}`;
      // A stack frame (`    at fn (file:line:col)`), not a wrapped help line that starts with "at".
      expect(run.all, what).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
      expect(run.all, what).not.toContain("internal error");
      expect([0, 2], what).toContain(run.code);
      if (run.code === 2) {
        // (-v says where the tasks came from first; a syntax error is followed by its code frame.)
        const lines = run.stderr
          .split("\n")
          .filter((line) => line !== "" && !line.startsWith("runner: tasks from") && !/^[> ] +\d* \| /.test(line));
        expect(lines, what).toHaveLength(1);
        expect(run.stdout, what).toBe("");
      }
    }
  }, 120_000);
});
