// The prefixed mode: every line a task prints carries its name, padded to the
// width of the longest, in the task's own colour: `build │ compiled 12 files`. Lines are
// written whole, so two tasks' output never meets inside one line: a partial line waits
// for its newline (or the task's end, when it gets one), and a line longer than
// MAX_LINE_BYTES is let out in pieces of that size, each a line of its own (lines.ts).
// Progress drawn in place with "\r" keeps its prefix: redrawn with each state on a
// terminal, only the last state kept elsewhere. Prefix colours follow the stream each line
// goes to (stdout may be a file while stderr is a terminal).
import type { ChalkInstance, ForegroundColorName } from "chalk";
import type { Reporter } from "../execution/events.ts";
import { describeStep } from "../plan/describe.ts";
import type { Step } from "../plan/plan.ts";
import type { StreamName } from "../world/world.ts";
import { PrefixedLines } from "./lines.ts";
import { parallelReporter } from "./parallel.ts";
import type { DisplaySettings } from "./serial.ts";
import { sayLines, type Streams } from "./streams.ts";

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
  return new Map(
    steps.map((step) => [step, (count.get(step.task.name) ?? 0) > 1 ? describeStep(step) : step.task.name]),
  );
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
      const label = labels.get(step) ?? step.task.name;
      const name = style[PALETTE[index % PALETTE.length] ?? "cyan"](label) + " ".repeat(width - label.length);
      return [step, { line: Buffer.from(`${name} ${bar} `), empty: Buffer.from(`${name} ${bar}`) }];
    }),
  );
}

/** One task's lines on both streams, each completed line written with its prefix. */
class PrefixedOutput {
  private readonly lines: Record<StreamName, PrefixedLines>;

  constructor(
    private readonly streams: Streams,
    prefix: Record<StreamName, Prefix>,
  ) {
    const linesOf = (stream: StreamName): PrefixedLines =>
      new PrefixedLines(
        prefix[stream].line,
        prefix[stream].empty,
        MAX_LINE_BYTES,
        streams[stream].isTTY ? "redraw" : "last-state",
      );
    this.lines = { stdout: linesOf("stdout"), stderr: linesOf("stderr") };
  }

  /** Each chunk becomes at most one write: the lines it completes, each with its prefix. */
  take(stream: StreamName, chunk: Buffer): Promise<void> | undefined {
    return this.write(stream, this.lines[stream].push(chunk));
  }

  /** Lets out what is held of a partial line, with a newline (the task ended). */
  flush(): void {
    void this.write("stdout", this.lines.stdout.flush());
    void this.write("stderr", this.lines.stderr.flush());
  }

  private write(stream: StreamName, bytes: Buffer | undefined): Promise<void> | undefined {
    if (bytes === undefined) return undefined;
    this.streams[stream].write(bytes);
    return this.streams[stream].drained();
  }
}

export interface PrefixedSettings extends DisplaySettings {
  /** Every step of the plan, in plan order: prefix widths and colours are fixed up front. */
  readonly steps: readonly Step[];
}

export function prefixedReporter(settings: PrefixedSettings): Reporter {
  const { streams } = settings;
  const byStep = {
    stdout: prefixes(settings.stdoutStyle, settings.steps),
    stderr: prefixes(settings.style, settings.steps),
  };
  const none: Prefix = { line: Buffer.alloc(0), empty: Buffer.alloc(0) };
  const outputs = new Map<Step, PrefixedOutput>();
  const outputOf = (step: Step): PrefixedOutput => {
    let output = outputs.get(step);
    if (output === undefined) {
      // A task run by ctx.call is not in the plan: it gets a prefix of its own name.
      const prefixOf = (stream: StreamName): Prefix =>
        byStep[stream].get(step) ??
        prefixes(stream === "stdout" ? settings.stdoutStyle : settings.style, [step]).get(step) ??
        none;
      output = new PrefixedOutput(streams, { stdout: prefixOf("stdout"), stderr: prefixOf("stderr") });
      outputs.set(step, output);
    }
    return output;
  };
  const say = (lines: readonly string[]): void => sayLines(streams, lines);
  return parallelReporter(
    settings,
    {
      output: (step, stream, chunk) => outputOf(step).take(stream, chunk),
      ended: (run) => outputs.get(run.step)?.flush(),
      say,
      finished: (lines) => {
        // Task code that printed after its task ended (a timer it left): its last partial line.
        for (const output of outputs.values()) output.flush();
        say(lines);
        return undefined;
      },
    },
    { quietMode: false },
  );
}
