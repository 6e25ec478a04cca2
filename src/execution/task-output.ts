// A task's output on its way to the reporters: each chunk becomes an output event, and the
// task's tail (for summaries and reports) is kept here, once, whatever the output mode.
import { Tail } from "../child/tail.ts";
import type { TaskOutput } from "../context/context.ts";
import type { Step } from "../plan/plan.ts";
import type { RunEvent } from "./events.ts";

/** How much of each task's output is kept for summaries and reports. */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

export interface KeptOutput extends TaskOutput {
  /** The last of what the task printed (all streams, as they came). */
  tail(): string;
}

export function keptOutput(step: Step, emit: (event: RunEvent) => Promise<void> | undefined): KeptOutput {
  const kept = new Tail(OUTPUT_TAIL_BYTES);
  return {
    stdout: (chunk) => {
      kept.push(chunk);
      return emit({ kind: "output", step, stream: "stdout", chunk });
    },
    stderr: (chunk) => {
      kept.push(chunk);
      return emit({ kind: "output", step, stream: "stderr", chunk });
    },
    tail: () => kept.text(),
  };
}
