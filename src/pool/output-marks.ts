// Where a task's output ends in its worker's pipes. A pool worker's stdout and stderr carry
// more than what the task's code printed through process.stdout: bytes it wrote to fd 1 or 2
// itself, and whatever a process it started with `stdio: "inherit"` writes there, now or
// after the task ended. No count kept in the worker can cover those, so the worker writes a
// mark into each pipe where a task ends (and before a ctx.call), in the pipe's order: runner
// ends the task once it has read up to that mark. A mark is one write of under PIPE_BUF
// bytes, so no other writer's bytes land inside it, and it carries a random key runner gives
// the worker, so no program's output can pass for one; runner takes marks out of the output.
// Two more kinds frame what code an earlier task left behind (a timer) prints: it is that
// task's, whichever task runs in the worker now.

export type PipeName = "stdout" | "stderr";

/** Which marks a message waits for: number `seq`, in the pipes it could be written to. */
export interface Marks {
  readonly seq: number;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

const DIGITS = 8;

/** An end mark (number `seq`), or the start (of task `id`'s output) and the end of a frame. */
export type MarkKind = "end" | "from" | "back";

const LETTER: Readonly<Record<MarkKind, string>> = { end: "e", from: "f", back: "b" };
const KIND: Readonly<Record<string, MarkKind>> = { e: "end", f: "from", b: "back" };

/** The start of each of a worker's marks: `key` is random, and runner's alone. */
export function markPrefix(key: string): string {
  return `\0runner-mark:${key}:`;
}

/** A mark of that kind and number (fixed width, so each is as long as the others). */
export function mark(prefix: string, kind: MarkKind, n: number): string {
  return `${prefix}${LETTER[kind]}${n.toString(16).padStart(DIGITS, "0")}\0`;
}

/**
 * Reads one pipe of a worker: hands on its output without the marks, and tells each mark's
 * number once the output before it has been handed on.
 */
export class MarkReader {
  private readonly prefix: Buffer;
  private readonly length: number;
  /** The end of the last chunk that may be the start of a mark the next chunk completes. */
  private held: Buffer = Buffer.alloc(0);
  /** The number of the last mark read. */
  seen = 0;

  constructor(prefix: string) {
    this.prefix = Buffer.from(prefix);
    this.length = Buffer.byteLength(mark(prefix, "end", 0));
  }

  /**
   * Reads a chunk: `output` gets the bytes between marks, `marked` each mark, in the pipe's
   * order. Bytes at its end that may begin a mark are held back for the next chunk.
   */
  read(chunk: Buffer, output: (bytes: Buffer) => void, marked: (kind: MarkKind, n: number) => void): void {
    const bytes = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    this.held = Buffer.alloc(0);
    let from = 0;
    for (;;) {
      const at = bytes.indexOf(this.prefix, from);
      if (at < 0 || at + this.length > bytes.length) break;
      if (at > from) output(bytes.subarray(from, at));
      from = at + this.length;
      const kind = KIND[bytes.toString("latin1", at + this.prefix.length, at + this.prefix.length + 1)];
      const n = Number.parseInt(bytes.toString("latin1", at + this.prefix.length + 1, from - 1), 16);
      if (kind === undefined || !Number.isSafeInteger(n)) {
        // Not one of the worker's (it writes no other): the bytes are output.
        output(bytes.subarray(at, from));
        continue;
      }
      if (kind === "end") this.seen = Math.max(this.seen, n);
      marked(kind, n);
    }
    const keep = this.startOfMark(bytes, from);
    if (bytes.length - keep > from) output(bytes.subarray(from, bytes.length - keep));
    if (keep > 0) this.held = Buffer.from(bytes.subarray(bytes.length - keep));
  }

  /** Whether bytes are held back for a mark the next chunk may complete. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** The pipe has ended, or no mark can come soon: what was held back is output. */
  flush(output: (bytes: Buffer) => void): void {
    if (this.held.length > 0) output(this.held);
    this.held = Buffer.alloc(0);
  }

  /** How many bytes at the end of `bytes` (after `from`) may begin a mark. */
  private startOfMark(bytes: Buffer, from: number): number {
    // A whole prefix at the end, its number still to come.
    const whole = bytes.indexOf(this.prefix, Math.max(from, bytes.length - this.length + 1));
    if (whole >= 0) return bytes.length - whole;
    for (let keep = Math.min(this.prefix.length - 1, bytes.length - from); keep > 0; keep--) {
      const start = bytes.length - keep;
      if (bytes[start] === this.prefix[0] && bytes.subarray(start).equals(this.prefix.subarray(0, keep))) return keep;
    }
    return 0;
  }
}
