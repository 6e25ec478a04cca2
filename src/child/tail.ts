// The last `limit` bytes of a stream: captured output stays bounded however much a
// command prints (chunks are kept as they come; no per-line work on the hot path).
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Whether anything was dropped from the front. */
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (let first = this.chunks[0]; first !== undefined && this.chunks.length > 1; first = this.chunks[0]) {
      if (this.size - first.length < this.limit) break;
      this.chunks.shift();
      this.size -= first.length;
      this.truncated = true;
    }
  }

  text(): string {
    const joined = Buffer.concat(this.chunks);
    if (joined.length <= this.limit) return joined.toString("utf8");
    this.truncated = true;
    let start = joined.length - this.limit;
    // Start on a character, not inside one: skip UTF-8 continuation bytes (0b10xxxxxx).
    while (start < joined.length && ((joined[start] ?? 0) & 0xc0) === 0x80) start++;
    return joined.subarray(start).toString("utf8");
  }
}
