// Durations as users write them: `90s`, `5m`, `1h`, `250ms` or plain milliseconds.
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === "number") ms = value;
  else if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
    if (match === null) return undefined;
    ms = Math.round(Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1));
  } else return undefined;
  // A limit is a whole, representable number of milliseconds (no Infinity, which JSON reports
  // would show as null).
  return Number.isFinite(ms) && ms >= 0 && ms <= Number.MAX_SAFE_INTEGER ? ms : undefined;
}

/**
 * `1.2s`, `340ms`, `2m05s`: short and readable, for status lines and the summary. Rounded to
 * the unit shown first, so a carry moves to the next unit: `3m00s`, never `2m60s`.
 */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/** A configured limit as users write one: `5m`, `90s`, `1h`, else `1500 ms`. */
export function formatLimit(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms} ms`;
}
