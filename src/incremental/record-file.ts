// A record's bytes on disk. Most of a record is its files' stats — four numbers for each of
// thousands of files — and an up-to-date run reads it whole: as JSON (one small array per
// file) it was the largest single cost after the stats themselves, so the numbers are kept
// as raw 64-bit floats after a small JSON head, and read without parsing:
//
//   "RUTD" · version (uint32 LE) · head length H (uint32 LE) · head (JSON, H bytes, padded
//   with spaces) · stats (4 float64 LE per file: size, mtimeMs, ctimeMs, ino)
//
// The head holds the rest, the files' paths and hashes each joined by NUL (which no file name
// holds). Whatever does not add up — magic, version, lengths, types, counts — is no record.
import type { FileList } from "./fingerprint.ts";
import type { DirEntry } from "./sources.ts";

/** What a record holds: the fingerprint of the task's last successful run, and its files' stats then. */
export interface StepRecord {
  readonly fingerprint: string;
  /** The digest of the files' paths and hashes (fingerprint.ts). */
  readonly filesDigest: string;
  readonly files: FileList;
  /** The patterns the files were found with, and the directories whose listings they came from. */
  readonly search: string;
  readonly dirs: readonly DirEntry[];
}

/** A record with what it is for: a task of a project. */
export interface StoredRecord extends StepRecord {
  readonly project: string;
  readonly task: string;
}

const MAGIC = "RUTD";
const VERSION = 2;
const PREFIX = 12;
const STAT_FIELDS = 4;

export function encodeRecord(record: StoredRecord): Buffer {
  const { files, ...rest } = record;
  const head = Buffer.from(JSON.stringify({ ...rest, paths: files.paths.join("\0"), hashes: files.hashes.join("\0") }));
  // The stats start 8-aligned in the file, as a Float64Array would want them in memory.
  const padded = head.length + ((8 - ((PREFIX + head.length) % 8)) % 8);
  const prefix = Buffer.alloc(PREFIX + padded, " ");
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(VERSION, 4);
  prefix.writeUInt32LE(padded, 8);
  head.copy(prefix, PREFIX);
  const stats = Float64Array.from(files.stats);
  return Buffer.concat([prefix, new Uint8Array(stats.buffer, stats.byteOffset, stats.byteLength)]);
}

export function decodeRecord(data: Buffer): StoredRecord | undefined {
  if (data.length < PREFIX || data.toString("latin1", 0, 4) !== MAGIC || data.readUInt32LE(4) !== VERSION) {
    return undefined;
  }
  const headLength = data.readUInt32LE(8);
  if (PREFIX + headLength > data.length || (data.length - PREFIX - headLength) % (8 * STAT_FIELDS) !== 0) {
    return undefined;
  }
  let head: unknown;
  try {
    head = JSON.parse(data.toString("utf8", PREFIX, PREFIX + headLength));
  } catch {
    return undefined;
  }
  if (!isHead(head)) return undefined;
  const count = (data.length - PREFIX - headLength) / (8 * STAT_FIELDS);
  const paths = count === 0 ? [] : head.paths.split("\0");
  const hashes = count === 0 ? [] : head.hashes.split("\0");
  if (paths.length !== count || hashes.length !== count) return undefined;
  // A copy: the file's buffer need not be 8-aligned in memory.
  const start = data.byteOffset + PREFIX + headLength;
  const stats = new Float64Array(data.buffer.slice(start, start + count * 8 * STAT_FIELDS));
  const { project, task, fingerprint, filesDigest, search, dirs } = head;
  return { project, task, fingerprint, filesDigest, search, dirs, files: { paths, stats, hashes } };
}

interface Head {
  readonly project: string;
  readonly task: string;
  readonly fingerprint: string;
  readonly filesDigest: string;
  readonly search: string;
  readonly dirs: readonly DirEntry[];
  readonly paths: string;
  readonly hashes: string;
}

function isHead(value: unknown): value is Head {
  if (typeof value !== "object" || value === null) return false;
  const head = value as Record<string, unknown>;
  return (
    ["project", "task", "fingerprint", "filesDigest", "search", "paths", "hashes"].every(
      (key) => typeof head[key] === "string",
    ) &&
    Array.isArray(head.dirs) &&
    head.dirs.every(isDirEntry)
  );
}

function isDirEntry(value: unknown): value is DirEntry {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === "string" &&
    typeof value[1] === "number" &&
    typeof value[2] === "number" &&
    typeof value[3] === "number"
  );
}
