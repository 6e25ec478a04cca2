// Timers for any time limit. Node runs a timer of 2^31 ms or more (about 24.8 days) after
// 1 ms instead, with a warning: a `--timeout 600h` would expire at once. A long wait is
// chained from timers Node can hold.

/** The longest delay Node's timers take as given. */
const MAX_DELAY = 2 ** 31 - 1;

export interface LongTimer {
  /** Stops it; nothing happens once stopped. */
  cancel(): void;
  /** Lets the process exit while only this timer is left (as a timer's unref()). */
  unref(): LongTimer;
}

/** Calls `fn` after `ms` milliseconds, however long that is. */
export function longTimer(fn: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  let unrefed = false;
  const start = (left: number): void => {
    const step = Math.min(Math.max(left, 0), MAX_DELAY);
    timer = setTimeout(() => {
      if (cancelled) return;
      if (left > MAX_DELAY) start(left - MAX_DELAY);
      else fn();
    }, step);
    if (unrefed) timer.unref();
  };
  start(ms);
  const handle: LongTimer = {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
    unref: () => {
      unrefed = true;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}
