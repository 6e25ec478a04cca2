// runner's start (dist/boot.cjs, required by bin/runner.js). It loads dist/runner.cjs, the CLI
// and the library in one CommonJS file, from compiled code where it can: compiling runner's
// JavaScript costs several ms at every start, reading V8's compiled form of it much less.
// This file loads it through vm.Script with V8's code cache, on every Node version. The cache
// lives in runner's own cache directory, never in the shared temp dir, where another user
// could plant code.
import Module, { createRequire } from "node:module";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Script } from "node:vm";
import { cacheDir, privateDir, trustedFile, writeAtomically } from "../common/files.ts";
import { contentHash } from "../common/hash.ts";
import type { BootOptions } from "./entry.ts";

interface RunnerModule {
  readonly cli: (options: BootOptions) => Promise<void>;
  readonly poolWorker: (options: BootOptions) => void;
}

type CompileCache = (dir: string) => unknown;

/** runner's compiled-code directory, when it is this user's alone; else runner starts from source. */
function compiledDir(): string | undefined {
  // Absolute now: runner later moves to the project directory, and the cache is written at exit.
  const root = resolve(cacheDir(process.env, homedir()));
  const dir = join(root, "compiled");
  const uid = process.getuid?.();
  return privateDir(root, uid, true) && privateDir(dir, uid, true) ? dir : undefined;
}

function loadRunner(file: string): RunnerModule {
  const dir = compiledDir();
  // Node 22.1+ caches what it compiles of other files (the tasks bundle); its cache of a
  // CommonJS file is made before the file runs, though, so it lacks every function compiled
  // later: for runner's own file, the code cache below holds more.
  const enableCompileCache = (Module as { enableCompileCache?: CompileCache }).enableCompileCache;
  if (enableCompileCache !== undefined && dir !== undefined) enableCompileCache(dir);
  return loadWithCodeCache(file, dir);
}

/**
 * What Node's require() does for a CommonJS file, with V8's code cache: the cached data is
 * made once, at exit (so it holds the functions this run compiled), and used while runner's
 * file, size and time and the Node version stay the same. (V8 itself checks only the length
 * of the source, so the stamp is what keeps a rebuilt runner from running stale code.)
 */
function loadWithCodeCache(file: string, dir: string | undefined): RunnerModule {
  const source = readFileSync(file, "utf8");
  const stat = statSync(file);
  // The change time too: an in-place copy that keeps size and mtime (`cp -p`) changes it.
  const stamp = Buffer.from(
    `${process.version} ${process.arch} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs} ${stat.ino}\n`,
  );
  const cacheFile =
    dir === undefined ? undefined : join(dir, `runner-${contentHash(`${file}\0${process.version}`)}.v8`);
  let cachedData: Buffer | undefined;
  try {
    // Only a file of this user's that no one else can write: compiled code is code.
    if (cacheFile !== undefined && trustedFile(cacheFile, process.getuid?.()) !== undefined) {
      const data = readFileSync(cacheFile);
      if (data.subarray(0, stamp.length).equals(stamp)) cachedData = data.subarray(stamp.length);
    }
  } catch {
    // No cache yet.
  }
  // Node's own wrapper, on the first line so that line numbers stay the file's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const require = createRequire(file);
  const module = new Module(file);
  module.filename = file;
  // Registered like any required module, so that a tasks file's require() of runner (and an ES
  // module's import of it) gets this same instance.
  require.cache[file] = module;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, require, module, file, dirname(file));
  } catch (error) {
    Reflect.deleteProperty(require.cache, file);
    throw error;
  }
  module.loaded = true;
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once("exit", () => {
      try {
        writeAtomically(cacheFile, Buffer.concat([stamp, script.createCachedData()]), { mode: 0o600 });
      } catch {
        // The next run tries again.
      }
    });
  }
  return module.exports as RunnerModule;
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
