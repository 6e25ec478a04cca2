// Writing `--report` and `--junit` files once the run is over — also when it failed or was
// interrupted. Atomically (a temporary file renamed into place), so a reader never sees
// half a file and a failed write never leaves a broken one. A file that cannot be written
// is one line on stderr naming it; cli.ts decides the exit status.
import { resolve } from "node:path";
import { junitXml } from "./junit.ts";
import { writeAtomically } from "./dirs.ts";
import { buildReport, type RunRecord } from "./report.ts";

export interface RunFiles {
  /** --report, as given (relative to where runner was started). */
  readonly report: string | undefined;
  /** --junit, as given. */
  readonly junit: string | undefined;
}

/**
 * Writes the files the command line asked for. Returns one line per file that could not
 * be written, naming it; the other file is still written.
 */
export function writeRunFiles(record: RunRecord, files: RunFiles, cwd: string): string[] {
  const problems: string[] = [];
  const write = (given: string | undefined, what: string, text: () => string): void => {
    if (given === undefined) return;
    try {
      writeAtomically(resolve(cwd, given), text());
    } catch (error) {
      problems.push(`Could not write ${what} ${given}: ${reasonOf(error)}.`);
    }
  };
  write(files.report, "the report", () => `${JSON.stringify(buildReport(record), null, 2)}\n`);
  write(files.junit, "the JUnit file", () => junitXml(record));
  return problems;
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "EISDIR":
      return "it is a directory";
    case "ENOTDIR":
    case "EEXIST":
      return "a part of its path is a file, not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
