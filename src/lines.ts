// Cutting a task's output into lines, for the prefixed mode. Output is bytes, not text: a
// command may print invalid UTF-8, or binary, and it must come out exactly as it went in. So
// lines are cut at byte 0x0A and never decoded, and a chunk that ends inside a UTF-8
// character is no concern: the character is completed by the next chunk, on the same line.
const NEWLINE = 0x0a;

/** Called with each complete line, without its newline, as parts to be written in order. */
export type OnLine = (parts: readonly Buffer[]) => void;

/**
 * The lines of one stream. A partial line (no newline yet) is held until its newline comes,
 * or until `flush()`. To keep memory bounded whatever a command prints, a line longer than
 * `maxLine` bytes is let out in pieces of `maxLine` bytes, each a line of its own; the cut
 * falls at the same place however the output was chunked.
 */
export class LineBuffer {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer, onLine: OnLine): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.hold(chunk.subarray(start, end), onLine);
      this.release(onLine);
      start = end + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start), onLine);
  }

  /** Lets out the partial line, if there is one (the task ended). */
  flush(onLine: OnLine): void {
    if (this.heldBytes > 0) this.release(onLine);
  }

  /** Adds to the partial line; whole pieces of `maxLine` bytes go out while more follows. */
  private hold(part: Buffer, onLine: OnLine): void {
    let rest = part;
    while (this.heldBytes + rest.length > this.maxLine) {
      const take = this.maxLine - this.heldBytes;
      this.held.push(rest.subarray(0, take));
      this.heldBytes += take;
      rest = rest.subarray(take);
      this.release(onLine);
    }
    if (rest.length === 0) return;
    this.held.push(rest);
    this.heldBytes += rest.length;
  }

  private release(onLine: OnLine): void {
    const parts = this.held;
    this.held = [];
    this.heldBytes = 0;
    onLine(parts);
  }
}
