// The settings: every key with its type, default, environment variable and check. The
// sources (defaults < config file < environment < command line) are combined in resolve.ts.
import { availableParallelism } from "node:os";
import { parseDuration } from "../common/duration.ts";

export const OUTPUT_MODES = ["prefixed", "grouped", "interleaved", "quiet"] as const;

/** How a parallel run shows its tasks' output. */
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** The resolved configuration, as a task sees it in `ctx.config`. */
export interface RunnerConfig {
  /** Tasks at once in parallel runs (`-j`, `RUNNER_JOBS`); default: the available CPUs. */
  readonly jobs: number;
  /** The parallel output mode; undefined: chosen from the terminal and CI. */
  readonly output: OutputMode | undefined;
  /** Default per-task time limit in milliseconds; undefined or 0: none. */
  readonly timeout: number | undefined;
  /** Default number of retries of a failed task. */
  readonly retries: number;
  /** Milliseconds between SIGTERM and SIGKILL when a command is stopped. */
  readonly killGrace: number;
  /** The shell `ctx.run` uses (default `/bin/sh`). */
  readonly shell: string;
  /** Extra environment for commands. */
  readonly env: Readonly<Record<string, string>>;
  /** Whether commands are printed before they run. */
  readonly echo: boolean;
  /** Colours forced on or off; undefined: decided from the terminal and the environment. */
  readonly color: boolean | undefined;
  /** The tasks file, absolute. */
  readonly file: string | undefined;
  /** dotenv files loaded into commands' environment, absolute. */
  readonly dotenv: readonly string[];
  /** Bytes of each stream's output kept in memory per command (the tail). */
  readonly captureLimit: number;
}

export type ConfigKey = keyof RunnerConfig;

/** Raw values as they come from one source, before checking. */
export type RawConfig = Partial<Record<ConfigKey, unknown>>;

export function defaults(): RunnerConfig {
  return {
    jobs: availableParallelism(),
    output: undefined,
    timeout: undefined,
    retries: 0,
    killGrace: 3000,
    shell: "/bin/sh",
    env: {},
    echo: false,
    color: undefined,
    file: undefined,
    dotenv: [],
    captureLimit: 1024 * 1024,
  };
}

export const ENV_NAMES: Readonly<Record<ConfigKey, string>> = {
  jobs: "RUNNER_JOBS",
  output: "RUNNER_OUTPUT",
  timeout: "RUNNER_TIMEOUT",
  retries: "RUNNER_RETRIES",
  killGrace: "RUNNER_KILL_GRACE",
  shell: "RUNNER_SHELL",
  env: "RUNNER_ENV",
  echo: "RUNNER_ECHO",
  color: "RUNNER_COLOR",
  file: "RUNNER_FILE",
  dotenv: "RUNNER_DOTENV",
  captureLimit: "RUNNER_CAPTURE_LIMIT",
};

export const KEYS = Object.keys(ENV_NAMES) as ConfigKey[];

/** A value's checked form, or undefined when it is invalid; `fromText`: it came as text (environment, command line). */
type Checker = (value: unknown, fromText: boolean) => unknown;

const wholeNumber =
  (min: number): Checker =>
  (value, fromText) => {
    const n = fromText && typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    return typeof n === "number" && Number.isInteger(n) && n >= min ? n : undefined;
  };

const bool: Checker = (value, fromText) => {
  if (typeof value === "boolean") return value;
  if (!fromText || typeof value !== "string") return undefined;
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off"].includes(value)) return false;
  return undefined;
};

const text: Checker = (value) => (typeof value === "string" && value !== "" ? value : undefined);

export const CHECKS: Readonly<Record<ConfigKey, { readonly check: Checker; readonly expected: string }>> = {
  jobs: { check: wholeNumber(1), expected: "a whole number >= 1" },
  output: {
    check: (v) => ((OUTPUT_MODES as readonly unknown[]).includes(v) ? v : undefined),
    expected: `one of ${OUTPUT_MODES.join(", ")}`,
  },
  timeout: { check: (v) => parseDuration(v), expected: 'a duration like "90s", "5m", "1h" or milliseconds' },
  retries: { check: wholeNumber(0), expected: "a whole number >= 0" },
  killGrace: { check: (v) => parseDuration(v), expected: 'a duration like "3s" or milliseconds' },
  shell: { check: text, expected: "the path or name of a shell" },
  env: {
    check: (value, fromText) => {
      let v = value;
      if (fromText && typeof v === "string") {
        try {
          v = JSON.parse(v);
        } catch {
          return undefined;
        }
      }
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      return Object.values(v).every((x) => typeof x === "string") ? v : undefined;
    },
    expected: "an object of string values",
  },
  echo: { check: bool, expected: "true or false" },
  color: { check: bool, expected: "true or false" },
  file: { check: text, expected: "a path" },
  dotenv: {
    check: (value, fromText) => {
      if (fromText && typeof value === "string") return value.split(",").filter(Boolean);
      if (typeof value === "string" && value !== "") return [value];
      if (Array.isArray(value) && value.every((x) => typeof x === "string")) return value;
      if (value === false) return [];
      return undefined;
    },
    expected: "a path or a list of paths",
  },
  captureLimit: { check: wholeNumber(1024), expected: "a whole number of bytes >= 1024" },
};
