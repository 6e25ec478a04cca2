// runner in the test's own process: `main(world)` with a World of the test's making, for
// the tests of text and exit codes (no child process for runner itself, so they are fast).
// Its tasks files get the faces of this run's build (test/global-setup.ts), as they would
// from an installed runner. What such a world cannot do, tests do with the real CLI: signals,
// process groups, start-up, exact bytes on terminals and pipes.
import { Console } from "node:console";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { facesIn } from "../src/boot/faces.ts";
import { main } from "../src/cli/main.ts";
import { captureWrites, fillEnv, trapExit } from "../src/world/real.ts";
import type { RunnerIdentity, World, Writer } from "../src/world/world.ts";
import { cacheDir, cleanEnv, repoRoot, runnerBuild, type RunResult } from "./helpers.ts";

const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const dist = join(runnerBuild, "dist");

export const testRunner: RunnerIdentity = { version, entries: facesIn(dist) };

const require = createRequire(import.meta.url);
// Node's own import(), not the test runner's: bundles in the cache are plain JavaScript.
const nativeImport = require("./native-import.cjs") as (specifier: string) => Promise<unknown>;

export interface WorldOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The watchdog's start (none by default: a test process is not to be ended from a thread). */
  readonly startWatchdog?: World["startWatchdog"];
}

export interface TestWorld {
  readonly world: World;
  /** What runner wrote so far. */
  readonly output: () => { readonly stdout: string; readonly stderr: string; readonly all: string };
}

/** A World for `runner <args>` in `cwd`, its output collected, no terminal, no signals. */
export function testWorld(args: readonly string[], options: WorldOptions): TestWorld {
  let stdout = "";
  let stderr = "";
  let all = "";
  const writer = (add: (text: string) => void): Writer => ({
    write: (chunk) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      add(text);
      all += text;
    },
    drained: () => undefined,
    failure: () => undefined,
    isTTY: false,
    columns: () => 80,
  });
  const origin = process.hrtime.bigint();
  const world: World = {
    argv: args,
    env: cleanEnv(options.env ?? {}),
    cwd: options.cwd,
    // For real: runInProcess puts the test process's directory back after the run.
    chdir: (dir) => process.chdir(dir),
    home: homedir(),
    tmpdir,
    platform: process.platform,
    pid: process.pid,
    node: { execPath: process.execPath, execArgv: [] },
    uid: process.getuid?.(),
    stdout: writer((text) => (stdout += text)),
    stderr: writer((text) => (stderr += text)),
    outputFlood: () => {},
    stdinInheritable: false,
    terminalSize: () => undefined,
    clock: { now: () => Number(process.hrtime.bigint() - origin) / 1e6, epochMs: () => Date.now() },
    runner: testRunner,
    importModule: nativeImport,
    // Left alone in a test process: the loader maps the stacks it reads itself.
    mapStackTraces: () => {},
    onSignal: () => () => {},
    onIdle: () => () => {},
    onExit: () => () => {},
    kill: (pid, signal) => {
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
    captureWrites,
    trapExit,
    startWatchdog: options.startWatchdog ?? (() => undefined),
    onUncaught: () => () => {},
    fillEnv,
    exitCode: { get: () => undefined, reset: () => {} },
  };
  return { world, output: () => ({ stdout, stderr, all }) };
}

/**
 * `runner <args>` in `cwd`, in this process: its output and exit status, as runRunner gives
 * them for the real CLI. Task code runs with `cwd` as its working directory, as it would.
 */
export async function runInProcess(args: readonly string[], options: WorldOptions): Promise<RunResult> {
  const { world, output } = testWorld(args, options);
  const previous = { cwd: process.cwd(), console: globalThis.console };
  process.chdir(options.cwd);
  // vitest's own console reports to vitest; task code's console.log must reach process.stdout,
  // as in a process of runner's own, where runner captures it.
  globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
  let code: number;
  try {
    code = await main(world);
  } finally {
    globalThis.console = previous.console;
    process.chdir(previous.cwd);
    // Each run loads its tasks afresh, as a process of its own would (module state included).
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(cacheDir)) Reflect.deleteProperty(require.cache, key);
    }
  }
  return { code, signal: null, ...output() };
}
