// dist/runner.cjs: the CLI and the library in one CommonJS file, so that the CLI and the
// tasks files it loads share one copy of every class (`CommandError`). dist/index.* and
// dist/testing.* are its public faces (written by tasks/bundle.mjs). The CLI and
// runner-ts/testing load on first use: a tasks file needs neither, and they bring the process
// modules along.
/* eslint-disable @typescript-eslint/no-require-imports -- esbuild turns these require()s into
   lazy, synchronous initialisers inside the bundle. */
import { join } from "node:path";
import type { RunnerIdentity } from "../world/world.ts";
import { facesIn } from "./faces.ts";

export * as library from "../index.ts";

export function testing(): typeof import("../testing.ts") {
  return require("../testing.ts") as typeof import("../testing.ts");
}

declare const RUNNER_VERSION: string;

export interface BootOptions {
  /** import() from a module Node loaded itself (boot.cjs): this file may come through vm.Script. */
  readonly importModule: (specifier: string) => Promise<unknown>;
}

/** runner as the build made it: its version, and the faces beside this file in dist/. */
function identity(): RunnerIdentity {
  return { version: RUNNER_VERSION, entries: facesIn(import.meta.dirname) };
}

/** The command line: `runner ...` in the real world, to its exit. */
export async function cli(options: BootOptions): Promise<void> {
  const { realWorld, flushOutput, exitWith } = require("../world/real.ts") as typeof import("../world/real.ts");
  const { main, statusAfterOutput } = require("../cli/main.ts") as typeof import("../cli/main.ts");
  const world = realWorld({
    runner: identity(),
    importModule: options.importModule,
    watchdog: join(import.meta.dirname, "watchdog.cjs"),
  });
  const status = await main(world);
  await flushOutput();
  exitWith(statusAfterOutput(world, status));
}

/** A pool worker (src/pool/worker-main.ts): forked by runner for isolated tasks. */
export function poolWorker(options: BootOptions): void {
  const { realWorld } = require("../world/real.ts") as typeof import("../world/real.ts");
  const { workerMain } = require("../pool/worker-main.ts") as typeof import("../pool/worker-main.ts");
  const world = realWorld({
    runner: identity(),
    importModule: options.importModule,
    watchdog: join(import.meta.dirname, "watchdog.cjs"),
  });
  workerMain(world);
}
