// Sizes as the summary shows them: `210 MB`, `4.5 MB`, `1.2 GB` (decimal units: 1 MB is
// 1,000,000 bytes, as the report's byte counts read).

/** `0 B`, `512 B`, `34 kB`, `4.5 MB`, `210 MB`, `1.2 GB`: two or three figures, rounded. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"] as const;
  let value = Math.max(0, bytes);
  let unit = 0;
  // Rounded to the figures shown first, so that 999.6 kB is 1.0 MB, never 1000 kB.
  while (unit < units.length - 1 && (unit === 0 ? Math.round(value) : Number(value.toPrecision(3))) >= 1000) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value).toString()} ${units[unit] ?? ""}`;
}
