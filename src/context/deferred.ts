// ctx.defer (SPEC §3, "Cleanup"): what a task registers as it goes, to run when it ends
// however it ends, last registered first (as Go's `defer`), each awaited before the next.
// One that throws does not stop the others; the errors are kept for the task's status.
// Here, not in execution/, because an isolated task's worker (pool/worker-main.ts) runs its
// deferred functions with it too.

export class Deferred {
  private readonly pending: (() => unknown)[] = [];
  private failures: unknown[] = [];
  private running: Promise<void> | undefined;

  add(fn: () => unknown): void {
    this.pending.push(fn);
  }

  /**
   * Runs what is registered, once (a later call gets the same promise), including what a
   * deferred function registers while they run. Never rejects.
   */
  run(): Promise<void> {
    this.running ??= this.runAll();
    return this.running;
  }

  /** Errors deferred functions threw elsewhere (an isolated task's, in its worker), kept as if thrown here. */
  fail(errors: readonly unknown[]): void {
    this.failures.push(...errors);
  }

  /** The errors thrown so far, in the order they were thrown; each is handed out once. */
  takeErrors(): unknown[] {
    const errors = this.failures;
    this.failures = [];
    return errors;
  }

  private async runAll(): Promise<void> {
    for (let fn = this.pending.pop(); fn !== undefined; fn = this.pending.pop()) {
      try {
        await fn();
      } catch (error) {
        this.failures.push(error);
      }
    }
  }
}
