// runner's start (dist/boot.cjs, required by bin/runner.js). It loads dist/runner.cjs, the CLI
// and the library in one CommonJS file, from compiled code where it can: compiling runner's
// JavaScript costs several ms at every start, reading V8's compiled form of it much less.
// This file loads it through vm.Script with V8's code cache (code-cache.ts), on every Node
// version.
import Module from "node:module";
import { join } from "node:path";
import { compiledDir, loadWithCodeCache } from "./code-cache.ts";
import type { BootOptions } from "./entry.ts";

interface RunnerModule {
  readonly cli: (options: BootOptions) => Promise<void>;
  readonly poolWorker: (options: BootOptions) => void;
}

type CompileCache = (dir: string) => unknown;

function loadRunner(file: string): RunnerModule {
  const dir = compiledDir();
  // Node 22.1+ caches what it compiles of other files (the tasks bundle); its cache of a
  // CommonJS file is made before the file runs, though, so it lacks every function compiled
  // later: for runner's own file, the code cache holds more.
  const enableCompileCache = (Module as { enableCompileCache?: CompileCache }).enableCompileCache;
  if (enableCompileCache !== undefined && dir !== undefined) enableCompileCache(dir);
  return loadWithCodeCache(file, dir) as RunnerModule;
}

// import() works here, in a module Node loaded itself; runner.cjs may have come through
// vm.Script, where it would not: runner's code imports through the world's importModule.
const runner = loadRunner(join(import.meta.dirname, "runner.cjs"));
const boot: BootOptions = { importModule: (specifier) => import(specifier) };
// A pool worker runner forked for isolated tasks (src/pool/): not a command line. Its mark is
// not passed on to the commands its tasks run.
if (process.env.RUNNER_POOL_WORKER === "1" && process.send !== undefined) {
  delete process.env.RUNNER_POOL_WORKER;
  runner.poolWorker(boot);
} else void runner.cli(boot);
