// The live status line: on a terminal, while parallel tasks run in the grouped or
// quiet mode, one line says what is running and for how long, redrawn a few times a second
// and erased before anything else is printed, and at the end.
//
// Plain ANSI (`\r`, erase-line) rather than log-update: it is one line, kept shorter than the
// terminal is wide, so it never wraps and erasing it is one escape. log-update would also
// hide the cursor through cli-cursor and signal-exit, whose signal handlers would sit beside
// runner's own Ctrl-C handling, and it writes to a stream itself, where this line must go
// through runner's writer to stay in order with the blocks around it.
import type { ChalkInstance } from "chalk";
import { formatDuration } from "../common/duration.ts";
import { unreachable } from "../common/unreachable.ts";
import type { Reporter, RunEvent } from "../execution/events.ts";
import { describeStep } from "../plan/describe.ts";
import type { Step } from "../plan/plan.ts";
import type { Clock } from "../world/world.ts";
import type { WriteQueue } from "./write-queue.ts";

export interface StatusLine {
  /** Erases the line; it stays away until `show()` (while something else is printed). */
  hide(): void;
  /** Draws the line again and keeps it up to date. */
  show(): void;
  /** Erases the line for good. */
  stop(): void;
}

export interface Running {
  readonly name: string;
  /** The clock's now() when it started. */
  readonly since: number;
}

export interface StatusLineSettings {
  /** Writes to the terminal (runner's stderr). */
  readonly write: (text: string) => void;
  /** The terminal's width now (it may change while the run goes on). */
  readonly columns: () => number;
  readonly style: ChalkInstance;
  /** What is running now. */
  readonly running: () => readonly Running[];
  readonly now: () => number;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const REFRESH_MS = 125;
const ERASE = "\r\x1b[2K";

/** `⠋ 2 running: build 3.2s, test 1.1s`, cut to fit `width` columns. */
export function statusText(running: readonly Running[], now: number, frame: string, width: number): string {
  const names = running.map((task) => `${task.name} ${formatDuration(now - task.since)}`).join(", ");
  return fit(`${frame} ${running.length} running: ${names}`, width);
}

/** Cut to `width` terminal columns (one per code point: names and times are narrow). */
function fit(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return `${chars
    .slice(0, Math.max(0, width - 1))
    .join("")
    .trimEnd()}…`;
}

/** A status line, hidden until the first `show()`. */
export function startStatusLine(settings: StatusLineSettings): StatusLine {
  const { now } = settings;
  let frame = 0;
  let hidden = true;
  let drawn = false;
  let stopped = false;

  const draw = (): void => {
    const running = settings.running();
    if (running.length === 0) {
      erase();
      return;
    }
    // One column short of the width: a line that fills it would leave the cursor waiting
    // to wrap on some terminals.
    const width = Math.max(10, settings.columns() - 1);
    const text = statusText(running, now(), FRAMES[frame % FRAMES.length] ?? "", width);
    const styled = settings.style.cyan(text.slice(0, 1)) + text.slice(1);
    settings.write(`${ERASE}${styled}`);
    drawn = true;
  };
  const erase = (): void => {
    if (!drawn) return;
    settings.write(ERASE);
    drawn = false;
  };
  // Unref'd: the line must not keep runner alive, nor hide from the executor that a task
  // awaits a promise nothing can settle (an empty event loop is how that shows).
  const timer = setInterval(() => {
    frame++;
    if (!hidden) draw();
  }, REFRESH_MS);
  timer.unref();

  return {
    hide: () => {
      hidden = true;
      erase();
    },
    show: () => {
      if (stopped) return;
      hidden = false;
      draw();
    },
    stop: () => {
      stopped = true;
      hidden = true;
      clearInterval(timer);
      erase();
    },
  };
}

export interface LiveStatusSettings {
  /** Writes to the terminal (runner's stderr). */
  readonly write: (text: string) => void;
  readonly columns: () => number;
  readonly style: ChalkInstance;
  readonly clock: Clock;
  /** What the output mode writes through: the line is drawn only while it is idle. */
  readonly queue: WriteQueue;
}

/**
 * The live status line as a reporter: it follows which tasks run from the run's events, and
 * the output mode hides it before each write and asks for it again after (`showSoon`).
 */
export class LiveStatus implements Reporter {
  private readonly running = new Map<Step, Running>();
  private line: StatusLine | undefined;
  private showing = false;

  constructor(private readonly settings: LiveStatusSettings) {}

  handle(event: RunEvent): undefined {
    switch (event.kind) {
      case "task-started":
        this.running.set(event.step, { name: describeStep(event.step), since: this.settings.clock.now() });
        this.line ??= startStatusLine({
          write: this.settings.write,
          columns: this.settings.columns,
          style: this.settings.style,
          running: () => [...this.running.values()],
          now: () => this.settings.clock.now(),
        });
        this.showSoon();
        return undefined;
      case "task-ended":
        this.running.delete(event.run.step);
        return undefined;
      case "run-ended":
        this.line?.stop();
        return undefined;
      case "run-started":
      case "output":
      case "command-started":
      case "command-ended":
      case "attempt-ended":
        return undefined;
      default:
        return unreachable("event", event);
    }
  }

  /** Erases the line while something else is written. */
  hide(): void {
    this.line?.hide();
  }

  /**
   * Draws the line again once the queue is idle, at most once per tick: a task's block and
   * runner's lines about it are written one after another with no redraw between.
   */
  showSoon(): void {
    if (this.line === undefined || this.showing) return;
    this.showing = true;
    queueMicrotask(() => {
      this.showing = false;
      if (this.settings.queue.idle) this.line?.show();
    });
  }
}
