// The file watcher behind --watch: chokidar (loaded here, so only a --watch run loads it) on
// the folders the sources patterns start from and on the tasks file and what it imports,
// walking only folders that may hold a source. Every event is a change: an edit in place,
// a new or deleted file, and an editor's save that writes a temporary file and renames it
// over the old one (chokidar reports an unlink followed at once by an add as a change, and
// the temporary file itself is no source). Bursts come out as one change set (change-batch.ts).
// Module files beside the tasks file and its imports are watched too, for a tasks file that no
// longer loads: the file it could not import may be the one that appears.
import { existsSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import type { FSWatcher } from "chokidar";
import { messageOf } from "../common/error-text.ts";
import { ChangeBatch } from "./change-batch.ts";
import { projectPath, type SourcePatterns } from "./source-patterns.ts";

export interface WatchTarget {
  /** The project directory: what source patterns are relative to. */
  readonly dir: string;
  /** Every watched task's sources together. */
  readonly sources: SourcePatterns;
  /** Files watched as they are (absolute): the tasks file and the local files it imports. */
  readonly files: readonly string[];
}

export interface Watcher {
  /** How many files are being watched for changes now. */
  count(): number;
  close(): Promise<void>;
}

export interface WatchHandlers {
  /** A change set: the absolute paths of a burst of changes. */
  readonly changed: (paths: readonly string[]) => void;
  /**
   * A module file (.ts, .js, .json…) beside the tasks file or a file it imports changed, or
   * appeared: no source of any task, but maybe the import that a tasks file which no longer
   * loads could not find.
   */
  readonly nearby: (paths: readonly string[]) => void;
  /** The watcher could not watch something (ENOSPC: too many watches). */
  readonly failed: (message: string) => void;
}

/** Starts watching; settles once the watcher has seen the files it starts from. */
export async function startWatcher(target: WatchTarget, handlers: WatchHandlers): Promise<Watcher> {
  const { watch } = await import("chokidar");
  const files = new Set(target.files);
  // The folders that lead to a watched file, which the walk must not leave out.
  const leading = new Set(target.files.flatMap((file) => ancestors(dirname(file))));
  const relativePath = (path: string): string => projectPath(target.dir, path);
  const watched = (path: string): boolean =>
    files.has(path) || (!isEditorScratch(basename(path)) && target.sources.matches(relativePath(path)));
  const codeDirs = new Set(target.files.map((file) => dirname(file)));
  const nearbyCode = (path: string): boolean => codeDirs.has(dirname(path)) && MODULE.test(path);
  const batch = new ChangeBatch(handlers.changed);
  const nearby = new ChangeBatch(handlers.nearby);
  const watcher: FSWatcher = watch(roots(target), {
    ignoreInitial: true,
    // Its handles do not keep runner alive (the watch loop does, while it waits): a run or a
    // reload whose code awaits what nothing can settle is then seen as stalled (Node's
    // beforeExit), as it is without --watch, rather than waiting for ever.
    persistent: false,
    ignored: (path, stats) => {
      if (stats === undefined || files.has(path)) return false;
      if (stats.isDirectory()) return !(leading.has(path) || target.sources.mayHold(relativePath(path)));
      return !watched(path) && !nearbyCode(path);
    },
  });
  watcher.on("all", (event, path) => {
    if (event !== "add" && event !== "change" && event !== "unlink") return;
    if (watched(path)) batch.add(path);
    else if (nearbyCode(path)) nearby.add(path);
  });
  let told = false;
  watcher.on("error", (error) => {
    if (told) return;
    told = true;
    handlers.failed(messageOf(error));
  });
  await new Promise<void>((resolve) => watcher.once("ready", resolve));
  return {
    count: () => {
      const listing = watcher.getWatched();
      return Object.entries(listing).reduce(
        (sum, [dir, names]) =>
          sum + names.filter((name) => listing[join(dir, name)] === undefined && watched(join(dir, name))).length,
        0,
      );
    },
    close: async () => {
      batch.dispose();
      nearby.dispose();
      await watcher.close();
    },
  };
}

/**
 * Where the walk starts: the folder (or file) each pattern starts from, or the nearest one
 * above it that exists (a folder made later is found from there), and the files themselves
 * and their folders.
 * chokidar would report a path that does not exist as ready before it has looked anywhere.
 */
function roots(target: WatchTarget): string[] {
  const starts = [
    ...target.sources.bases.map((base) => nearestExisting(join(target.dir, base))),
    ...target.files.filter((file) => existsSync(file)),
    // Their folders, for the module files beside them (WatchHandlers.nearby).
    ...target.files.map((file) => dirname(file)).filter((dir) => existsSync(dir)),
  ];
  const unique = [...new Set(starts)];
  return unique.filter((root) => !unique.some((other) => root.startsWith(`${other}${sep}`)));
}

/** What an import may name: a module of code, or JSON. */
const MODULE = /\.(?:[cm]?[jt]sx?|json)$/;

/**
 * An editor's scratch file, which `src/**` matches too: Vim's swap file (written every few
 * seconds while one types, not only on save), its backup and its `4913` write test, Emacs's
 * lock and autosave files, JetBrains' safe-write copies. None is a save; the save that
 * follows is the change.
 */
function isEditorScratch(name: string): boolean {
  return /^\..*\.sw[a-px]$|~$|^4913$|^\.#|^#.*#$|___jb_(?:tmp|old)___$/.test(name);
}

function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

function ancestors(dir: string): string[] {
  const found: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    found.push(at);
    if (dirname(at) === at) return found;
  }
}
