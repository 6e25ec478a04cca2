// The interleaved mode: raw, as it comes, as with `&` in a shell.
import type { Reporter } from "../execution/events.ts";
import { parallelReporter } from "./parallel.ts";
import type { DisplaySettings } from "./serial.ts";
import { sayLines } from "./streams.ts";

export function interleavedReporter(settings: DisplaySettings): Reporter {
  const { streams } = settings;
  const say = (lines: readonly string[]): void => sayLines(streams, lines);
  return parallelReporter(
    settings,
    {
      output: (_step, stream, chunk) => {
        streams[stream].write(chunk);
        return streams[stream].drained();
      },
      ended: () => {},
      say,
      finished: (lines) => {
        say(lines);
        return undefined;
      },
    },
    { quietMode: false },
  );
}
