// Test support: a temp project per test, and the real CLI run as a child process.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";
import { inject } from "vitest";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
/** runner as built from the current src/ for this test run (test/global-setup.ts). */
export const runnerBuild = inject("runnerBuild");
export const runnerBin = join(runnerBuild, "bin", "runner.js");

/** A fresh directory under the OS temp dir holding the given files (paths may have folders). */
export function project(files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "runner-test-"));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** One cache directory per test process, so tests never share a user's cache. */
const cacheDir = mkdtempSync(join(tmpdir(), "runner-test-cache-"));

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr as they interleaved. */
  readonly all: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly input?: string;
  readonly timeoutMs?: number;
  /**
   * stdout and stderr into one pipe (`2>&1`), so that `all` (then also `stdout`) has runner's
   * own order: from two pipes, the reader may see one's later bytes before the other's earlier.
   */
  readonly oneStream?: boolean;
}

/** Environment without the colour, CI and RUNNER_* variables of whoever runs the tests; `extra` on top (undefined deletes). */
export function cleanEnv(extra: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RUNNER_CACHE_DIR: cacheDir };
  for (const key of Object.keys(env)) {
    if (key.startsWith("RUNNER_") && key !== "RUNNER_CACHE_DIR") Reflect.deleteProperty(env, key);
  }
  for (const key of ["FORCE_COLOR", "NO_COLOR", "CI", "GITHUB_ACTIONS"]) Reflect.deleteProperty(env, key);
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) Reflect.deleteProperty(env, key);
    else env[key] = value;
  }
  return env;
}

/** What a child prints, as it comes: each stream, and both in arrival order. */
export interface CollectedOutput {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly all: () => string;
}

export function collectOutput(child: { readonly stdout: Readable; readonly stderr: Readable }): CollectedOutput {
  let stdout = "";
  let stderr = "";
  let all = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    all += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
    all += text;
  });
  return { stdout: () => stdout, stderr: () => stderr, all: () => all };
}

/** Runs `node bin/runner.js ...args` and collects its output and exit status. */
export function runRunner(args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [file, words] =
      options.oneStream === true
        ? ["/bin/sh", ["-c", 'exec "$@" 2>&1', "sh", process.execPath, runnerBin, ...args]]
        : [process.execPath, [runnerBin, ...args]];
    const child = spawn(file, words, {
      cwd: options.cwd,
      env: cleanEnv(options.env ?? {}),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const output = collectOutput(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 25_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: output.stdout(), stderr: output.stderr(), all: output.all() });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Replaces durations (`12ms`, `1.2s`, `2m05s`) with `<time>` so output can be compared. */
export function normalize(text: string): string {
  return text.replace(/\b\d+(?:\.\d+)?(?:ms|s)\b|\b\d+m\d{2}s\b/g, "<time>");
}

export { cacheDir };
