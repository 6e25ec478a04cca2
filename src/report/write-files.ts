// Writing `--report`, `--junit` and `--trace` files once the run is over — also when it failed or was
// interrupted. A regular file is replaced atomically (a temporary file renamed into place),
// so a reader never sees half a file and a failed write never leaves a broken one; a device,
// FIFO, symlink or hard link is written through, never replaced. A file that cannot be written
// is one line on stderr naming it; exit-status.ts says what that does to the exit status.
import { resolve } from "node:path";
import { writeNamedFile } from "../common/files.ts";
import type { Streams } from "../display/streams.ts";
import type { Reporter, RunEvent } from "../execution/events.ts";
import type { RunRecord } from "../execution/outcomes.ts";
import { buildReport } from "./json-report.ts";
import { junitXml } from "./junit.ts";
import { TraceReporter } from "./trace.ts";
import { messageOf } from "../common/error-text.ts";

export interface RunFiles {
  /** --report, as given (relative to where runner was started). */
  readonly report: string | undefined;
  /** --junit, as given. */
  readonly junit: string | undefined;
  /** --trace, as given. */
  readonly trace: string | undefined;
}

/**
 * Writes the files the command line asked for. Returns one line per file that could not
 * be written, naming it; the other file is still written.
 */
export function writeRunFiles(
  record: RunRecord,
  files: RunFiles,
  cwd: string,
  trace: TraceReporter | undefined,
): string[] {
  const problems: string[] = [];
  const write = (given: string | undefined, what: string, text: () => string): void => {
    if (given === undefined) return;
    try {
      writeNamedFile(resolve(cwd, given), text());
    } catch (error) {
      problems.push(`Could not write ${what} ${given}: ${reasonOf(error)}.`);
    }
  };
  write(files.report, "the report", () => `${JSON.stringify(buildReport(record), null, 2)}\n`);
  write(files.junit, "the JUnit file", () => junitXml(record));
  if (trace !== undefined) write(files.trace, "the trace", () => trace.text());
  return problems;
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case undefined:
      return messageOf(error);
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
      return messageOf(error);
  }
}

/**
 * The report files as a reporter: the trace recorded as the run goes, every file written at
 * the run's end; `problems` counts those that could not be.
 */
export class RunFilesReporter implements Reporter {
  problems = 0;
  private readonly trace: TraceReporter | undefined;

  constructor(
    private readonly files: RunFiles,
    /** Where runner was started: the paths are relative to it. */
    private readonly cwd: string,
    private readonly streams: Streams,
    /** A monotonic clock in milliseconds, for the trace. */
    now: () => number,
  ) {
    this.trace = files.trace === undefined ? undefined : new TraceReporter(now);
  }

  handle(event: RunEvent): undefined {
    this.trace?.handle(event);
    if (event.kind !== "run-ended") return undefined;
    const problems = writeRunFiles(event.record, this.files, this.cwd, this.trace);
    for (const problem of problems) this.streams.stderr.write(`${problem}\n`);
    this.problems += problems.length;
    return undefined;
  }
}
