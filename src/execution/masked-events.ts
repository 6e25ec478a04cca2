// The run's events with its secret values masked, on their way to the reporters: every
// display, report and annotation shows a run only through these events (and describeStep,
// which masks a step's secret options itself), so masking here, once, masks them all —
// headers, echoed commands, error messages, output, summaries, --report, --junit, GitHub
// annotations, and any reporter still to come.
import type { CommandRecord } from "../context/context.ts";
import type { Masker } from "../common/secrets.ts";
import { unreachable } from "../common/unreachable.ts";
import type { Step } from "../plan/plan.ts";
import type { StreamName } from "../world/world.ts";
import type { RunEvent } from "./events.ts";
import type { Attempt, TaskRun, TaskStatus } from "./outcomes.ts";

export class EventMasker {
  /** Per task and stream, the end of its last chunk that may be the start of a secret. */
  private readonly pending = new Map<Step, Partial<Record<StreamName, Buffer | undefined>>>();
  private readonly runs = new WeakMap<TaskRun, TaskRun>();

  constructor(
    private readonly masker: Masker,
    private readonly secretsOf: (step: Step) => readonly string[],
  ) {}

  /** What the reporters get for `event`: the event masked, after any output it let out. */
  events(event: RunEvent): RunEvent[] {
    switch (event.kind) {
      case "run-started":
        return [event];
      case "task-started":
        // A task ctx.call runs is not in the plan: its secret values are known from now.
        this.masker.add(this.secretsOf(event.step));
        return [event];
      case "output":
        return this.output(event.step, event.stream, event.chunk);
      case "command-started":
        return [{ ...event, command: this.masker.text(event.command) }];
      case "command-ended":
        return [{ ...event, record: this.command(event.record) }];
      case "attempt-ended":
        return [{ ...event, status: this.status(event.status) }];
      case "task-ended":
        return [...this.flush(event.run.step), { kind: "task-ended", run: this.run(event.run) }];
      case "run-ended": {
        const held = [...this.pending.keys()].flatMap((step) => this.flush(step));
        const record = { ...event.record, runs: event.record.runs.map((run) => this.run(run)) };
        return [...held, { kind: "run-ended", record }];
      }
      default:
        return unreachable("event", event);
    }
  }

  private output(step: Step, stream: StreamName, chunk: Buffer): RunEvent[] {
    const held = this.pending.get(step) ?? {};
    const before = held[stream];
    const masked = this.masker.chunk(before === undefined ? chunk : Buffer.concat([before, chunk]));
    const wait = this.masker.pending(masked);
    held[stream] = wait === 0 ? undefined : masked.subarray(masked.length - wait);
    this.pending.set(step, held);
    const out = masked.subarray(0, masked.length - wait);
    return out.length === 0 ? [] : [{ kind: "output", step, stream, chunk: out }];
  }

  /** What a task's streams still hold back, once it can no longer be the start of a secret. */
  private flush(step: Step): RunEvent[] {
    const held = this.pending.get(step);
    this.pending.delete(step);
    if (held === undefined) return [];
    return (["stdout", "stderr"] as const).flatMap((stream): RunEvent[] => {
      const chunk = held[stream];
      return chunk === undefined ? [] : [{ kind: "output", step, stream, chunk }];
    });
  }

  private command(record: CommandRecord): CommandRecord {
    return { ...record, command: this.masker.text(record.command) };
  }

  private status(status: TaskStatus): TaskStatus {
    switch (status.kind) {
      case "failed":
      case "timed-out":
        return { ...status, message: this.masker.text(status.message) };
      case "skipped":
        return { ...status, reason: this.masker.text(status.reason) };
      case "passed":
      case "cancelled":
      case "up-to-date":
      case "service-stopped":
        return status;
      default:
        return unreachable("status", status);
    }
  }

  private run(run: TaskRun): TaskRun {
    let masked = this.runs.get(run);
    if (masked === undefined) {
      masked = {
        ...run,
        status: this.status(run.status),
        attempts: run.attempts.map((attempt): Attempt => ({ ...attempt, status: this.status(attempt.status) })),
        commands: run.commands.map((record) => this.command(record)),
        outputTail: this.masker.text(run.outputTail),
        ...(run.result === undefined ? {} : { result: this.masker.text(run.result) }),
      };
      this.runs.set(run, masked);
    }
    return masked;
  }
}
