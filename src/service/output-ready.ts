// Readiness from a service's output: each line it prints, on either stream, with colour
// codes stripped, is tested against the pattern. A line still being written is tested too
// (a prompt with no newline, a long line on its way), and kept until its newline comes.
import { StringDecoder } from "node:string_decoder";
import { stripVTControlCharacters } from "node:util";
import type { StreamName } from "../world/world.ts";
import type { ReadinessProbe } from "./probe.ts";

/** How much of a line still being written is kept: a pattern matches within a line, and one line may be endless. */
const PARTIAL_LINE_CHARS = 64 * 1024;

export function outputProbe(pattern: RegExp, onReady: () => void): ReadinessProbe {
  // Each stream separately: a chunk of stderr must not end stdout's line.
  const streams = new Map<StreamName, { decoder: StringDecoder; partial: string }>();
  const matches = (line: string): boolean => pattern.test(stripVTControlCharacters(line));
  return {
    output: (stream, chunk) => {
      let state = streams.get(stream);
      if (state === undefined) streams.set(stream, (state = { decoder: new StringDecoder("utf8"), partial: "" }));
      const lines = (state.partial + state.decoder.write(chunk)).split("\n");
      const partial = lines.pop() ?? "";
      state.partial = partial.length > PARTIAL_LINE_CHARS ? partial.slice(-PARTIAL_LINE_CHARS) : partial;
      if (lines.some((line) => matches(line.replace(/\r$/, ""))) || (partial !== "" && matches(state.partial))) {
        onReady();
      }
    },
    notReady: () => `its output did not match ${String(pattern)}`,
    stop: () => streams.clear(),
  };
}
