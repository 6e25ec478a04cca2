// The one queue through which the grouped and quiet modes write (and the live status line
// waits for): blocks are written with backpressure, and what is queued after a block waits
// for it.
/**
 * Jobs run one after another, in the order they were queued. A job that completes at once
 * (no promise) runs synchronously when nothing is waiting, so most writes are not deferred.
 */
export class WriteQueue {
  private last: Promise<void> | undefined;

  get idle(): boolean {
    return this.last === undefined;
  }

  push(job: () => Promise<void> | undefined): void {
    const next = this.last === undefined ? job() : this.last.then(job);
    if (next === undefined) return;
    this.last = next;
    const settled = (): void => {
      if (this.last === next) this.last = undefined;
    };
    // A failed write is reported by done(); this only keeps track.
    next.then(settled, settled);
  }

  done(): Promise<void> {
    return this.last ?? Promise.resolve();
  }
}
