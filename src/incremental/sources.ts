// Which files a task's `sources` and `outputs` globs match (SPEC §10), relative to the
// project directory: one walk of the directories the patterns can reach, each file name
// tested against one regular expression (picomatch's, all patterns in one). Not tinyglobby:
// on 5,000 files its walk took three times as long (a matcher and an ignore list of several
// patterns each, per file, and its own directory expansion), and an up-to-date run is meant
// to cost little more than `runner --list`. The walk records each directory it read, with
// its stat: while none of them changed, no file was added, removed or renamed in them, and
// the next check takes the recorded list of files without walking (nor loading picomatch,
// which is loaded on first use only: a run with no task that has `sources` never loads it).
import { readdirSync, realpathSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";

type Picomatch = typeof import("picomatch");

let loaded: Promise<Picomatch> | undefined;

function picomatch(): Promise<Picomatch> {
  return (loaded ??= import("picomatch").then((module) => module.default));
}

/** A directory as the walk found it: its stat, [0, 0, 0] when absent, [-1, -1, -1] when racy. */
export type DirEntry = readonly [path: string, mtimeMs: number, ctimeMs: number, ino: number];

/** The files the patterns match, sorted, and the directories whose listings decided that. */
export interface Listing {
  readonly paths: readonly string[];
  readonly dirs: readonly DirEntry[];
}

/** As in fingerprint.ts: a directory changed this close to the walk may change again unseen. */
const RACY_MS = 2000;

function dirEntry(dir: string, path: string, nowMs: number): DirEntry {
  const stat = statSync(path === "" ? dir : `${dir}/${path}`, { throwIfNoEntry: false });
  if (stat === undefined) return [path, 0, 0, 0];
  if (Math.max(stat.mtimeMs, stat.ctimeMs) >= nowMs - RACY_MS) return [path, -1, -1, -1];
  return [path, stat.mtimeMs, stat.ctimeMs, stat.ino];
}

/** Whether every directory of a listing still has the stat it had: then its files are the same. */
export function listingUnchanged(dir: string, dirs: readonly DirEntry[], nowMs: number): boolean {
  return dirs.every((entry) => {
    const now = dirEntry(dir, entry[0], nowMs);
    return now[1] !== -1 && now[1] === entry[1] && now[2] === entry[2] && now[3] === entry[3];
  });
}

/** Left out of every walk unless a pattern names them: nobody means a dependency's or git's files. */
const USUALLY_IGNORED = ["node_modules", ".git"];

/** What one walk looks for. */
interface Search {
  /** Directories to walk (relative; "" is the project directory) and files to look at directly. */
  readonly roots: readonly string[];
  readonly literals: readonly string[];
  readonly match: RegExp;
  readonly ignore: RegExp | undefined;
  /** Directories never entered: `node_modules` and `.git` by name, others by path. */
  readonly skipNames: ReadonlySet<string>;
  readonly skipPaths: ReadonlySet<string>;
}

/** `src/` and `src`, when src is a directory, mean what is under it: `src/**`. */
function expand(dir: string, pattern: string, pm: Picomatch): string {
  if (pattern.endsWith("/")) return `${pattern}**`;
  if (pm.scan(pattern).isGlob) return pattern;
  return statSync(join(dir, pattern), { throwIfNoEntry: false })?.isDirectory() === true ? `${pattern}/**` : pattern;
}

function oneExpression(patterns: readonly string[], pm: Picomatch): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  // Dot files count (`.env`, `.babelrc`).
  const sources = patterns.map((pattern) => `(?:${pm.makeRe(pattern, { dot: true }).source})`);
  return new RegExp(sources.join("|"));
}

function search(
  dir: string,
  patterns: readonly string[],
  excludes: readonly string[],
  skipPaths: readonly string[],
  pm: Picomatch,
): Search {
  const positive = patterns.map((pattern) => expand(dir, pattern, pm));
  const roots: string[] = [];
  const literals: string[] = [];
  for (const pattern of positive) {
    const scan = pm.scan(pattern);
    if (scan.isGlob) roots.push(scan.base);
    else literals.push(pattern);
  }
  // A root inside another is walked with it.
  const walked = [...new Set(roots)]
    .sort()
    .filter((root, index, all) => !all.slice(0, index).some((outer) => outer === "" || root.startsWith(`${outer}/`)));
  const named = (name: string): boolean => positive.some((pattern) => pattern.split("/").includes(name));
  return {
    roots: walked,
    literals,
    match: oneExpression(positive, pm) ?? /$^/,
    ignore: oneExpression(
      excludes.map((pattern) => expand(dir, pattern, pm)),
      pm,
    ),
    skipNames: new Set(USUALLY_IGNORED.filter((name) => !named(name))),
    skipPaths: new Set(skipPaths),
  };
}

/**
 * Calls `found` with each file the search matches, once each, until it returns true (then
 * returns true), and `read` with each directory it reads (and the parents of its roots and
 * literals). Unreadable directories are passed over; links are followed, a linked
 * directory only once.
 */
function walk(
  dir: string,
  { roots, literals, match, ignore, skipNames, skipPaths }: Search,
  found: (path: string) => boolean,
  read: (path: string) => void = () => {},
): boolean {
  const seen = new Set<string>();
  const linked = new Set<string>();
  const take = (path: string): boolean => {
    if (seen.has(path) || (ignore?.test(path) ?? false)) return false;
    seen.add(path);
    return found(path);
  };
  const skipped = (name: string, path: string): boolean =>
    skipNames.has(name) || skipPaths.has(path) || (ignore?.test(path) ?? false);
  const visit = (absolute: string, relative: string): boolean => {
    read(relative);
    let entries: Dirent[];
    try {
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const full = `${absolute}/${entry.name}`;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = statSync(full, { throwIfNoEntry: false });
        isFile = target?.isFile() ?? false;
        isDirectory = target?.isDirectory() ?? false;
        if (isDirectory) {
          const real = realPath(full);
          if (real === undefined || linked.has(real)) continue;
          linked.add(real);
        }
      }
      if (isDirectory) {
        if (!skipped(entry.name, path) && visit(full, path)) return true;
      } else if (isFile && match.test(path) && take(path)) return true;
    }
    return false;
  };
  // Whether a literal or a root is there at all is its parent directory's listing.
  for (const path of [...literals, ...roots]) if (path !== "") read(parentOf(path));
  for (const literal of literals) {
    if (statSync(join(dir, literal), { throwIfNoEntry: false })?.isFile() === true && take(literal)) return true;
  }
  for (const root of roots) {
    if (visit(root === "" ? dir : join(dir, root), root)) return true;
  }
  return false;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** `./src/**` is `src/**`: paths are matched as the walk spells them. */
const tidy = (pattern: string): string => pattern.replace(/^(?:\.\/)+/, "");
const positive = (patterns: readonly string[]): string[] =>
  patterns.filter((pattern) => !pattern.startsWith("!")).map(tidy);
const negated = (patterns: readonly string[]): string[] =>
  patterns.filter((pattern) => pattern.startsWith("!")).map((pattern) => tidy(pattern.slice(1)));

/**
 * The files `sources` matches in `dir`, sorted, minus those its `!` patterns match, those the
 * task's `outputs` match (a task whose sources cover what it makes would otherwise never be
 * up to date) and those under the directories `excluded` (runner's own cache, when it is
 * inside the project).
 */
export async function findSources(
  dir: string,
  sources: readonly string[],
  outputs: readonly string[],
  excluded: readonly string[],
  nowMs: number,
): Promise<Listing> {
  const pm = await picomatch();
  const paths: string[] = [];
  const dirs = new Map<string, DirEntry>();
  const wanted = search(dir, positive(sources), [...negated(sources), ...positive(outputs)], excluded, pm);
  walk(
    dir,
    wanted,
    (path) => {
      paths.push(path);
      return false;
    },
    // Stat'ed before it is read: a change after that shows at the next check.
    (path) => {
      if (!dirs.has(path)) dirs.set(path, dirEntry(dir, path, nowMs));
    },
  );
  return { paths: paths.sort(), dirs: [...dirs.values()] };
}

/** Whether each positive `outputs` pattern matches at least one file now (`!` patterns only exclude). */
export async function outputsPresent(dir: string, outputs: readonly string[]): Promise<boolean> {
  const excludes = negated(outputs);
  for (const pattern of positive(outputs)) {
    // A file named as it is, with nothing to exclude it: no matcher needed.
    if (excludes.length === 0 && !/[*?[\]{}()!+@\\]/.test(pattern)) {
      if (statSync(`${dir}/${pattern}`, { throwIfNoEntry: false })?.isFile() === true) continue;
    }
    if (!walk(dir, await outputSearch(dir, pattern, excludes), () => true)) return false;
  }
  return true;
}

/** A folder's whole content, as `dist/**` or `dist/` names it (or `dist`, when a folder). */
const WHOLE_FOLDER = /^([^*?[\]{}()!+@\\]+?)(?:\/|\/\*\*)?$/;

/**
 * What an outputs pattern looks for. The usual one, a build folder's whole content, needs no
 * matcher: loading picomatch costs several ms, a noticeable part of an up-to-date run.
 */
async function outputSearch(dir: string, pattern: string, excludes: readonly string[]): Promise<Search> {
  const folder = excludes.length === 0 ? WHOLE_FOLDER.exec(pattern)?.[1] : undefined;
  const whole = folder !== undefined && (folder !== pattern || isFolder(join(dir, folder)));
  if (!whole) return search(dir, [pattern], excludes, [], await picomatch());
  const named = folder.split("/");
  return {
    roots: [folder],
    literals: [],
    // Every file under the root, dot files too, as picomatch's `folder/**` with `dot`.
    match: /(?:)/,
    ignore: undefined,
    skipNames: new Set(USUALLY_IGNORED.filter((name) => !named.includes(name))),
    skipPaths: new Set(),
  };
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}
