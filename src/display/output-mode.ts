// Which output mode a parallel run gets when none is named, and whether this is CI (where logs
// are kept: no live status line, grouped output).
import type { OutputMode } from "../config/settings.ts";

/** The output mode when neither --output nor the `output` setting names one. */
export function defaultOutputMode(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): OutputMode {
  return isTTY && !isCI(env) ? "prefixed" : "grouped";
}

/** CI is set (to anything but "" or "false"): logs are kept, so no live status line either. */
export function isCI(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.CI !== undefined && env.CI !== "" && env.CI !== "false";
}
