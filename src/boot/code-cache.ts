// A CommonJS file of runner's dist/ loaded as Node's require() would, but from V8's compiled
// code where it can: compiling a big bundle costs more at every start than reading V8's
// compiled form of it. boot.ts loads runner.cjs this way; the Redis chunk (redis.cjs,
// bullmq and ioredis) comes through here too, on the paths that use Redis. The cache lives
// in runner's own cache directory, never in the shared temp dir, where another user could
// plant code.
import Module, { createRequire } from "node:module";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { Script } from "node:vm";
import { cacheDir, privateDir, trustedFile, writeAtomically } from "../common/files.ts";
import { contentHash } from "../common/hash.ts";

/** runner's compiled-code directory, when it is this user's alone; else code is compiled from source. */
export function compiledDir(): string | undefined {
  // Absolute now: runner later moves to the project directory, and the cache is written at exit.
  const root = resolve(cacheDir(process.env, homedir()));
  const dir = join(root, "compiled");
  const uid = process.getuid?.();
  return privateDir(root, uid, true) && privateDir(dir, uid, true) ? dir : undefined;
}

/**
 * What Node's require() does for the CommonJS `file`, with V8's code cache in `dir`: the
 * cached data is made once, at exit (so it holds the functions this run compiled), and used
 * while the file, its size and times and the Node version stay the same. (V8 itself checks
 * only the length of the source, so the stamp is what keeps a rebuilt file from running
 * stale code.) The cache file is named after the file (`runner-….v8` for runner.cjs).
 */
export function loadWithCodeCache(file: string, dir: string | undefined): unknown {
  const source = readFileSync(file, "utf8");
  const stat = statSync(file);
  // The change time too: an in-place copy that keeps size and mtime (`cp -p`) changes it.
  const stamp = Buffer.from(
    `${process.version} ${process.arch} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs} ${stat.ino}\n`,
  );
  const name = basename(file).replace(/\.c?js$/, "");
  const cacheFile =
    dir === undefined ? undefined : join(dir, `${name}-${contentHash(`${file}\0${process.version}`)}.v8`);
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
  return module.exports;
}
