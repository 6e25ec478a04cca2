// The directories and files runner writes: its cache (transpiled tasks files, compiled code),
// a `mkdir -p` that works everywhere, and atomic writes. Light on purpose: the boot loader
// imports it.
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";

export function cacheDir(env: NodeJS.ProcessEnv): string {
  if (env.RUNNER_CACHE_DIR) return env.RUNNER_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "runner");
}

/**
 * `mkdir -p`, one level at a time. Node's own `recursive: true` never returns on some
 * filesystems (it retries for ever under /proc), and a cache directory is user input.
 */
export function makeDir(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let at = dir; statSync(at, { throwIfNoEntry: false }) === undefined; at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path, mode === undefined ? {} : { mode });
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EEXIST") throw error;
    }
  }
}

/**
 * Writes `data` to `path` through a temporary file in the same directory, renamed into
 * place (atomic on one file system): a reader, or a run started at the same time, never
 * sees half a file, and a failed write leaves none. Missing directories are created.
 */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  makeDir(dirname(path));
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The write's own error is the one to report.
    }
    throw error;
  }
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}
