// The grouped and quiet modes. A task's output is held (held-output.ts) while it runs and
// shown as one block when it ends: a header naming the task, then its stdout and stderr
// parts, each to its own stream, in the order they came. Nothing of one task ever lands
// inside another's block. Quiet shows only the blocks of failed tasks.
//
// Everything this view writes goes through one queue, because a block can be big: it is
// written with backpressure (a slow reader of runner's stdout makes runner wait, not hold
// the block a second time in a stream buffer), and runner's lines after it must wait too.
// On a terminal the live status line is erased before each write and drawn again after.
import { messageOf } from "../common/error-text.ts";
import type { Reporter } from "../execution/events.ts";
import type { TaskStatus } from "../execution/outcomes.ts";
import { describeStep } from "../plan/describe.ts";
import { escapeData } from "./workflow-commands.ts";
import type { Step } from "../plan/plan.ts";
import { HeldOutput, type MemoryBudget, type Piece } from "./held-output.ts";
import { parallelReporter, type ParallelView } from "./parallel.ts";
import type { DisplaySettings } from "./serial.ts";
import type { Streams } from "./streams.ts";
import { headerLine } from "./style.ts";
import type { WriteQueue } from "./write-queue.ts";

/** Held output beyond this many bytes per task goes to a temporary file... */
export const MEMORY_LIMIT_BYTES = 8 * 1024 * 1024;
/** ...and so does any task's, while all tasks together hold more than this in memory. */
export const MEMORY_BUDGET_BYTES = 32 * 1024 * 1024;

/** What is drawn over the output and must be out of the way while a block is written. */
export interface Overlay {
  hide(): void;
  showSoon(): void;
}

export interface GroupedSettings extends DisplaySettings {
  /** GITHUB_ACTIONS=true: blocks are wrapped in ::group::/::endgroup::. */
  readonly github: boolean;
  /** Where held output beyond the memory limits goes. */
  readonly tmpdir: () => string;
  /** What every write of this view goes through. */
  readonly queue: WriteQueue;
  /** The live status line, on a terminal. */
  readonly overlay: Overlay | undefined;
}

/** Each task's output as one block when it ends. */
export function groupedReporter(settings: GroupedSettings): Reporter {
  return parallelReporter(settings, groupedView(settings, { onlyFailures: false }), { quietMode: false });
}

/** The summary, and the whole output of each task that failed or timed out. */
export function quietReporter(settings: GroupedSettings): Reporter {
  // Quiet shows failures only: those stay in view, not folded away in a GitHub group.
  const view = groupedView({ ...settings, github: false }, { onlyFailures: true });
  return parallelReporter(settings, view, { quietMode: true });
}

interface Held {
  output: HeldOutput;
  /** How the task ended, once it has (output after that is shown at the run's end). */
  status: TaskStatus | undefined;
}

function groupedView(settings: GroupedSettings, { onlyFailures }: { readonly onlyFailures: boolean }): ParallelView {
  const { streams, style, queue, overlay } = settings;
  const budget: MemoryBudget = {
    limit: MEMORY_BUDGET_BYTES,
    used: 0,
    cannotSpill: (error) => {
      const code = (error as { code?: unknown }).code;
      const why = typeof code === "string" ? code : messageOf(error);
      streams.stderr.write(
        `runner: could not hold output in a temporary file in ${settings.tmpdir()} (${why}); holding it in memory.\n`,
      );
    },
  };
  const hold = (): HeldOutput => new HeldOutput(MEMORY_LIMIT_BYTES, budget, settings.tmpdir);
  const held = new Map<Step, Held>();
  const heldFor = (step: Step): Held => {
    let state = held.get(step);
    if (state === undefined) {
      state = { output: hold(), status: undefined };
      held.set(step, state);
    }
    return state;
  };

  const shows = (taskStatus: TaskStatus): boolean =>
    !onlyFailures || taskStatus.kind === "failed" || taskStatus.kind === "timed-out";

  /** Queues writing: the status line is out of the way while `work` writes. */
  const write = (work: () => Promise<void> | undefined): void => {
    queue.push(() => {
      overlay?.hide();
      const writing = work();
      if (writing === undefined) {
        overlay?.showSoon();
        return undefined;
      }
      return writing.then(() => overlay?.showSoon());
    });
  };

  const say = (lines: readonly string[]): void => {
    if (lines.length === 0) return;
    write(() => {
      streams.stderr.write(lines.map((line) => `${line}\n`).join(""));
      return streams.stderr.drained();
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
      if (settings.github) streams.stdout.write(`::group::${escapeData(name)}\n`);
      else streams.stderr.write(`${headerLine(style, name)}\n`);
      const pieces = output.pieces();
      const end = (): undefined => {
        // A partial line at the end gets its newline, as in the prefixed mode, so that
        // what follows starts on a line of its own.
        if (output.endsMidLine("stdout")) streams.stdout.write("\n");
        if (output.endsMidLine("stderr")) streams.stderr.write("\n");
        output.discard();
        if (settings.github) streams.stdout.write("::endgroup::\n");
        return undefined;
      };
      return writePieces(streams, pieces, end);
    });
  };

  return {
    output: (step, stream, chunk) => {
      heldFor(step).output.add(stream, chunk);
      return undefined;
    },
    ended: (run) => {
      const state = heldFor(run.step);
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
      say(lines);
      return queue.done();
    },
  };
}

/** Writes pieces in order, waiting whenever a stream asks to (backpressure). */
function writePieces(streams: Streams, pieces: Iterator<Piece>, end: () => undefined): Promise<void> | undefined {
  for (let next = pieces.next(); next.done !== true; next = pieces.next()) {
    const { stream, chunk } = next.value;
    streams[stream].write(chunk);
    const full = streams[stream].drained();
    if (full !== undefined) return full.then(() => writePieces(streams, pieces, end));
  }
  end();
}
