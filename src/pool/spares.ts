// Pool workers forked ahead of the pool, while runner still loads the tasks file and plans
// (`--isolate` says early that the run's tasks will need them): a worker's start-up, a Node
// start-up of its own and runner's code, then overlaps runner's instead of following it. The
// pool takes a spare only where it would have forked the very same worker (worker-fork.ts);
// the rest are killed, as is every spare of a run that never came to its pool. Until a run
// takes one, a spare runs nothing but runner's own boot code, and ends should runner go
// away (its IPC channel disconnects).
import type { ChildProcess } from "node:child_process";
import { forkWorker, killWorkerGroup, sameFork, unreaped, type WorkerFork } from "./worker-fork.ts";

interface Spare {
  readonly spec: WorkerFork;
  readonly child: ChildProcess;
}

export class Spares {
  private spares: Spare[] = [];

  /** `kill`: sends a signal to a process, or a group when `pid` is negative; false when there is none. */
  constructor(private readonly kill: (pid: number, signal: NodeJS.Signals) => boolean) {}

  /** Forks `count` workers as `spec` says. */
  fork(spec: WorkerFork, count: number): void {
    for (let i = 0; i < count; i++) {
      let child: ChildProcess;
      try {
        child = forkWorker(spec);
      } catch {
        // The pool will say what is wrong when it forks its own.
        return;
      }
      child.on("error", () => {
        // Not started, or gone: no spare to take (see take).
      });
      this.spares.push({ spec, child });
    }
  }

  /**
   * A spare forked as `spec` says that is still there to be used, now the caller's; else none.
   * Those forked otherwise are killed now: the pool that asks will never take them.
   */
  take(spec: WorkerFork): ChildProcess | undefined {
    const matching: Spare[] = [];
    const other: Spare[] = [];
    for (const spare of this.spares) (sameFork(spare.spec, spec) ? matching : other).push(spare);
    this.spares = other;
    this.discard();
    const at = matching.findIndex(({ child }) => child.pid !== undefined && unreaped(child) && child.connected);
    const taken = at < 0 ? undefined : matching.splice(at, 1)[0];
    this.spares = matching;
    return taken?.child;
  }

  /** Kills those no run took: their groups, while they are certainly theirs. */
  discard(): void {
    for (const { child } of this.spares.splice(0)) killWorkerGroup(child, this.kill);
  }
}
