// Which files a task's `sources` and `outputs` globs match (SPEC §10), relative to the
// project directory. tinyglobby is loaded on first use only: a run with no task that has
// `sources` never loads it.
import type { GlobOptions } from "tinyglobby";

type Tinyglobby = typeof import("tinyglobby");

let loaded: Promise<Tinyglobby> | undefined;

function tinyglobby(): Promise<Tinyglobby> {
  return (loaded ??= import("tinyglobby"));
}

/** Left out of every glob unless a pattern names them: nobody means a dependency's or git's files. */
const USUALLY_IGNORED = ["node_modules", ".git"];

function defaultIgnores(patterns: readonly string[]): string[] {
  return USUALLY_IGNORED.filter(
    (name) => !patterns.some((pattern) => !pattern.startsWith("!") && pattern.split("/").includes(name)),
  ).map((name) => `**/${name}/**`);
}

function options(dir: string, ignore: readonly string[]): GlobOptions {
  // Dot files count (`.env`, `.babelrc`); only files, as their contents are what is hashed;
  // `src` means what is under it (expandDirectories, tinyglobby's default).
  return { cwd: dir, dot: true, onlyFiles: true, ignore: [...ignore] };
}

/**
 * The files `sources` matches in `dir`, sorted, minus those the task's `outputs` match (a
 * task whose sources cover what it makes would otherwise never be up to date) and those
 * under the directories `excluded` (runner's own cache, when it is inside the project).
 */
export async function findSources(
  dir: string,
  sources: readonly string[],
  outputs: readonly string[],
  excluded: readonly string[],
): Promise<string[]> {
  const { glob, escapePath } = await tinyglobby();
  const made = outputs.filter((pattern) => !pattern.startsWith("!"));
  const own = excluded.map((path) => `${escapePath(path)}/**`);
  const files = await glob(sources, options(dir, [...defaultIgnores(sources), ...made, ...own]));
  return files.sort();
}

/** Whether each positive `outputs` pattern matches at least one file now (`!` patterns only exclude). */
export async function outputsPresent(dir: string, outputs: readonly string[]): Promise<boolean> {
  if (outputs.length === 0) return true;
  const { glob } = await tinyglobby();
  const excludes = outputs.filter((pattern) => pattern.startsWith("!")).map((pattern) => pattern.slice(1));
  for (const pattern of outputs) {
    if (pattern.startsWith("!")) continue;
    const ignore = [...defaultIgnores([pattern]), ...excludes];
    if ((await glob([pattern], options(dir, ignore))).length === 0) return false;
  }
  return true;
}
