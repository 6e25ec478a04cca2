// The time limits of the attempts running now, for the watchdog: a time limit that passes
// while task code is stuck in a synchronous loop must still end it.

export class Deadlines {
  private readonly limits = new Map<
    object,
    { readonly epochMs: number; readonly limitMs: number; readonly name: string }
  >();

  constructor(private readonly changed: (earliest: number | undefined) => void) {}

  set(attempt: object, name: string, epochMs: number, limitMs: number): void {
    this.limits.set(attempt, { epochMs, limitMs, name });
    this.changed(this.earliest()?.epochMs);
  }

  delete(attempt: object): void {
    if (this.limits.delete(attempt)) this.changed(this.earliest()?.epochMs);
  }

  /** The time limit that passes first, with the task it belongs to. */
  earliest(): { readonly epochMs: number; readonly limitMs: number; readonly name: string } | undefined {
    let first: ReturnType<Deadlines["earliest"]>;
    for (const limit of this.limits.values()) if (first === undefined || limit.epochMs < first.epochMs) first = limit;
    return first;
  }
}
