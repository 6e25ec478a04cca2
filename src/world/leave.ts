// Leaving without Node's teardown, where Node can (process.execve, Node 22.15 and 24): the
// process becomes `sh -c 'exit N'`, which ends at once with the same status. Node's teardown
// can deadlock at exit — the main thread joins V8's worker threads while one of them, in a
// background compile job, waits for a collection only the main thread could run
// (nodejs/node#54918) — and runner, its work done and reported, then never exits: seen in CI
// on Node 24, under load, after a task printed 1 GB. Where it cannot, the exit goes on as
// Node's.

type Execve = (file: string, args: readonly string[], env: Readonly<Record<string, string>>) => never;

/** Ends the process with `status` now, if Node can without its teardown; else returns. */
export function leaveWithoutTeardown(status: number): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== "function") return;
  try {
    execve.call(process, "/bin/sh", ["sh", "-c", `exit ${status & 0xff}`], {});
  } catch {
    // No shell there, or not allowed: Node's own exit.
  }
}
