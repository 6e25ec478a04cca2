// dist/runner.cjs: the CLI and the library in one CommonJS file, so that the CLI and the
// tasks files it loads share one copy of every class (`CommandError`). dist/index.* and
// dist/testing.* are its public faces (written by tasks/bundle.mjs). The CLI and runner/testing
// load on first use: a tasks file needs neither, and they bring the process modules along.
/* eslint-disable @typescript-eslint/no-require-imports -- esbuild turns these require()s into
   lazy, synchronous initialisers inside the bundle. */
import type { StartOptions } from "./cli.ts";

export * as library from "./index.ts";

export function testing(): typeof import("./testing.ts") {
  return require("./testing.ts") as typeof import("./testing.ts");
}

export function start(options: StartOptions): Promise<void> {
  return (require("./cli.ts") as typeof import("./cli.ts")).start(options);
}
