// The marks a pool worker writes where a task's output ends (pool/output-marks.ts): read back
// from the pipe however it is cut into chunks, taken out of the output, never mistaken.
import { describe, expect, it } from "vitest";
import { mark, markPrefix, MarkReader } from "../../src/pool/output-marks.ts";

const PREFIX = markPrefix("0123456789abcdef0123456789abcdef");

interface Read {
  readonly events: (string | number)[];
  readonly text: () => string;
}

/** Feeds the chunks to a reader; events: output text and mark numbers, in order (adjacent text joined). */
function readAll(chunks: readonly Buffer[], mayMark = true, reader = new MarkReader(PREFIX)): Read {
  const events: (string | number)[] = [];
  const output = (bytes: Buffer): void => {
    const last = events.length - 1;
    if (typeof events[last] === "string") events[last] += bytes.toString("latin1");
    else events.push(bytes.toString("latin1"));
  };
  for (const chunk of chunks)
    reader.read(
      chunk,
      output,
      (seq) => events.push(seq),
      () => mayMark,
    );
  reader.flush(output);
  return { events, text: () => events.filter((e) => typeof e === "string").join("") };
}

describe("a worker's output marks", () => {
  const stream = Buffer.from(`before\n${mark(PREFIX, 1)}\0between\0${mark(PREFIX, 2)}after`, "latin1");

  it("are taken out of the output and told in the pipe's order, however the pipe is cut", () => {
    const expected = ["before\n", 1, "\0between\0", 2, "after"];
    expect(readAll([stream]).events).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(readAll([stream.subarray(0, cut), stream.subarray(cut)]).events, `cut at ${cut}`).toEqual(expected);
    }
    // One byte at a time.
    expect(readAll([...stream].map((byte) => Buffer.from([byte]))).events).toEqual(expected);
  });

  it("count the last one seen", () => {
    const reader = new MarkReader(PREFIX);
    readAll([Buffer.from(mark(PREFIX, 7) + mark(PREFIX, 8))], true, reader);
    expect(reader.seen).toBe(8);
  });

  it("of another key, or cut short, are output like any other bytes", () => {
    const other = mark(markPrefix("ffffffffffffffffffffffffffffffff"), 1);
    const short = PREFIX.slice(0, 10);
    const { events } = readAll([Buffer.from(`${other}x${short}`, "latin1")]);
    expect(events).toEqual([`${other}x${short}`]);
  });

  it("hold back no byte while no mark can come", () => {
    const reader = new MarkReader(PREFIX);
    const out: string[] = [];
    reader.read(
      Buffer.from(`late${PREFIX.slice(0, 5)}`, "latin1"),
      (b) => out.push(b.toString("latin1")),
      () => {},
      () => false,
    );
    expect(out.join("")).toBe(`late${PREFIX.slice(0, 5)}`);
    // While one can, the start of one waits for the next chunk.
    out.length = 0;
    reader.read(
      Buffer.from(`more${PREFIX.slice(0, 5)}`, "latin1"),
      (b) => out.push(b.toString("latin1")),
      () => {},
      () => true,
    );
    expect(out.join("")).toBe("more");
  });
});
