// The prefixed mode (SPEC §5): every line a task prints carries its name, padded to the
// width of the longest, in the task's own colour: `build │ compiled 12 files`. Lines are
// written whole, so two tasks' output never meets inside one line: a partial line waits
// for its newline (or the task's end, when it gets one), and a line longer than
// MAX_LINE_BYTES is let out in pieces of that size, each a line of its own (lines.ts).
import type { ChalkInstance, ForegroundColorName } from "chalk";
import type { TaskRun } from "./executor.ts";
import type { ParallelView } from "./display-parallel.ts";
import { PrefixedLines } from "./lines.ts";
import { OUTPUT_TAIL_BYTES, toBytes, type Io, type TaskOutput } from "./output.ts";
import { describeStep, type Step } from "./plan.ts";
import { Tail } from "./tail.ts";

export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Prefix colours, given to tasks in plan order (red and green are for statuses). */
const PALETTE: readonly ForegroundColorName[] = [
  "cyan",
  "magenta",
  "yellow",
  "blue",
  "greenBright",
  "cyanBright",
  "magentaBright",
  "yellowBright",
  "blueBright",
];

/**
 * How each task is named in prefixes: its name, or, where one task runs more than once
 * (with other options, or --no-dedupe), the fuller description of each run.
 */
export function taskLabels(steps: readonly Step[]): Map<Step, string> {
  const count = new Map<string, number>();
  for (const step of steps) count.set(step.task.name, (count.get(step.task.name) ?? 0) + 1);
  return new Map(steps.map((step) => [step, count.get(step.task.name)! > 1 ? describeStep(step) : step.task.name]));
}

interface Prefix {
  /** `build │ ` */
  readonly line: Buffer;
  /** `build │`, for an empty line (no trailing space). */
  readonly empty: Buffer;
}

function prefixes(style: ChalkInstance, steps: readonly Step[]): Map<Step, Prefix> {
  const labels = taskLabels(steps);
  const width = Math.max(0, ...[...labels.values()].map((label) => label.length));
  const bar = style.dim("│");
  return new Map(
    steps.map((step, index) => {
      const label = labels.get(step)!;
      const name = style[PALETTE[index % PALETTE.length]!](label) + " ".repeat(width - label.length);
      return [step, { line: Buffer.from(`${name} ${bar} `), empty: Buffer.from(`${name} ${bar}`) }];
    }),
  );
}

interface PrefixedOutput extends TaskOutput {
  /** Lets out what is held of a partial line, with a newline (the task ended). */
  flush(): void;
}

function prefixedOutput(io: Io, prefix: Prefix): PrefixedOutput {
  const kept = new Tail(OUTPUT_TAIL_BYTES);
  const lines = {
    stdout: new PrefixedLines(prefix.line, prefix.empty, MAX_LINE_BYTES),
    stderr: new PrefixedLines(prefix.line, prefix.empty, MAX_LINE_BYTES),
  };
  // Each chunk becomes at most one write: the lines it completes, each with its prefix.
  const write = (stream: "stdout" | "stderr", bytes: Buffer | undefined): Promise<void> | undefined => {
    if (bytes === undefined) return undefined;
    io[stream](bytes);
    return io.drained?.(stream);
  };
  const take = (stream: "stdout" | "stderr", chunk: string | Uint8Array): Promise<void> | undefined => {
    const bytes = toBytes(chunk);
    kept.push(bytes);
    return write(stream, lines[stream].push(bytes));
  };
  return {
    stdout: (chunk) => take("stdout", chunk),
    stderr: (chunk) => take("stderr", chunk),
    log: (line) => void take("stdout", `${line}\n`),
    tail: () => kept.text(),
    flush: () => {
      void write("stdout", lines.stdout.flush());
      void write("stderr", lines.stderr.flush());
    },
  };
}

export function prefixedView({
  io,
  style,
  steps,
}: {
  io: Io;
  style: ChalkInstance;
  steps: readonly Step[];
}): ParallelView {
  const byStep = prefixes(style, steps);
  const outputs = new Map<Step, PrefixedOutput>();
  const say = (lines: readonly string[]): void => {
    for (const line of lines) io.stderr(`${line}\n`);
  };
  return {
    taskOutput: (step) => {
      const output = prefixedOutput(io, byStep.get(step) ?? { line: Buffer.alloc(0), empty: Buffer.alloc(0) });
      outputs.set(step, output);
      return output;
    },
    started: () => {},
    ended: (run: TaskRun) => outputs.get(run.step)?.flush(),
    say,
    finished: (lines) => {
      // Task code that printed after its task ended (a timer it left): its last partial line.
      for (const output of outputs.values()) output.flush();
      say(lines);
      return undefined;
    },
  };
}
