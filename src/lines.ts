// Cutting a task's output into lines, for the prefixed mode. Output is bytes, not text: a
// command may print invalid UTF-8, or binary, and it must come out exactly as it went in. So
// lines are cut at byte 0x0A and never decoded, and a chunk that ends inside a UTF-8
// character is no concern: the character is completed by the next chunk, on the same line.
const NEWLINE = 0x0a;

/** Called with each complete line: the parts held from earlier chunks, then the rest. */
export type OnLine = (held: readonly Buffer[], rest: Buffer) => void;

/**
 * The lines of one stream. A partial line (no newline yet) is held until its newline comes,
 * or until `flush()`; one longer than `maxLine` bytes is let out as a line of its own, so
 * that memory stays bounded whatever a command prints.
 */
export class LineBuffer {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer, onLine: OnLine): void {
    let start = 0;
    let end = chunk.indexOf(NEWLINE, start);
    while (end !== -1) {
      const rest = chunk.subarray(start, end);
      if (this.heldBytes === 0) onLine(NO_PARTS, rest);
      else {
        const held = this.held;
        this.held = [];
        this.heldBytes = 0;
        onLine(held, rest);
      }
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (start === chunk.length) return;
    this.held.push(chunk.subarray(start));
    this.heldBytes += chunk.length - start;
    if (this.heldBytes >= this.maxLine) this.flush(onLine);
  }

  /** Lets out the partial line, if there is one (the task ended, or it grew too long). */
  flush(onLine: OnLine): void {
    if (this.heldBytes === 0) return;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    onLine(held, EMPTY);
  }
}

const NO_PARTS: readonly Buffer[] = [];
const EMPTY = Buffer.alloc(0);
