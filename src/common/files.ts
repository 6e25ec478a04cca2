// The directories and files runner writes: its cache (transpiled tasks files, compiled
// code), a `mkdir -p` that works everywhere, and atomic writes. Light on purpose: the boot
// loader imports it.
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** `$RUNNER_CACHE_DIR`, else `$XDG_CACHE_HOME/runner`, else `~/.cache/runner`. */
export function cacheDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.RUNNER_CACHE_DIR) return env.RUNNER_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(home, ".cache");
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
 * sees half a file, and a failed write leaves none. Missing directories are created (with
 * `dirMode`). The temporary name is random and opened only if it does not exist yet (`wx`,
 * which never follows a link), so something planted under a name cannot redirect the write:
 * at worst it fails. (Math.random is enough for the name: another user cannot observe it,
 * and `wx` makes a guessed one fail rather than redirect.)
 */
export function writeAtomically(
  path: string,
  data: string | Uint8Array,
  { mode, dirMode }: { readonly mode?: number; readonly dirMode?: number } = {},
): void {
  makeDir(dirname(path), dirMode);
  const random = Math.random().toString(36).slice(2, 12);
  const temporary = join(dirname(path), `.${basename(path)}.${random}.tmp`);
  let created = false;
  try {
    const fd = openSync(temporary, "wx", mode);
    created = true;
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    // Only a file this call made is removed: an existing one under the name is not ours.
    if (created) {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // The write's own error is the one to report.
      }
    }
    throw error;
  }
}

/**
 * Writes a file the user named (a report): a regular file of its own, or none yet, is
 * replaced atomically; anything else — a device, a FIFO, a symlink, a file with other names
 * (hard links) — is written through, as a shell's `>` would, never replaced.
 */
export function writeNamedFile(path: string, data: string | Uint8Array): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat === undefined || (stat.isFile() && stat.nlink === 1)) {
    writeAtomically(path, data);
    return;
  }
  try {
    writeFileSync(path, data);
  } catch (error) {
    // /dev/stdout of a process whose stdout is a socket cannot be opened (ENXIO): write to
    // the descriptor it names.
    const fd = (error as { code?: unknown }).code === "ENXIO" ? descriptorOf(path) : undefined;
    if (fd === undefined) throw error;
    writeFileSync(fd, data);
  }
}

/** The descriptor a /dev/stdout, /dev/stderr or /dev/fd/N path names, if it names one. */
function descriptorOf(path: string): number | undefined {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    target = path;
  }
  const match = /^\/(?:proc\/self|dev)\/fd\/(\d+)$/.exec(target) ?? /^\/dev\/(stdout|stderr)$/.exec(path);
  if (match === null) return undefined;
  return match[1] === "stdout" ? 1 : match[1] === "stderr" ? 2 : Number(match[1]);
}

/**
 * Whether `dir` is a private directory of the user `uid` (undefined: no users here): a real
 * directory (not a link), theirs or root's, that no one else can write. With `create`, a
 * missing one is made, 0700. A cache in a directory someone else can write is code that
 * someone else can make runner run.
 */
export function privateDir(dir: string, uid: number | undefined, create: boolean): boolean {
  try {
    if (create) makeDir(dir, 0o700);
    return trusted(lstatSync(dir), uid, "directory");
  } catch {
    return false;
  }
}

/** The file's stat when it is a regular file of `uid`'s (or root's) that no one else can write. */
export function trustedFile(path: string, uid: number | undefined): import("node:fs").Stats | undefined {
  try {
    const stat = lstatSync(path);
    return trusted(stat, uid, "file") ? stat : undefined;
  } catch {
    return undefined;
  }
}

function trusted(stat: import("node:fs").Stats, uid: number | undefined, kind: "file" | "directory"): boolean {
  if (kind === "file" ? !stat.isFile() : !stat.isDirectory()) return false;
  if (uid === undefined) return true;
  return (stat.uid === uid || stat.uid === 0) && (stat.mode & 0o022) === 0;
}
