// A step's fingerprint (SPEC §10): one hash of everything that makes its result what it is —
// its source files' contents, its option values, args and rest, its own code, the values of
// its `env` variables, and its deps' fingerprints. Files are stat'ed first: one whose size,
// times and inode are as recorded keeps its recorded hash, so an up-to-date check of
// thousands of files reads none of them, and hashes nothing of that size either (the list's
// digest is the recorded one when every file is as recorded). Contents are hashed with
// node:crypto, loaded only then: common/hash.ts's JavaScript hash is tens of ms a megabyte.
import { readFileSync, statSync } from "node:fs";
import { contentHash } from "../common/hash.ts";
import type { Step } from "../plan/plan.ts";

/**
 * A task's source files as recorded, in columns (record-file.ts keeps them so): their paths
 * (relative to the project directory, sorted), four stat numbers each — size, mtimeMs,
 * ctimeMs, ino; all -1 for a file changed too close to its check — and content hashes.
 */
export interface FileList {
  readonly paths: readonly string[];
  readonly stats: ArrayLike<number>;
  readonly hashes: readonly string[];
}

/**
 * How close to the check a file's change may be for its stat to vouch for its content next
 * time. File times have a coarse clock (a few ms; 2 s on FAT): a file written again within
 * the same tick, at the same size, keeps its stat. Such a file is recorded with no stat, so
 * the next check reads it again (as git does with "racily clean" entries).
 */
const RACY_MS = 2000;

let createHash: typeof import("node:crypto").createHash | undefined;

function digest(data: string | Uint8Array): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only when something changed
  createHash ??= (require("node:crypto") as typeof import("node:crypto")).createHash;
  return createHash("sha256").update(data).digest("hex").slice(0, 32);
}

/** A step's source files now, and the digest of their list (paths and content hashes). */
export interface SourceFiles {
  readonly files: FileList;
  readonly digest: string;
  /**
   * Whether the files or their stats are not the recorded ones (a file kept without its stat
   * as racy, one touched with the same content): then the record is worth writing again, so
   * that the next check reads none of them.
   */
  readonly restated: boolean;
}

/**
 * The files' entries now: each stat'ed, and hashed only when its stat differs from its entry
 * in the last record. A file gone since the glob is left out; one that cannot be read gets a
 * hash that matches nothing, so its task is never taken as up to date.
 */
export function sourceFiles(
  dir: string,
  paths: readonly string[],
  previous: { readonly files: FileList; readonly filesDigest: string } | undefined,
  nowMs: number,
): SourceFiles {
  const recorded = previous?.files ?? { paths: [], stats: [], hashes: [] };
  // Given the record's own list (no folder changed), file i is entry i, and while every file
  // is as recorded the record's columns are the answer: nothing is built until one is not.
  const aligned = paths === recorded.paths;
  let built: { paths: string[]; stats: number[]; hashes: string[] } | undefined = aligned
    ? undefined
    : { paths: [], stats: [], hashes: [] };
  let asRecorded = previous !== undefined && paths.length === recorded.paths.length;
  // Otherwise both lists are sorted the same way: one pass over each finds a path's entry.
  let next = 0;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i] ?? "";
    if (aligned) next = i;
    else while (next < recorded.paths.length && (recorded.paths[next] ?? "") < path) next++;
    const at = recorded.paths[next] === path ? next * 4 : -1;
    const full = `${dir}/${path}`;
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile()) {
      asRecorded = false;
      built ??= firstOf(recorded, i);
      continue;
    }
    const { size, mtimeMs, ctimeMs, ino } = stat;
    const racy = Math.max(mtimeMs, ctimeMs) >= nowMs - RACY_MS;
    const same =
      at !== -1 &&
      recorded.stats[at] === size &&
      recorded.stats[at + 1] === mtimeMs &&
      recorded.stats[at + 2] === ctimeMs &&
      recorded.stats[at + 3] === ino;
    if (same && !racy && built === undefined) continue;
    const hash = same ? (recorded.hashes[next] ?? "") : contentOf(full, nowMs);
    // A path the record does not have (one renamed) is a change whatever its content.
    if (!same && (at === -1 || hash !== recorded.hashes[next])) asRecorded = false;
    built ??= firstOf(recorded, i);
    built.paths.push(path);
    built.hashes.push(hash);
    if (racy) built.stats.push(-1, -1, -1, -1);
    else built.stats.push(size, mtimeMs, ctimeMs, ino);
  }
  const files = built ?? recorded;
  const restated = built !== undefined;
  // Sorted paths, each with its recorded hash, as many as recorded: the very list recorded.
  if (asRecorded && previous !== undefined) return { files, digest: previous.filesDigest, restated };
  return {
    files,
    digest: digest(files.paths.map((path, i) => `${path}\0${files.hashes[i] ?? ""}`).join("\n")),
    restated,
  };
}

/** The record's first `count` files, as a list to go on with. */
function firstOf(files: FileList, count: number): { paths: string[]; stats: number[]; hashes: string[] } {
  return {
    paths: files.paths.slice(0, count),
    stats: Array.from({ length: count * 4 }, (_, i) => files.stats[i] ?? -1),
    hashes: files.hashes.slice(0, count),
  };
}

function contentOf(path: string, nowMs: number): string {
  try {
    return digest(readFileSync(path));
  } catch {
    return `unreadable ${nowMs} ${Math.random()}`;
  }
}

/** What a step's fingerprint is made of, besides its files. */
export interface FingerprintParts {
  readonly step: Step;
  /**
   * The tasks' code as bundled (comments dropped). Its own `run` text alone would miss an
   * edit to a value it reads (a constant at the top of the tasks file, a helper it imports):
   * any change to the code makes every task out of date once, and only a comment does not.
   */
  readonly code: string;
  /** The command environment's values of the task's `env` variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Its deps' fingerprints, in its deps' order. */
  readonly deps: readonly string[];
  /** Its source files' digest; undefined for a task without `sources`. */
  readonly files: string | undefined;
}

/** A short text's hash (common/hash.ts's, 128 bits): what changes here is small. */
export function fingerprintOf({ step, code, env, deps, files }: FingerprintParts): string {
  const { task } = step;
  return contentHash(
    JSON.stringify([
      2,
      code,
      task.name,
      step.options,
      step.args,
      step.rest,
      // A group task has no code of its own; `run` there is runner's, the same for every group.
      task.group ? "" : task.run.toString(),
      task.envNames.map((name) => [name, env[name] ?? null]),
      deps,
      task.outputs,
      files ?? null,
    ]),
  );
}
