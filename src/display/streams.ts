// runner's two output streams as the reporters share them.
import type { StreamName, Writer } from "../world/world.ts";

export type Streams = Readonly<Record<StreamName, Writer>>;

/** Streams whose stdout knows whether it stands at the start of a line. */
export interface TrackedStreams extends Streams {
  readonly stdoutAtLineStart: () => boolean;
}

/**
 * Remembers whether what went to stdout last ended its line, so that a line of runner's own
 * that must start one (a GitHub `::error` command) can end a task's unfinished line first.
 */
export function trackLineStart(streams: Streams): TrackedStreams {
  let atLineStart = true;
  const { stdout } = streams;
  return {
    stderr: streams.stderr,
    stdout: {
      ...stdout,
      write: (chunk) => {
        if (chunk.length > 0) atLineStart = chunk[chunk.length - 1] === (typeof chunk === "string" ? "\n" : 0x0a);
        stdout.write(chunk);
      },
    },
    stdoutAtLineStart: () => atLineStart,
  };
}

/** Writes runner's own lines to stderr, one write for them all. */
export function sayLines(streams: Streams, lines: readonly string[]): void {
  if (lines.length > 0) streams.stderr.write(lines.map((line) => `${line}\n`).join(""));
}
