// Where fingerprints are kept between runs: one small file per task of a project,
// `<cache>/up-to-date/<hash of project dir>/<hash of task name>.rec`, private (0700 dirs,
// 0600 files), written atomically, so two runs at once never see half a record (the last
// writer wins). A record is keyed by the task's name, not its options: a run with other
// option values then finds a record whose fingerprint differs, and runs, rather than one
// made for those values before the last run overwrote their outputs. Anything unreadable,
// malformed, foreign or of another version is a miss, never an error; a write that fails
// only means the next run runs the task again.
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { privateDir, trustedFile, writeAtomically } from "../common/files.ts";
import { contentHash } from "../common/hash.ts";
import { decodeRecord, encodeRecord, type StepRecord } from "./record-file.ts";

/** A record's file name ends so (record-file.ts says what is in it). */
const RECORD = ".rec";
/** Records kept per project: the least recently written go first. */
const MAX_RECORDS = 500;
/** A project whose records nobody used for this long is dropped. */
const PROJECT_TTL_MS = 30 * 24 * 3600_000;
/** How often (at most) the projects are looked over for old ones. */
const PROJECT_SWEEP_MS = 24 * 3600_000;
/** A temporary file this old was left by a run that was killed while writing. */
const STALE_TMP_MS = 3600_000;

export interface StoreSettings {
  /** runner's cache directories, in order of preference (loader/tasks-cache.ts's). */
  readonly cacheDirs: readonly string[];
  readonly project: string;
  readonly uid: number | undefined;
  readonly epochMs: () => number;
}

export class RecordStore {
  private readonly projectKey: string;
  private touched = false;
  private pruned = false;

  constructor(private readonly settings: StoreSettings) {
    this.projectKey = contentHash(settings.project);
  }

  read(task: string): StepRecord | undefined {
    const { uid } = this.settings;
    for (const cache of this.settings.cacheDirs) {
      const root = join(cache, "up-to-date");
      const dir = join(root, this.projectKey);
      // Each level as the write wants it: one that someone else owns or can write could have
      // been swapped for theirs (an older record of this user's moved in, a link elsewhere).
      if (![cache, root, dir].every((level) => privateDir(level, uid, false))) continue;
      const path = join(dir, fileName(task));
      if (trustedFile(path, uid) === undefined) continue;
      let parsed: ReturnType<typeof decodeRecord>;
      try {
        parsed = decodeRecord(readFileSync(path));
      } catch {
        continue;
      }
      if (parsed === undefined || parsed.project !== this.settings.project || parsed.task !== task) continue;
      this.touch(dir);
      const { fingerprint, filesDigest, files, search, dirs } = parsed;
      return { fingerprint, filesDigest, files, search, dirs };
    }
    return undefined;
  }

  /** Writes the record in the first cache directory that takes it; never throws. */
  write(task: string, record: StepRecord): void {
    const { uid } = this.settings;
    const data = encodeRecord({ project: this.settings.project, task, ...record });
    for (const cache of this.settings.cacheDirs) {
      const root = join(cache, "up-to-date");
      const dir = join(root, this.projectKey);
      try {
        // Each level this user's alone: whoever could write one could plant a record.
        if (![cache, root, dir].every((level) => privateDir(level, uid, true))) continue;
        writeAtomically(join(dir, fileName(task)), data, { mode: 0o600, dirMode: 0o700 });
      } catch {
        continue;
      }
      if (!this.pruned) {
        this.pruned = true;
        this.prune(root, dir);
      }
      return;
    }
  }

  /**
   * A project whose records are used is not dropped as unused: its directory's time says when.
   * Set only when a day old (the sweep's own period): a write to the disk at every check
   * cost more than the rest of reading the record.
   */
  private touch(dir: string): void {
    if (this.touched) return;
    this.touched = true;
    try {
      const nowMs = this.settings.epochMs();
      if ((statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? 0) > nowMs - PROJECT_SWEEP_MS) return;
      const now = new Date(nowMs);
      utimesSync(dir, now, now);
    } catch {
      // Only the sweep's view of it.
    }
  }

  /** Keeps the store bounded; done once per run that writes, and cheap (one directory listing, mostly). */
  private prune(root: string, dir: string): void {
    const now = this.settings.epochMs();
    try {
      const records: { path: string; mtimeMs: number }[] = [];
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (name.startsWith(".")) {
          if (name.endsWith(".tmp") && (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now) < now - STALE_TMP_MS)
            rmSync(path, { force: true });
        } else if (name.endsWith(RECORD)) records.push({ path, mtimeMs: 0 });
        // An older runner's record (JSON): of no use to this one.
        else if (name.endsWith(".json")) rmSync(path, { force: true });
      }
      if (records.length > MAX_RECORDS) {
        for (const record of records) record.mtimeMs = statSync(record.path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
        records.sort((a, b) => a.mtimeMs - b.mtimeMs);
        for (const record of records.slice(0, records.length - MAX_RECORDS)) rmSync(record.path, { force: true });
      }
      const marker = join(root, ".swept");
      const swept = statSync(marker, { throwIfNoEntry: false })?.mtimeMs;
      if (swept !== undefined && swept > now - PROJECT_SWEEP_MS) return;
      writeAtomically(marker, "", { mode: 0o600, dirMode: 0o700 });
      for (const name of readdirSync(root)) {
        if (!/^[0-9a-f]{32}$/.test(name) || name === this.projectKey) continue;
        const path = join(root, name);
        const stat = statSync(path, { throwIfNoEntry: false });
        if (stat?.isDirectory() === true && stat.mtimeMs < now - PROJECT_TTL_MS) {
          rmSync(path, { recursive: true, force: true });
        }
      }
    } catch {
      // Pruning is housekeeping: another run may be at it too.
    }
  }
}

function fileName(task: string): string {
  return `${contentHash(task)}${RECORD}`;
}
