// Sizes as users write them: `512MB`, `1.5GB`, `800kB`, `2GiB` or plain bytes. As in
// jest's workerIdleMemoryLimit and vitest's vmMemoryLimit, `kB`/`MB`/`GB` are decimal
// (1000, 10⁶, 10⁹) and `KiB`/`MiB`/`GiB` binary (1024, 2²⁰, 2³⁰); case does not matter.
const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A whole number of bytes ≥ 1, or undefined when the value is not a size. */
export function parseSize(value: unknown): number | undefined {
  let bytes: number;
  if (typeof value === "number") bytes = value;
  else if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = UNITS[(match?.[2] ?? "").toLowerCase() || "b"];
    if (match === null || unit === undefined) return undefined;
    bytes = Math.round(Number(match[1]) * unit);
  } else return undefined;
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}
