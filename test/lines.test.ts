// The prefixed mode's line cutter (lines.ts), against a plain model of what it must do:
// every line of the whole output with its prefix, lines longer than the limit cut into
// pieces of the limit, a final partial line let out by flush(). However the output is cut
// into chunks — inside a line, inside a UTF-8 character, right at a newline — the bytes out
// must be the same.
import { describe, expect, it } from "vitest";
import { PrefixedLines, type CarriageReturns } from "../src/display/lines.ts";
import { random } from "./random.ts";

const PREFIX = Buffer.from("build │ ");
const BARE = Buffer.from("build │");

/** What the prefixed mode shows for `data`, all of it at once. */
function model(data: Buffer, maxLine: number): Buffer {
  const out: Buffer[] = [];
  const line = (bytes: Buffer): void => {
    out.push(bytes.length === 0 ? BARE : PREFIX, bytes, Buffer.from("\n"));
  };
  let start = 0;
  const whole = (end: number): void => {
    let piece = data.subarray(start, end);
    while (piece.length > maxLine) {
      line(piece.subarray(0, maxLine));
      piece = piece.subarray(maxLine);
    }
    line(piece);
  };
  for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
    whole(end);
    start = end + 1;
  }
  if (start < data.length) whole(data.length);
  return Buffer.concat(out);
}

/**
 * What the prefixed mode shows for `data` holding carriage returns, all at once: of each
 * line (its "\r\n" a line end), on a terminal every non-empty state drawn over the last,
 * prefix and all; elsewhere only its last non-empty state.
 */
function returnsModel(data: Buffer, returns: CarriageReturns): Buffer {
  const text = data.toString("latin1");
  const out: string[] = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const last = index === lines.length - 1;
    if (last && line === "") return;
    const crlf = !last && line.endsWith("\r");
    const end = last ? "\n" : crlf ? "\r\n" : "\n";
    const states = (crlf ? line.slice(0, -1) : line).split("\r");
    const shown = states.filter((state) => state !== "");
    if (returns === "last-state") {
      const state = shown.at(-1) ?? "";
      if (last && state === "") return;
      out.push(state === "" ? BARE.toString("latin1") : PREFIX.toString("latin1"), state, end);
      return;
    }
    const final = states.at(-1) ?? "";
    const drawn = states.slice(0, -1).filter((state) => state !== "");
    for (const state of drawn) out.push(PREFIX.toString("latin1"), state, "\r");
    if (final !== "") out.push(PREFIX.toString("latin1"), final, end);
    else if (drawn.length > 0) out.push(end);
    else if (!last) out.push(BARE.toString("latin1"), end);
  });
  return Buffer.from(out.join(""), "latin1");
}

/** What PrefixedLines lets out for `data` cut at `cuts`, flush included. */
function cutter(data: Buffer, cuts: readonly number[], maxLine: number, returns?: CarriageReturns): Buffer {
  const lines = new PrefixedLines(PREFIX, BARE, maxLine, returns);
  const out: Buffer[] = [];
  let start = 0;
  for (const end of [...cuts, data.length]) {
    const bytes = lines.push(data.subarray(start, end));
    if (bytes !== undefined) out.push(bytes);
    start = end;
  }
  const rest = lines.flush();
  if (rest !== undefined) out.push(rest);
  return Buffer.concat(out);
}

/** Lines of mixed lengths (empty ones, long ones), any bytes but 0x0A and 0x0D; the end may lack a newline. */
function output(next: () => number): Buffer {
  const parts: Buffer[] = [];
  const count = Math.floor(next() * 40);
  for (let i = 0; i < count; i++) {
    const length = next() < 0.2 ? 0 : Math.floor(next() ** 3 * 120);
    const line = Buffer.alloc(length);
    for (let j = 0; j < length; j++) {
      const byte = Math.floor(next() * 256);
      line[j] = byte === 0x0a || byte === 0x0d ? 0x0b : byte;
    }
    parts.push(line, Buffer.from(next() < 0.85 || i < count - 1 ? "\n" : ""));
  }
  return Buffer.concat(parts);
}

describe("PrefixedLines", () => {
  it("prefixes every line, an empty one without the trailing space", () => {
    const data = Buffer.from("one\n\ntwo\n");
    expect(cutter(data, [], 100).toString()).toBe("build │ one\nbuild │\nbuild │ two\n");
  });

  it("holds a partial line until its newline, across chunks", () => {
    const data = Buffer.from("half a line\nnext\n");
    expect(cutter(data, [2, 7, 11, 12, 14], 100).toString()).toBe("build │ half a line\nbuild │ next\n");
    const lines = new PrefixedLines(PREFIX, BARE, 100);
    expect(lines.push(Buffer.from("half a "))).toBeUndefined();
    expect(lines.push(Buffer.from("line\nand "))?.toString()).toBe("build │ half a line\n");
    expect(lines.flush()?.toString()).toBe("build │ and \n");
    expect(lines.flush()).toBeUndefined();
  });

  it("gives a final line with no newline its own at flush()", () => {
    expect(cutter(Buffer.from("a\nno newline"), [3], 100).toString()).toBe("build │ a\nbuild │ no newline\n");
  });

  it("keeps a UTF-8 character cut between chunks whole, on its line", () => {
    const data = Buffer.from("naïve ✔\n");
    const cuts = [3, 4, 8, 9];
    expect(cutter(data, cuts, 100)).toEqual(Buffer.from("build │ naïve ✔\n"));
  });

  it("matches the model for any output, however it is chunked", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const data = output(next);
      const maxLine = next() < 0.5 ? 1 << 20 : 1 + Math.floor(next() * 40);
      const cuts: number[] = [];
      for (let at = 0; at < data.length; at += Math.floor(next() ** 2 * 200)) if (at > 0) cuts.push(at);
      const got = cutter(data, [...new Set(cuts)], maxLine);
      const expected = model(data, maxLine);
      if (!got.equals(expected))
        expect({ seed, got: got.toString("hex") }).toEqual({ seed, got: expected.toString("hex") });
    }
  });

  describe("carriage returns (progress drawn in place)", () => {
    const progress = Buffer.from("50%\r60%\r70%\ndone\n");

    it("off a terminal, keeps each line's last state", () => {
      expect(cutter(progress, [], 100, "last-state").toString()).toBe("build │ 70%\nbuild │ done\n");
      expect(cutter(Buffer.from("a\rb\n"), [], 100).toString()).toBe("build │ b\n");
      // A "\r" that ends the line shows what was there: the state before it.
      expect(cutter(Buffer.from("50%\r60%\r\n"), [3, 4], 100).toString()).toBe("build │ 60%\r\n");
      expect(cutter(Buffer.from("50%\r60%\r"), [], 100).toString()).toBe("build │ 60%\n");
    });

    it("on a terminal, redraws the prefix with each state", () => {
      expect(cutter(progress, [], 100, "redraw").toString()).toBe(
        "build │ 50%\rbuild │ 60%\rbuild │ 70%\nbuild │ done\n",
      );
      // A state is drawn as soon as its "\r" comes, not when the line ends.
      const lines = new PrefixedLines(PREFIX, BARE, 100, "redraw");
      expect(lines.push(Buffer.from("50%\r"))?.toString()).toBe("build │ 50%\r");
      expect(lines.push(Buffer.from("60%\r"))?.toString()).toBe("build │ 60%\r");
      expect(lines.flush()?.toString()).toBe("\n");
    });

    it("keeps \\r\\n line ends as they are", () => {
      for (const returns of ["redraw", "last-state"] as const) {
        expect(cutter(Buffer.from("one\r\n\r\ntwo\r\n"), [4, 5, 6], 100, returns).toString()).toBe(
          "build │ one\r\nbuild │\r\nbuild │ two\r\n",
        );
      }
    });

    it("matches the model for any output, however it is chunked", () => {
      const bytes = ["a", "b", "é", "\r", "\r", "\n", " "];
      for (let seed = 1; seed <= 400; seed++) {
        const next = random(seed);
        const length = Math.floor(next() * 60);
        let text = "";
        for (let i = 0; i < length; i++) text += bytes[Math.floor(next() * bytes.length)] ?? "";
        const data = Buffer.from(text);
        const cuts: number[] = [];
        for (let at = 0; at < data.length; at += 1 + Math.floor(next() * 8)) if (at > 0) cuts.push(at);
        for (const returns of ["redraw", "last-state"] as const) {
          const got = cutter(data, cuts, 1 << 20, returns);
          const expected = returnsModel(data, returns);
          if (!got.equals(expected)) {
            expect({ seed, returns, text, got: got.toString() }).toEqual({
              seed,
              returns,
              text,
              got: expected.toString(),
            });
          }
        }
      }
    });
  });
});
