// Output in bulk (a command printing gigabytes): Node reads each pipe into a new 64 KiB
// buffer, dead as soon as it is passed on but freed only at the next minor collection, which
// V8 runs when the young generation is about full. V8 13 (Node 24) lets that generation grow
// to 64 MB, so some 50 MB of dead read buffers pile up between collections, and runner's peak
// with them (SPEC §9: ≤ 150 MB while a command prints 1 GB). Once this much has streamed,
// the World caps it (World.outputFlood); not before, since a V8 flag set at start-up costs
// Node's code cache on every run.

/** How many bytes of output make a flood. */
export const FLOOD_BYTES = 64_000_000;

/** Counts output bytes; calls `flooding` once, when they first reach `limit`. */
export function floodGauge(flooding: () => void, limit = FLOOD_BYTES): (bytes: number) => void {
  let seen = 0;
  return (bytes) => {
    if (seen >= limit) return;
    seen += bytes;
    if (seen >= limit) flooding();
  };
}
