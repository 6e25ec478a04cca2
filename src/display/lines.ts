// The lines of one stream of a task's output, each with the task's prefix (the prefixed
// mode). Output is bytes, not text: a command may print invalid UTF-8, or binary, and it
// must come out exactly as it went in. So lines are cut at byte 0x0A and never decoded; a
// chunk that ends inside a UTF-8 character is no concern, the next chunk completes it on
// the same line.
//
// A partial line (no newline yet) is held until its newline comes, or until `flush()`. To
// keep memory bounded whatever a command prints, a line longer than `maxLine` bytes is let
// out in pieces of `maxLine` bytes, each a line of its own; the cuts fall at the same
// places however the output was chunked.
//
// A carriage return ("\r" not followed by "\n", progress drawn in place: `50%\r60%\r`)
// must not take the prefix away. On a terminal (`redraw`) each state is let out as it comes,
// prefix first, ending in its "\r", so the next one is drawn over it, prefix and all. Off a
// terminal (`last-state`) only what a terminal would have shown at the line's end is kept:
// its last non-empty state. "\r\n" is a line end, kept as it is.
const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** What a carriage return in a line does: see above. */
export type CarriageReturns = "redraw" | "last-state";

export class PrefixedLines {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** `last-state`: the line's last non-empty state before its latest "\r". */
  private lastState: Buffer[] | undefined;
  /** `last-state`: a "\r" that ended the last chunk, the start of a "\r\n" or not. */
  private pendingReturn = false;
  /** `redraw`: a state of the line is on the screen, the cursor at its start. */
  private drawn = false;

  constructor(
    /** `build │ ` */
    private readonly prefix: Buffer,
    /** `build │`, for an empty line: no trailing space. */
    private readonly bare: Buffer,
    private readonly maxLine: number,
    private readonly returns: CarriageReturns = "last-state",
  ) {}

  /** The lines `chunk` completes, each with its prefix and newline, as one buffer. */
  push(chunk: Buffer): Buffer | undefined {
    if (this.pendingReturn || this.drawn || this.lastState !== undefined || chunk.indexOf(RETURN) !== -1) {
      return this.pushReturns(chunk);
    }
    if (this.heldBytes + chunk.length > this.maxLine) return this.pushLong(chunk);
    const first = chunk.indexOf(NEWLINE);
    if (first === -1) {
      this.hold(chunk);
      return undefined;
    }
    // The usual case, no line too long: measure, then build one buffer. Thousands of short
    // lines per chunk, so no object and no native call into Buffer per line: the chunk's
    // complete lines are copied once, to the end of `out`, and each then moves forward to
    // its place behind its prefix (copyWithin and set are V8 built-ins; a byte loop in JS,
    // or Buffer.copy per line, was much slower in bench/).
    const ends = newlines(chunk, first);
    const complete = (ends.at(-1) ?? first) + 1;
    let size = this.heldBytes + complete;
    let start = 0;
    let carried = this.heldBytes;
    for (const end of ends) {
      size += carried + end - start === 0 ? this.bare.length : this.prefix.length;
      carried = 0;
      start = end + 1;
    }
    const out = Buffer.allocUnsafe(size);
    // Every line lands at or before where its bytes sit now, so none is overwritten first.
    const base = size - complete;
    chunk.copy(out, base, 0, complete);
    let at = 0;
    start = 0;
    for (const end of ends) {
      const prefix = this.heldBytes + end - start === 0 ? this.bare : this.prefix;
      out.set(prefix, at);
      at += prefix.length;
      if (this.heldBytes > 0) {
        for (const part of this.held) {
          out.set(part, at);
          at += part.length;
        }
        this.held = [];
        this.heldBytes = 0;
      }
      out.copyWithin(at, base + start, base + end + 1);
      at += end + 1 - start;
      start = end + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
    return out;
  }

  /** The partial line, if there is one, with its prefix and a newline (the task ended). */
  flush(): Buffer | undefined {
    const parts: Buffer[] = [];
    if (this.pendingReturn) {
      this.pendingReturn = false;
      this.carriageReturn(parts);
    }
    if (this.heldBytes > 0 || this.lastState !== undefined || this.drawn) this.endLine(parts, NEWLINE_BYTES);
    return parts.length === 0 ? undefined : Buffer.concat(parts);
  }

  /** A chunk with carriage returns in it, or after one: line ends and returns one by one. */
  private pushReturns(chunk: Buffer): Buffer | undefined {
    const parts: Buffer[] = [];
    let at = 0;
    if (this.pendingReturn && chunk.length > 0) {
      this.pendingReturn = false;
      if (chunk[0] === NEWLINE) {
        this.endLine(parts, RETURN_NEWLINE);
        at = 1;
      } else {
        this.carriageReturn(parts);
      }
    }
    while (at < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, at);
      const ret = chunk.indexOf(RETURN, at);
      if (ret === -1 || (newline !== -1 && newline < ret)) {
        if (newline === -1) {
          this.holdCutting(chunk.subarray(at), parts);
          break;
        }
        this.holdCutting(chunk.subarray(at, newline), parts);
        this.endLine(parts, NEWLINE_BYTES);
        at = newline + 1;
        continue;
      }
      this.holdCutting(chunk.subarray(at, ret), parts);
      if (chunk[ret + 1] === NEWLINE) {
        this.endLine(parts, RETURN_NEWLINE);
        at = ret + 2;
      } else if (ret + 1 === chunk.length && (this.returns === "last-state" || this.heldBytes === 0)) {
        // Maybe a "\r\n": the next chunk tells. (A state to draw is drawn at once; should a
        // "\n" follow, it ends the line as drawn, the same bytes.)
        this.pendingReturn = true;
        break;
      } else {
        this.carriageReturn(parts);
        at = ret + 1;
      }
    }
    return parts.length === 0 ? undefined : Buffer.concat(parts);
  }

  /** A "\r" inside a line: the state so far is drawn (`redraw`) or remembered (`last-state`). */
  private carriageReturn(parts: Buffer[]): void {
    if (this.heldBytes === 0) return;
    if (this.returns === "redraw") {
      parts.push(this.prefix, ...this.held, RETURN_BYTES);
      this.drawn = true;
    } else {
      this.lastState = this.held;
    }
    this.held = [];
    this.heldBytes = 0;
  }

  /** The line ends with `end`: out with what it shows. */
  private endLine(parts: Buffer[], end: Buffer): void {
    if (this.heldBytes === 0 && this.lastState !== undefined) {
      for (const part of this.lastState) this.hold(part);
    }
    this.lastState = undefined;
    if (this.heldBytes === 0 && this.drawn)
      parts.push(end); // The state on the screen stays.
    else this.release(parts, end);
    this.drawn = false;
  }

  /** A chunk that makes a line too long: cut it where `maxLine` says. */
  private pushLong(chunk: Buffer): Buffer | undefined {
    const parts: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.holdCutting(chunk.subarray(start, end), parts);
      this.release(parts);
      start = end + 1;
    }
    if (start < chunk.length) this.holdCutting(chunk.subarray(start), parts);
    return parts.length === 0 ? undefined : Buffer.concat(parts);
  }

  /** Adds to the partial line; whole pieces of `maxLine` bytes go out while more follows. */
  private holdCutting(part: Buffer, parts: Buffer[]): void {
    let rest = part;
    while (this.heldBytes + rest.length > this.maxLine) {
      const take = this.maxLine - this.heldBytes;
      this.hold(rest.subarray(0, take));
      rest = rest.subarray(take);
      this.release(parts);
    }
    this.hold(rest);
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    this.held.push(part);
    this.heldBytes += part.length;
  }

  /** The held line, with its prefix and newline (or `end`), onto `parts`. */
  private release(parts: Buffer[], end: Buffer = NEWLINE_BYTES): void {
    this.drawn = false;
    parts.push(this.heldBytes === 0 ? this.bare : this.prefix, ...this.held, end);
    this.held = [];
    this.heldBytes = 0;
  }
}

const NEWLINE_BYTES = Buffer.from([NEWLINE]);
const RETURN_BYTES = Buffer.from([RETURN]);
const RETURN_NEWLINE = Buffer.from([RETURN, NEWLINE]);

/** Where the newlines in `chunk` are, from `first` on. */
function newlines(chunk: Buffer, first: number): number[] {
  const ends: number[] = [];
  for (let end = first; end !== -1; end = chunk.indexOf(NEWLINE, end + 1)) ends.push(end);
  return ends;
}
