// A task's `sources` as --watch reads them, which is as the up-to-date check reads them
// (incremental/sources.ts), so that what makes a task run again is what makes it out of
// date: globs relative to the project directory, dot files included, `src/` or a plain
// `src` that is a folder meaning what is under it, `!` negations and the task's own
// `outputs` taking files out again (a task whose sources cover what it makes would start
// itself again), and node_modules and .git left out unless a pattern names them (a `**`
// would otherwise watch every installed package). Paths here are relative to the project
// directory, with `/` between their parts.
import { relative, sep } from "node:path";
import type picomatch from "picomatch";

export type Picomatch = typeof picomatch;

/** Folders a `**` does not reach into unless the pattern names them. */
const UNLESS_NAMED = new Set(["node_modules", ".git"]);

export interface SourcePatterns {
  /** Whether a file is one of the sources. */
  matches(path: string): boolean;
  /** Whether a folder may hold one of the sources, or lead to one: the watcher walks only those. */
  mayHold(dir: string): boolean;
  /** Where the sources are looked for: the part of each pattern before its first wildcard. */
  readonly bases: readonly string[];
}

interface Positive {
  readonly text: string;
  readonly match: (path: string) => boolean;
  /** The literal folders it starts with ("" for the project directory), or the file it names. */
  readonly base: string;
  /** The wildcard part after `base`; "" for a plain path. */
  readonly glob: string;
}

export interface PatternsOf {
  /** Globs whose files are never sources: the task's `outputs` (their own `!` patterns aside). */
  readonly excluded?: readonly string[];
}

export function sourcePatterns(patterns: readonly string[], pm: Picomatch, of: PatternsOf = {}): SourcePatterns {
  const positives: Positive[] = [];
  const negatives: ((path: string) => boolean)[] = [];
  const excluded = (of.excluded ?? []).filter((pattern) => !pattern.startsWith("!"));
  for (const raw of [...patterns, ...excluded.map((pattern) => `!${pattern}`)]) {
    const negated = raw.startsWith("!");
    for (const text of expand(normalize(negated ? raw.slice(1) : raw), pm)) {
      if (negated) {
        negatives.push(pm(text, { dot: true }));
        continue;
      }
      const { base, glob, isGlob } = pm.scan(text);
      positives.push({ text, match: pm(text, { dot: true }), base: isGlob ? base : text, glob: isGlob ? glob : "" });
    }
  }
  const named = (pattern: Positive, path: string): boolean =>
    path.split("/").every((part) => !UNLESS_NAMED.has(part) || pattern.text.split("/").includes(part));
  return {
    matches: (path) =>
      positives.some((pattern) => pattern.match(path) && named(pattern, path)) &&
      !negatives.some((match) => match(path)),
    mayHold: (dir) => positives.some((pattern) => leadsTo(pattern, dir) && named(pattern, dir)),
    bases: [...new Set(positives.map((pattern) => pattern.base))],
  };
}

/** `./src/**` is `src/**`. */
function normalize(pattern: string): string {
  return pattern.replace(/^(\.\/)+/, "");
}

/**
 * `src/` means what is under it: `src/**`. A plain `src` means the file, or what is under the
 * folder: the up-to-date check looks which it is at each check, and the watcher, which would
 * otherwise decide once, when the watch starts (before a folder that did not exist then is
 * made), matches both (a file and a folder cannot both be there).
 */
function expand(pattern: string, pm: Picomatch): string[] {
  if (pattern.endsWith("/")) return [`${pattern}**`];
  if (pm.scan(pattern).isGlob) return [pattern];
  return [pattern, `${pattern}/**`];
}

/** Whether the folder `dir` is on the way to `pattern`'s files, or may hold some. */
function leadsTo(pattern: Positive, dir: string): boolean {
  const { base, glob } = pattern;
  if (dir === "" || dir === base || base.startsWith(`${dir}/`)) return true;
  if (glob === "") return false;
  const inside = base === "" ? dir : dir.startsWith(`${base}/`) ? dir.slice(base.length + 1) : undefined;
  if (inside === undefined) return false;
  // `src/*/x.ts` reaches one folder down; `src/**` any number.
  return glob.includes("**") || inside.split("/").length < glob.split("/").length;
}

/** Sources of several tasks together: a file is one when it is one of any of theirs. */
export function anyOf(list: readonly SourcePatterns[]): SourcePatterns {
  return {
    matches: (path) => list.some((patterns) => patterns.matches(path)),
    mayHold: (dir) => list.some((patterns) => patterns.mayHold(dir)),
    bases: [...new Set(list.flatMap((patterns) => patterns.bases))],
  };
}

/** A path as patterns see it: relative to the project directory `dir`, with `/` between its parts. */
export function projectPath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join("/");
}
