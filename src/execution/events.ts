// The run as events: what the executor tells every reporter — the displays of each output
// mode, the live status line, GitHub Actions, the JSON report, JUnit (as vitest's
// reporters). A new way of showing or recording a run is a new reporter, not a new branch
// in the executor.
import type { CommandRecord } from "../context/context.ts";
import type { Step } from "../plan/plan.ts";
import type { StreamName } from "../world/world.ts";
import type { RunRecord, TaskRun, TaskStatus } from "./outcomes.ts";

export type RunEvent =
  | { readonly kind: "run-started"; readonly steps: readonly Step[] }
  | { readonly kind: "task-started"; readonly step: Step }
  /** Something the task printed: its commands' output, its console's, ctx.log's. */
  | { readonly kind: "output"; readonly step: Step; readonly stream: StreamName; readonly chunk: Buffer }
  | { readonly kind: "command-started"; readonly step: Step; readonly command: string }
  | { readonly kind: "command-ended"; readonly step: Step; readonly record: CommandRecord }
  /** One attempt of a task ended; `retry` when another follows (attempt `next` of `of`). */
  | {
      readonly kind: "attempt-ended";
      readonly step: Step;
      readonly status: TaskStatus;
      readonly retry: { readonly next: number; readonly of: number } | undefined;
    }
  /** A task ended, or was skipped (then it never started). */
  | { readonly kind: "task-ended"; readonly run: TaskRun }
  | { readonly kind: "run-ended"; readonly record: RunRecord };

export type RunEventKind = RunEvent["kind"];

export interface Reporter {
  /**
   * Takes one event. A returned promise asks the run to wait: for output, until the reporter
   * can take more (backpressure); at the run's end, until everything is written.
   */
  handle(event: RunEvent): Promise<void> | undefined;
}

/** What every event becomes before any reporter sees it: the run's secrets masked (masked-events.ts). */
export type EventFilter = (event: RunEvent) => readonly RunEvent[];

/**
 * Hands each event to every reporter, in the order they were given; with a `filter` (a run
 * with secrets), each event goes through it first, once, for all of them.
 */
export class Reporters {
  constructor(
    private readonly reporters: readonly Reporter[],
    private readonly filter?: EventFilter,
  ) {}

  emit(event: RunEvent): Promise<void> | undefined {
    if (this.filter === undefined) return this.send(event);
    let waits: Promise<void>[] | undefined;
    for (const masked of this.filter(event)) {
      const wait = this.send(masked);
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    return waits === undefined ? undefined : Promise.all(waits).then(() => undefined);
  }

  private send(event: RunEvent): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const reporter of this.reporters) {
      const wait = reporter.handle(event);
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** The run's end, to each reporter once the one before has written all it had. */
  async end(record: RunRecord): Promise<void> {
    const ended: RunEvent = { kind: "run-ended", record };
    const events = this.filter?.(ended) ?? [ended];
    for (const event of events) {
      if (event.kind !== "run-ended") await this.send(event);
      else for (const reporter of this.reporters) await reporter.handle(event);
    }
  }
}
