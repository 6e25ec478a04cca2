// The settings: every key with its type, default, environment variable and check. The
// sources (defaults < config file < environment < command line) are combined in resolve.ts.
import { availableParallelism } from "node:os";
import { parseDuration } from "../common/duration.ts";
import { parseSize } from "../common/size.ts";

export const OUTPUT_MODES = ["prefixed", "grouped", "interleaved", "quiet"] as const;

/**
 * How a parallel run (`-p`) shows its tasks' output (`--output`, the `output` setting,
 * `RUNNER_OUTPUT`):
 * - `"prefixed"`: every line as it comes, prefixed with its task's name;
 * - `"grouped"`: each task's output as one block when the task ends;
 * - `"interleaved"`: raw, as it comes, as with `&` in a shell;
 * - `"quiet"`: only the output of tasks that failed, and the summary.
 */
export type OutputMode = (typeof OUTPUT_MODES)[number];

/**
 * The resolved configuration, as a task sees it in `ctx.config`: built-in defaults, then the
 * config file, then `RUNNER_*` environment variables, then the command line, each overriding
 * the one before. Durations are in milliseconds here, however they were written.
 */
export interface RunnerConfig {
  /** Tasks at once in parallel runs (`-j`, `RUNNER_JOBS`); default: the available CPUs. */
  readonly jobs: number;
  /** The parallel output mode (`--output`); undefined: `prefixed` on a terminal, else (or under CI) `grouped`. */
  readonly output: OutputMode | undefined;
  /** Default per-task time limit in milliseconds (`--timeout`, `RUNNER_TIMEOUT`); undefined or 0: none. */
  readonly timeout: number | undefined;
  /** Default number of retries of a failed task (`--retries`, `RUNNER_RETRIES`); default 0. */
  readonly retries: number;
  /** Milliseconds between SIGTERM and SIGKILL when a command is stopped; default 3000. */
  readonly killGrace: number;
  /** The shell `ctx.run` uses (default `/bin/sh`). */
  readonly shell: string;
  /** Extra environment variables for every command, over runner's own and the `dotenv` files'. */
  readonly env: Readonly<Record<string, string>>;
  /** Whether commands are printed before they run (`-e`, `RUNNER_ECHO`); default false. */
  readonly echo: boolean;
  /** Colours forced on or off; undefined: decided from the terminal and the environment. */
  readonly color: boolean | undefined;
  /** The tasks file named by the config file (made absolute) or `RUNNER_FILE`; undefined when neither names one. */
  readonly file: string | undefined;
  /**
   * `.env` files, loaded in order (a later file's value wins), into commands' environment and
   * task code's `process.env`, where those do not set a variable already; default none. A
   * file that does not exist is skipped unless it is `required`. Paths from a config file are
   * made absolute; others are relative to the project directory.
   */
  readonly dotenv: readonly DotenvFile[];
  /** Bytes of each stream's output kept in a command's result (the last ones); default 1 MiB. */
  readonly captureLimit: number;
  /** Whether every task's code runs in a pool worker (`isolate`, `RUNNER_ISOLATE`, as `--isolate`); default false. */
  readonly isolate: boolean;
  /**
   * The memory ceiling of a pool worker, in bytes (`isolateMaxRss`, `RUNNER_ISOLATE_MAX_RSS`;
   * written as bytes or a size like `"1GB"`): a worker whose resident size is past it after a
   * task is ended, and the next task gets a new one. A task's `isolate: { maxRss }` wins.
   * Default: none.
   */
  readonly isolateMaxRss: number | undefined;
  /** The Redis server of distributed runs (`--redis`, `RUNNER_REDIS`): a `redis://` or `rediss://` URL (SPEC §8). */
  readonly redis: string | undefined;
  /** The BullMQ queue dispatchers send to and workers take from; default `runner`. One per project sharing a server. */
  readonly redisQueue: string;
  /** How long a worker's hold on a job lasts before it is renewed, in ms (BullMQ `lockDuration`); default 30 s. */
  readonly redisLockDuration: number;
  /** How often workers look for jobs whose worker stopped renewing its hold, in ms (BullMQ `stalledInterval`); default 30 s. */
  readonly redisStalledInterval: number;
  /** How many times a job may be found stalled and taken up again before it fails (BullMQ `maxStalledCount`); default 1. */
  readonly redisMaxStalled: number;
  /** How long a worker told to stop (SIGTERM) lets its running tasks finish before it gives them back, in ms; default 30 s. */
  readonly workerGrace: number;
}

/** One file of the `dotenv` setting, as `ctx.config` holds it. */
export interface DotenvFile {
  readonly path: string;
  /** Whether a missing file is an error (else it is skipped). */
  readonly required: boolean;
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
    isolate: false,
    isolateMaxRss: undefined,
    redis: undefined,
    redisQueue: "runner",
    redisLockDuration: 30_000,
    redisStalledInterval: 30_000,
    redisMaxStalled: 1,
    workerGrace: 30_000,
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
  isolate: "RUNNER_ISOLATE",
  isolateMaxRss: "RUNNER_ISOLATE_MAX_RSS",
  redis: "RUNNER_REDIS",
  redisQueue: "RUNNER_REDIS_QUEUE",
  redisLockDuration: "RUNNER_REDIS_LOCK_DURATION",
  redisStalledInterval: "RUNNER_REDIS_STALLED_INTERVAL",
  redisMaxStalled: "RUNNER_REDIS_MAX_STALLED",
  workerGrace: "RUNNER_WORKER_GRACE",
};

export const KEYS = Object.keys(ENV_NAMES) as ConfigKey[];

/** A value's checked form, or undefined when it is invalid; `fromText`: it came as text (environment, command line). */
type Checker = (value: unknown, fromText: boolean) => unknown;

/** The most bytes of a stream runner keeps: the tail is made into a string, and V8's are ~512 MiB at most. */
export const MAX_CAPTURE_LIMIT = 256 * 1024 * 1024;

/** A whole number from `min` to `max`: as text, plain decimal digits only (no `0x10`, `1e3`, ` 4 `, `Infinity`). */
const wholeNumber =
  (min: number, max = Number.MAX_SAFE_INTEGER): Checker =>
  (value, fromText) => {
    const n =
      fromText && typeof value === "string" && /^\d+$/.test(value) ? Number(value) : fromText ? undefined : value;
    return typeof n === "number" && Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  };

const bool: Checker = (value, fromText) => {
  if (typeof value === "boolean") return value;
  if (!fromText || typeof value !== "string") return undefined;
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off"].includes(value)) return false;
  return undefined;
};

function positiveDuration(value: unknown): number | undefined {
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

const text: Checker = (value) => (typeof value === "string" && value !== "" ? value : undefined);

const optionalFile = (path: string): DotenvFile => ({ path, required: false });

/** `".env"` or `{ path: ".env.ci", required: true }`; undefined for anything else. */
function dotenvFile(entry: unknown): DotenvFile | undefined {
  if (typeof entry === "string") return entry === "" ? undefined : optionalFile(entry);
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return undefined;
  const { path, required, ...others } = entry as Record<string, unknown>;
  if (typeof path !== "string" || path === "" || Object.keys(others).length > 0) return undefined;
  if (required !== undefined && typeof required !== "boolean") return undefined;
  return { path, required: required === true };
}

export const CHECKS: Readonly<Record<ConfigKey, { readonly check: Checker; readonly expected: string }>> = {
  jobs: { check: wholeNumber(1), expected: "a whole number ≥ 1" },
  output: {
    check: (v) => ((OUTPUT_MODES as readonly unknown[]).includes(v) ? v : undefined),
    expected: `one of ${OUTPUT_MODES.join(", ")}`,
  },
  timeout: { check: (v) => parseDuration(v), expected: 'a duration like "90s", "5m", "1h" or milliseconds' },
  retries: { check: wholeNumber(0), expected: "a whole number ≥ 0" },
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
      let v = value;
      if (fromText && typeof v === "string") {
        // `a.env,b.env`, or JSON for what a list of paths cannot say: `[{"path":"ci.env","required":true}]`.
        if (!v.trimStart().startsWith("[")) return v.split(",").filter(Boolean).map(optionalFile);
        try {
          v = JSON.parse(v);
        } catch {
          return undefined;
        }
      }
      if (typeof v === "string" && v !== "") return [optionalFile(v)];
      if (v === false) return [];
      if (!Array.isArray(v)) return undefined;
      const files = v.map(dotenvFile);
      return files.every((file) => file !== undefined) ? files : undefined;
    },
    expected: 'a path, or a list of paths and { "path": …, "required": true } objects',
  },
  captureLimit: {
    check: wholeNumber(1024, MAX_CAPTURE_LIMIT),
    expected: `a whole number of bytes from 1024 to ${MAX_CAPTURE_LIMIT} (256 MiB)`,
  },
  isolate: { check: bool, expected: "true or false" },
  isolateMaxRss: { check: (v) => parseSize(v), expected: 'a size like "512MB", "1.5GB", "2GiB" or bytes' },
  redis: { check: text, expected: "a redis:// or rediss:// URL" },
  // BullMQ's queue names end up in key names: no ":" (its separator) and nothing unprintable.
  redisQueue: {
    check: (v) => (typeof v === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(v) ? v : undefined),
    expected: "a name of letters, digits, '.', '_' or '-' (at most 64)",
  },
  redisLockDuration: { check: positiveDuration, expected: 'a duration like "30s" or milliseconds, above 0' },
  redisStalledInterval: { check: positiveDuration, expected: 'a duration like "30s" or milliseconds, above 0' },
  redisMaxStalled: { check: wholeNumber(0, 1000), expected: "a whole number from 0 to 1000" },
  workerGrace: { check: (v) => parseDuration(v), expected: 'a duration like "30s" or milliseconds' },
};
