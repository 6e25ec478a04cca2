// The grouped and quiet modes (SPEC §5). A task's output is held (held-output.ts) while it
// runs and shown as one block when it ends: a header naming the task, then its stdout and
// stderr parts, each to its own stream, in the order they came. Nothing of one task ever
// lands inside another's block. Quiet shows only the blocks of failed tasks.
//
// Everything this view writes goes through one queue, because a block can be big: it is
// written with backpressure (a slow reader of runner's stdout makes runner wait, not hold
// the block a second time in a stream buffer), and runner's lines after it must wait too.
// On a terminal the live status line is erased before each write and drawn again after.
import type { ChalkInstance } from "chalk";
import type { ParallelView } from "./display-parallel.ts";
import type { TaskRun, TaskStatus } from "./executor.ts";
import { HeldOutput, type MemoryBudget, type Piece } from "./held-output.ts";
import { headerLine, OUTPUT_TAIL_BYTES, toBytes, type Io } from "./output.ts";
import { describeStep, type Step } from "./plan.ts";
import { startStatusLine, type Running, type StatusLine } from "./status-line.ts";
import { Tail } from "./tail.ts";
import { now } from "./clock.ts";

/** Held output beyond this many bytes per task goes to a temporary file... */
export const MEMORY_LIMIT_BYTES = 8 * 1024 * 1024;
/** ...and so does any task's, while all tasks together hold more than this in memory. */
export const MEMORY_BUDGET_BYTES = 32 * 1024 * 1024;

export interface GroupedSettings {
  readonly io: Io;
  readonly style: ChalkInstance;
  /** Quiet: only failed tasks' blocks. */
  readonly onlyFailures: boolean;
  /** GITHUB_ACTIONS=true: blocks are wrapped in ::group::/::endgroup::. */
  readonly github: boolean;
  /** Where the live status line goes: runner's stderr when it is a terminal. */
  readonly terminal: { readonly columns: () => number } | undefined;
}

interface Held {
  output: HeldOutput;
  readonly tail: Tail;
  /** How the task ended, once it has (output after that is shown at the run's end). */
  status: TaskStatus | undefined;
}

export function groupedView(settings: GroupedSettings): ParallelView {
  const { io, style } = settings;
  const budget: MemoryBudget = { limit: MEMORY_BUDGET_BYTES, used: 0 };
  const hold = (): HeldOutput => new HeldOutput(MEMORY_LIMIT_BYTES, budget);
  const held = new Map<Step, Held>();
  const running = new Map<Step, Running>();
  const queue = new WriteQueue();
  let status: StatusLine | undefined;

  const shows = (taskStatus: TaskStatus): boolean =>
    !settings.onlyFailures || taskStatus.kind === "failed" || taskStatus.kind === "timed-out";

  // The status line comes back once the queue is idle, and once per tick: a task's block
  // and runner's lines about it are written one after another with no redraw between.
  let showing = false;
  const showSoon = (): void => {
    if (status === undefined || showing) return;
    showing = true;
    queueMicrotask(() => {
      showing = false;
      if (queue.idle) status?.show();
    });
  };

  /** Queues writing: the status line is out of the way while `work` writes. */
  const write = (work: () => Promise<void> | undefined): void => {
    queue.push(() => {
      status?.hide();
      const writing = work();
      if (writing === undefined) {
        showSoon();
        return undefined;
      }
      return writing.then(showSoon);
    });
  };

  const say = (lines: readonly string[]): void => {
    if (lines.length === 0) return;
    write(() => {
      io.stderr(lines.map((line) => `${line}\n`).join(""));
      return io.drained?.("stderr");
    });
  };

  /** The task's block (or, in quiet mode for a task that did not fail, nothing). */
  const showBlock = (step: Step, output: HeldOutput, taskStatus: TaskStatus): void => {
    if (output.size === 0 || !shows(taskStatus)) {
      output.discard();
      return;
    }
    const name = describeStep(step);
    write(() => {
      // GitHub reads workflow commands from stdout, and they must start the line uncoloured.
      if (settings.github) io.stdout(`::group::${name}\n`);
      else io.stderr(`${headerLine(style, name)}\n`);
      const pieces = output.pieces();
      const end = (): undefined => {
        // A partial line at the end gets its newline, as in the prefixed mode, so that
        // what follows starts on a line of its own.
        if (output.endsMidLine("stdout")) io.stdout("\n");
        if (output.endsMidLine("stderr")) io.stderr("\n");
        output.discard();
        if (settings.github) io.stdout("::endgroup::\n");
        return undefined;
      };
      return writePieces(io, pieces, end);
    });
  };

  return {
    taskOutput: (step) => {
      const state: Held = { output: hold(), tail: new Tail(OUTPUT_TAIL_BYTES), status: undefined };
      held.set(step, state);
      const take = (stream: "stdout" | "stderr", chunk: string | Uint8Array): undefined => {
        const bytes = toBytes(chunk);
        state.tail.push(bytes);
        state.output.add(stream, bytes);
        return undefined;
      };
      return {
        stdout: (chunk) => take("stdout", chunk),
        stderr: (chunk) => take("stderr", chunk),
        log: (line) => take("stdout", `${line}\n`),
        tail: () => state.tail.text(),
      };
    },
    started: (step) => {
      running.set(step, { name: describeStep(step), since: now() });
      if (settings.terminal === undefined) return;
      const { columns } = settings.terminal;
      status ??= startStatusLine({
        write: (text) => io.stderr(text),
        columns,
        style,
        running: () => [...running.values()],
      });
      showSoon();
    },
    ended: (run: TaskRun) => {
      running.delete(run.step);
      const state = held.get(run.step);
      if (state === undefined) return;
      state.status = run.status;
      const output = state.output;
      // Task code can still print after its task ended (a timer it left behind): that is
      // held anew and shown when the run ends.
      state.output = hold();
      showBlock(run.step, output, run.status);
    },
    say,
    finished: (lines) => {
      for (const [step, state] of held) {
        if (state.status !== undefined) showBlock(step, state.output, state.status);
      }
      queue.push(() => {
        status?.stop();
        return undefined;
      });
      say(lines);
      return queue.done();
    },
  };
}

/** Writes pieces in order, waiting whenever a stream asks to (backpressure). */
function writePieces(io: Io, pieces: Iterator<Piece>, end: () => undefined): Promise<void> | undefined {
  for (let next = pieces.next(); next.done !== true; next = pieces.next()) {
    const { stream, chunk } = next.value;
    io[stream](chunk);
    const full = io.drained?.(stream);
    if (full !== undefined) return full.then(() => writePieces(io, pieces, end));
  }
  return end();
}

/**
 * Jobs run one after another, in the order they were queued. A job that completes at once
 * (no promise) runs synchronously when nothing is waiting, so most writes are not deferred.
 */
class WriteQueue {
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
