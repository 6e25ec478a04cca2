// A process's start time, from /proc/<pid>/stat: with its pid, what proves a process group
// is still the one runner started (process-groups.ts, and the pool's orphan guard, whose
// shell reads field START_TIME_FIELD + 1 of the same split itself: pool/orphan-guard.ts).
// usage.ts reads CPU times from the same fields.

/** Where the start time is among the fields statFields returns (field 22 of the file). */
export const START_TIME_FIELD = 19;

/**
 * "pid (comm) state ppid pgrp ...": the fields after comm (which may hold spaces and
 * parentheses), or undefined without /proc or the process. `readFileSync` is node:fs's.
 */
export function statFields(
  pid: number | string,
  readFileSync: (path: string, encoding: "utf8") => string,
): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
