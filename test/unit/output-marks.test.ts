// The marks a pool worker writes into its pipes (pool/output-marks.ts): where a task's output
// ends, and frames around what code an earlier task left behind prints. Read back however the
// pipe is cut into chunks, taken out of the output, never mistaken.
import { describe, expect, it } from "vitest";
import { mark, markPrefix, MarkReader } from "../../src/pool/output-marks.ts";

/** Output text; an end mark's number; another mark as [kind, number]. */
type Event = string | number | readonly [string, number];

const PREFIX = markPrefix("0123456789abcdef0123456789abcdef");

/** Feeds the chunks to a reader, then flushes it; output text and marks in order (adjacent text joined). */
function readAll(chunks: readonly Buffer[], reader = new MarkReader(PREFIX)): Event[] {
  const events: Event[] = [];
  const output = (bytes: Buffer): void => {
    const last = events.length - 1;
    if (typeof events[last] === "string") events[last] += bytes.toString("latin1");
    else events.push(bytes.toString("latin1"));
  };
  const marked = (kind: string, n: number): void => void events.push(kind === "end" ? n : [kind, n]);
  for (const chunk of chunks) reader.read(chunk, output, marked);
  reader.flush(output);
  return events;
}

describe("a worker's output marks", () => {
  const stream = Buffer.from(
    `before\n${mark(PREFIX, "end", 1)}\0between\0${mark(PREFIX, "from", 7)}late${mark(PREFIX, "back", 0)}${mark(PREFIX, "end", 2)}after`,
    "latin1",
  );
  const expected = ["before\n", 1, "\0between\0", ["from", 7], "late", ["back", 0], 2, "after"];

  it("are taken out of the output and told in the pipe's order, however the pipe is cut", () => {
    expect(readAll([stream])).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(readAll([stream.subarray(0, cut), stream.subarray(cut)]), `cut at ${cut}`).toEqual(expected);
    }
    // One byte at a time.
    expect(readAll([...stream].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it("count the last end mark seen", () => {
    const reader = new MarkReader(PREFIX);
    readAll([Buffer.from(mark(PREFIX, "end", 7) + mark(PREFIX, "from", 9) + mark(PREFIX, "end", 8))], reader);
    expect(reader.seen).toBe(8);
  });

  it("of another key, or cut short, are output like any other bytes", () => {
    const other = mark(markPrefix("ffffffffffffffffffffffffffffffff"), "end", 1);
    const short = PREFIX.slice(0, 10);
    expect(readAll([Buffer.from(`${other}x${short}`, "latin1")])).toEqual([`${other}x${short}`]);
  });

  it("hold back only what may begin one, and say so until the next chunk or a flush", () => {
    const reader = new MarkReader(PREFIX);
    const out: string[] = [];
    const take = (bytes: Buffer): void => void out.push(bytes.toString("latin1"));
    reader.read(Buffer.from(`more${PREFIX.slice(0, 5)}`, "latin1"), take, () => {});
    expect([out.join(""), reader.holding]).toEqual(["more", true]);
    reader.flush(take);
    expect([out.join(""), reader.holding]).toEqual([`more${PREFIX.slice(0, 5)}`, false]);
    reader.read(Buffer.from("plain\0x"), take, () => {});
    expect(reader.holding).toBe(false);
  });
});
