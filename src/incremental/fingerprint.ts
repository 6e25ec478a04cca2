// A step's fingerprint (SPEC §10): one hash of everything that makes its result what it is —
// its source files' contents, its option values, args and rest, its own code, the values of
// its `env` variables, and its deps' fingerprints. Files are stat'ed first: one whose size,
// times and inode are as recorded keeps its recorded hash, so an up-to-date check of
// thousands of files reads none of them. (node:crypto, not common/hash.ts: content hashing
// in JavaScript is tens of ms a megabyte, and this module is loaded only for runs with `sources`.)
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Step } from "../plan/plan.ts";

/** A source file as recorded: its path (relative to the project directory), stat and content hash. */
export type FileEntry = readonly [
  path: string,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  ino: number,
  hash: string,
];

/**
 * How close to the check a file's change may be for its stat to vouch for its content next
 * time. File times have a coarse clock (a few ms; 2 s on FAT): a file written again within
 * the same tick, at the same size, keeps its stat. Such a file is recorded with no stat, so
 * the next check reads it again (as git does with "racily clean" entries).
 */
const RACY_MS = 2000;

function digest(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 32);
}

/**
 * The files' entries now: each stat'ed, and hashed only when its stat differs from its entry
 * in `previous`. A file gone since the glob is left out; one that cannot be read gets a hash
 * that matches nothing, so its task is never taken as up to date.
 */
export function hashFiles(
  dir: string,
  paths: readonly string[],
  previous: ReadonlyMap<string, FileEntry>,
  nowMs: number,
): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const path of paths) {
    const full = join(dir, path);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile()) continue;
    const { size, mtimeMs, ctimeMs, ino } = stat;
    const known = previous.get(path);
    let hash: string;
    if (known !== undefined && known[1] === size && known[2] === mtimeMs && known[3] === ctimeMs && known[4] === ino) {
      hash = known[5];
    } else {
      try {
        hash = digest(readFileSync(full));
      } catch {
        hash = `unreadable ${nowMs} ${Math.random()}`;
      }
    }
    const racy = Math.max(mtimeMs, ctimeMs) >= nowMs - RACY_MS;
    entries.push(racy ? [path, -1, -1, -1, -1, hash] : [path, size, mtimeMs, ctimeMs, ino, hash]);
  }
  return entries;
}

/** What a step's fingerprint is made of, besides its files. */
export interface FingerprintParts {
  readonly step: Step;
  /** The command environment's values of the task's `env` variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Its deps' fingerprints, in its deps' order. */
  readonly deps: readonly string[];
  /** Its source files; undefined for a task without `sources`. */
  readonly files: readonly FileEntry[] | undefined;
}

export function fingerprintOf({ step, env, deps, files }: FingerprintParts): string {
  const { task } = step;
  const head = JSON.stringify([
    1,
    task.name,
    step.options,
    step.args,
    step.rest,
    // A group task has no code of its own; `run` there is runner's, the same for every group.
    task.group ? "" : task.run.toString(),
    task.envNames.map((name) => [name, env[name] ?? null]),
    deps,
    task.outputs,
  ]);
  if (files === undefined) return digest(head);
  const lines = [head];
  for (const entry of files) lines.push(`${entry[0]}\0${entry[5]}`);
  return digest(lines.join("\n"));
}
