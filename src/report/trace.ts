// `--trace trace.json`: the run as Chrome trace events (the JSON object format that
// Perfetto and chrome://tracing open), built from the run's events as they come.
//
//   - One track (a "thread", tid 1, 2, …) per concurrent slot: a task takes the lowest free
//     slot when it starts and gives it back when it ends, so a serial run uses one track
//     and `-j4` at most four. Tracks are named "slot 1", "slot 2", …; the process "runner".
//   - One complete slice ("ph": "X") per attempt of each task that started, named as
//     `--plan` names the step; args: status, exitCode, attempt (1, 2, … with retries).
//     Skipped tasks never ran and have none.
//   - One slice per command, on its task's track, within its attempt's slice; args:
//     command, exitCode, signal. A command still running when its attempt ended is cut
//     there (exitCode null). Commands one task runs at once overlap on its track.
//   - ts and dur in microseconds from the run's start; sorted by time, longer first.
import { describeStep } from "../plan/describe.ts";
import type { Reporter, RunEvent } from "../execution/events.ts";
import type { RunRecord } from "../execution/outcomes.ts";
import type { Step } from "../plan/plan.ts";
import { unreachable } from "../common/unreachable.ts";
import { statusExitCode } from "./json-report.ts";

/** One event of the trace, as the format names its fields. */
export interface TraceEvent {
  readonly name: string;
  readonly cat?: string;
  readonly ph: "X" | "M";
  readonly ts?: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface Trace {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: "ms";
  readonly otherData: Readonly<Record<string, unknown>>;
}

const PID = 1;

interface OpenCommand {
  readonly command: string;
  readonly startUs: number;
}

interface RunningTask {
  readonly tid: number;
  attempt: number;
  attemptStartUs: number;
  readonly commands: OpenCommand[];
}

/** Records the run's events as trace slices; `trace()` once the run has ended. */
export class TraceReporter implements Reporter {
  private startMs: number | undefined;
  private readonly slots: boolean[] = [];
  private readonly running = new Map<Step, RunningTask>();
  private readonly slices: TraceEvent[] = [];
  private record: RunRecord | undefined;

  /** `now`: a monotonic clock in milliseconds (the World's). */
  constructor(private readonly now: () => number) {}

  handle(event: RunEvent): undefined {
    switch (event.kind) {
      case "run-started":
        this.startMs = this.now();
        break;
      case "task-started": {
        let slot = this.slots.indexOf(false);
        if (slot === -1) slot = this.slots.length;
        this.slots[slot] = true;
        this.running.set(event.step, { tid: slot + 1, attempt: 1, attemptStartUs: this.us(), commands: [] });
        break;
      }
      case "command-started":
        this.running.get(event.step)?.commands.push({ command: event.command, startUs: this.us() });
        break;
      case "command-ended": {
        const task = this.running.get(event.step);
        const at = task?.commands.findIndex((open) => open.command === event.record.command) ?? -1;
        const open = task?.commands[at];
        if (task === undefined || open === undefined) break;
        task.commands.splice(at, 1);
        this.commandSlice(task, open, this.us(), event.record.exitCode, event.record.signal);
        break;
      }
      case "attempt-ended": {
        const task = this.running.get(event.step);
        if (task === undefined) break;
        this.endAttempt(event.step, task, this.us(), {
          status: event.status.kind,
          exitCode: statusExitCode(event.status),
        });
        break;
      }
      case "task-ended": {
        const task = this.running.get(event.run.step);
        if (task === undefined) break; // skipped: it never started
        this.running.delete(event.run.step);
        this.slots[task.tid - 1] = false;
        break;
      }
      case "run-ended": {
        // Nothing is left running when a run ends; should something be, it ends here.
        const endUs = this.us();
        for (const [step, task] of this.running) {
          this.endAttempt(step, task, endUs, { status: "cancelled", exitCode: null });
        }
        this.running.clear();
        this.record = event.record;
        break;
      }
      case "output":
        break;
      default:
        return unreachable("event", event);
    }
    return undefined;
  }

  /** The trace of the run so far. */
  trace(): Trace {
    const tracks = this.slots.map((_, slot): TraceEvent => ({
      name: "thread_name",
      ph: "M",
      pid: PID,
      tid: slot + 1,
      args: { name: `slot ${slot + 1}` },
    }));
    const order = this.slots.map((_, slot): TraceEvent => ({
      name: "thread_sort_index",
      ph: "M",
      pid: PID,
      tid: slot + 1,
      args: { sort_index: slot + 1 },
    }));
    const slices = [...this.slices].sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0) || (b.dur ?? 0) - (a.dur ?? 0));
    const record = this.record;
    return {
      traceEvents: [
        { name: "process_name", ph: "M", pid: PID, tid: 0, args: { name: "runner" } },
        ...tracks,
        ...order,
        ...slices,
      ],
      displayTimeUnit: "ms",
      otherData:
        record === undefined
          ? {}
          : { runner: record.runner, startedAt: new Date(record.startedAt).toISOString(), exitCode: record.exitCode },
    };
  }

  /** The trace as a file: one event a line, so that it reads and diffs well. */
  text(): string {
    const { traceEvents, ...rest } = this.trace();
    const events = traceEvents.map((event) => `    ${JSON.stringify(event)}`).join(",\n");
    const others = Object.entries(rest).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
    return ["{", `  "traceEvents": [\n${events}\n  ],`, others.join(",\n"), "}", ""].join("\n");
  }

  /** Microseconds since the run started, whole. */
  private us(): number {
    return Math.round((this.now() - (this.startMs ?? this.now())) * 1000);
  }

  private endAttempt(
    step: Step,
    task: RunningTask,
    endUs: number,
    result: { readonly status: string; readonly exitCode: number | null },
  ): void {
    for (const open of task.commands.splice(0)) this.commandSlice(task, open, endUs, null, null);
    this.slices.push({
      name: describeStep(step),
      cat: "task",
      ph: "X",
      ts: task.attemptStartUs,
      dur: endUs - task.attemptStartUs,
      pid: PID,
      tid: task.tid,
      args: { status: result.status, exitCode: result.exitCode, attempt: task.attempt },
    });
    task.attempt++;
    task.attemptStartUs = endUs;
  }

  private commandSlice(
    task: RunningTask,
    open: OpenCommand,
    endUs: number,
    exitCode: number | null,
    signal: string | null,
  ): void {
    this.slices.push({
      name: open.command,
      cat: "command",
      ph: "X",
      ts: open.startUs,
      dur: endUs - open.startUs,
      pid: PID,
      tid: task.tid,
      args: { command: open.command, exitCode, signal },
    });
  }
}
