// Finding the tasks file: from the start directory upward, first match wins.
import { statSync, type Stats } from "node:fs";
import { oneLine } from "../common/show-value.ts";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../common/user-error.ts";

export const CANDIDATES = [
  "tasks.ts",
  "tasks.mts",
  "tasks.js",
  "tasks.mjs",
  "tasks/index.ts",
  "tasks/index.mts",
  "tasks/index.js",
  "tasks/index.mjs",
] as const;

/** The stat of `path`, or undefined when there is nothing there or the path cannot name a file (a NUL in it). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  return statOf(path)?.isFile() ?? false;
}

/** No tasks file in the start directory or above it. */
export class NoTasksFileError extends UserError {
  override readonly name = "NoTasksFileError";
}

export function findTasksFile(startDir: string): string {
  let dir = resolve(startDir);
  for (;;) {
    for (const candidate of CANDIDATES) {
      const path = join(dir, candidate);
      if (isFile(path)) return path;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new NoTasksFileError(
    `No tasks file found in ${oneLine(resolve(startDir))} or any parent directory (looked for ${CANDIDATES.join(", ")}). Create tasks.ts or pass --file.`,
  );
}

/** `--file` (or the `file` config key): must name an existing file. */
export function checkTasksFile(path: string, source: string): string {
  const absolute = resolve(path);
  const stat = statOf(absolute);
  if (stat === undefined) throw new UserError(`Tasks file ${oneLine(path)} (from ${source}) does not exist.`);
  if (!stat.isFile()) throw new UserError(`Tasks file ${oneLine(path)} (from ${source}) is not a file.`);
  return absolute;
}

export function checkStartDir(dir: string): string {
  const absolute = resolve(dir);
  if (!(statOf(absolute)?.isDirectory() ?? false)) {
    throw new UserError(`Directory ${oneLine(dir)} (from --cwd) does not exist.`);
  }
  return absolute;
}

/**
 * The directory commands run from: the one discovery matched. For `tasks/index.ts` that is
 * the directory holding `tasks/`, not `tasks/` itself (the project root, as users expect).
 */
export function projectDir(file: string): string {
  const dir = dirname(file);
  return /^index\.m?[jt]s$/.test(basename(file)) && basename(dir) === "tasks" ? dirname(dir) : dir;
}
