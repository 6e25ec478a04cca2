// The live status line (SPEC §5): on a terminal, while parallel tasks run in the grouped or
// quiet mode, one line says what is running and for how long, redrawn a few times a second
// and erased before anything else is printed, and at the end.
//
// Plain ANSI (`\r`, erase-line) rather than log-update: it is one line, kept shorter than the
// terminal is wide, so it never wraps and erasing it is one escape. log-update would also
// hide the cursor through cli-cursor and signal-exit, whose signal handlers would sit beside
// runner's own Ctrl-C handling, and it writes to a stream itself, where this line must go
// through runner's writer to stay in order with the blocks around it.
import type { ChalkInstance } from "chalk";
import { formatDuration } from "./duration.ts";
import { now as clockNow } from "./clock.ts";

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
  /** clock.ts now() when it started. */
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
  readonly now?: () => number;
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
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars
    .slice(0, Math.max(0, width - 1))
    .join("")
    .trimEnd()}…`;
}

/** A status line, hidden until the first `show()`. */
export function startStatusLine(settings: StatusLineSettings): StatusLine {
  const now = settings.now ?? clockNow;
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
    const text = statusText(running, now(), FRAMES[frame % FRAMES.length]!, width);
    const styled = settings.style.cyan(text.slice(0, 1)) + text.slice(1);
    settings.write(`${ERASE}${styled}`);
    drawn = true;
  };
  const erase = (): void => {
    if (!drawn) return;
    settings.write(ERASE);
    drawn = false;
  };
  // Unref'd: the line must not keep runner alive, nor hide from executor.ts that a task
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
