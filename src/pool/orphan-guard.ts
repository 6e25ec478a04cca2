// What ends the pool's processes if runner dies without ending them (SIGKILL, a crash):
// one small shell per run, in a process group of its own, reading from a pipe that only
// runner holds. Runner tells it each worker's group and each command group a worker reports,
// with its leader's start time; runner's death ends the pipe (the kernel closes it), and the
// shell then kills each of those groups whose leader still has that start time, so a group
// whose pid was taken again by someone else is left alone (as process-groups.ts proves a
// group is ours). A run that ends as it should says `ok` first, and the shell exits without
// killing anything.
//
// A worker notices runner's death itself too (its IPC channel disconnects), and the shell
// gives it a second to: it kills its commands' groups then, some of which runner may have
// died before hearing of (and so not told the shell); killed at once, it could not. Not
// while task code holds its main thread (`while (true) {}`), though; a thread in each worker could watch
// instead, but a thread is a second Node environment per worker (≈ 50–90 ms of CPU at
// every worker's start, and a larger process for every command it forks), where this is one
// `sh` per run.
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { START_TIME_FIELD, statFields } from "../child/start-time.ts";

export const GUARD_SCRIPT = `
trap '' INT TERM HUP QUIT
set -f
groups=
while read -r op pgid start; do
  case $op in
    +) groups="$groups $pgid:$start" ;;
    ok) exit 0 ;;
  esac
done
sleep 1
for entry in $groups; do
  pgid=\${entry%%:*}
  start=\${entry#*:}
  read -r stat < /proc/$pgid/stat 2>/dev/null || continue
  set -- \${stat##*) }
  eval "now=\\\${${START_TIME_FIELD + 1}}"
  [ "$now" = "$start" ] && kill -KILL -$pgid 2>/dev/null
done
exit 0
`;

export interface OrphanGuard {
  /** A process group of the pool's (a worker's, or one a worker's command leads), while its leader runs. */
  add(pgid: number): void;
  /** The run ended as it should: the shell exits, killing nothing. */
  close(): void;
}

let spawn: typeof import("node:child_process").spawn | undefined;

/** The guard, started now; undefined without /proc (then nothing could be proven ours). */
export function orphanGuard(): OrphanGuard | undefined {
  if (statFields("self", readFileSync) === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by runs that isolate a task only
  spawn ??= (require("node:child_process") as typeof import("node:child_process")).spawn;
  let shell: ChildProcess;
  try {
    shell = spawn("/bin/sh", ["-c", GUARD_SCRIPT], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  } catch {
    return undefined;
  }
  shell.on("error", () => {
    // No shell: nothing guards the pool beyond the workers' own disconnect handling.
  });
  const input = shell.stdin;
  input?.on("error", () => {
    // The shell is gone (killed by someone): nothing to tell it any more.
  });
  // Neither holds runner's event loop open.
  shell.unref();
  (input as unknown as { unref?: () => void } | null)?.unref?.();
  const tell = (line: string): void => {
    if (input !== null && !input.destroyed) input.write(line);
  };
  return {
    add(pgid) {
      const start = statFields(pgid, readFileSync)?.[START_TIME_FIELD];
      // A leader already gone cannot be proven the same process later: nothing to guard.
      if (start !== undefined) tell(`+ ${pgid} ${start}\n`);
    },
    close() {
      tell("ok\n");
      input?.end();
    },
  };
}
