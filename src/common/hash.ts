// A content hash for cache keys, in plain JavaScript: loading node:crypto costs a few ms at
// every start, more than hashing a tasks file takes. Not for security: whoever can write the
// cache directory can already put code in it. Two rounds of cyrb53's mixing with different
// seeds give 128 bits, so two different files never meet by accident.

function round(data: Uint8Array, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (const byte of data) {
    h1 = Math.imul(h1 ^ byte, 2654435761);
    h2 = Math.imul(h2 ^ byte, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}

/** 32 hex digits naming `data` (a string is hashed as its UTF-8 bytes). */
export function contentHash(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return round(bytes, 0x9e3779b9) + round(bytes, 0x85ebca6b);
}
