// Configuration (SPEC §6): built-in defaults < config file (cosmiconfig) < RUNNER_*
// environment variables < command line. Every value is checked where it comes from, and
// an invalid one is an error naming that source.
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { parseDuration } from "./duration.ts";
import { UserError } from "./errors.ts";

export const OUTPUT_MODES = ["prefixed", "grouped", "interleaved", "quiet"] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export interface Config {
  readonly jobs: number;
  /** undefined: chosen from the terminal and CI (section 5). */
  readonly output: OutputMode | undefined;
  readonly timeout: number | undefined;
  readonly retries: number;
  readonly killGrace: number;
  readonly shell: string;
  readonly env: Readonly<Record<string, string>>;
  readonly echo: boolean;
  readonly color: boolean | undefined;
  readonly file: string | undefined;
  readonly dotenv: readonly string[];
  /** Bytes of each stream's output kept in memory per command (the tail). */
  readonly captureLimit: number;
}

export type ConfigKey = keyof Config;

/** Raw values as they come from one source, before checking. */
export type RawConfig = Partial<Record<ConfigKey, unknown>>;

export interface ConfigFile {
  readonly path: string;
  readonly values: RawConfig;
}

export const DEFAULTS: Config = {
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

const ENV_NAMES: Readonly<Record<ConfigKey, string>> = {
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

const KEYS = Object.keys(ENV_NAMES) as ConfigKey[];

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

const CHECKS: Readonly<Record<ConfigKey, { check: Checker; expected: string }>> = {
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

function checked(key: ConfigKey, value: unknown, source: string, fromText: boolean): unknown {
  const { check, expected } = CHECKS[key];
  const result = check(value, fromText);
  if (result === undefined) {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    throw new UserError(`Invalid value "${shown}" for ${source}: expected ${expected}.`);
  }
  return result;
}

export interface ConfigSources {
  readonly file: ConfigFile | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** From the command line: already named by flag, e.g. { jobs: "4" } from `--jobs 4`. */
  readonly cli: RawConfig;
  readonly cliNames: Readonly<Partial<Record<ConfigKey, string>>>;
}

export function resolveConfig({ file, env, cli, cliNames }: ConfigSources): Config {
  const values: Record<string, unknown> = { ...DEFAULTS };
  if (file !== undefined) {
    if (typeof file.values !== "object" || file.values === null || Array.isArray(file.values)) {
      throw new UserError(`Invalid configuration in ${file.path}: expected an object of settings.`);
    }
    for (const [key, value] of Object.entries(file.values)) {
      if (!KEYS.includes(key as ConfigKey)) {
        throw new UserError(`Unknown setting "${key}" in ${file.path}. Known settings: ${KEYS.join(", ")}.`);
      }
      if (value === undefined) continue;
      values[key] = checked(key as ConfigKey, value, `${key} in ${file.path}`, false);
    }
    // Paths in a config file are relative to that file.
    const base = dirname(file.path);
    if (typeof values.file === "string" && file.values.file !== undefined) values.file = resolve(base, values.file);
    if (file.values.dotenv !== undefined) values.dotenv = (values.dotenv as string[]).map((p) => resolve(base, p));
  }
  for (const key of KEYS) {
    const value = env[ENV_NAMES[key]];
    if (value === undefined || value === "") continue;
    values[key] = checked(key, value, `${ENV_NAMES[key]} in the environment`, true);
  }
  for (const key of KEYS) {
    const value = cli[key];
    if (value === undefined) continue;
    values[key] = checked(key, value, cliNames[key] ?? `--${key}`, true);
  }
  return Object.freeze(values) as unknown as Config;
}

const SEARCH_PLACES = [
  "package.json",
  ".runnerrc",
  ".runnerrc.json",
  ".runnerrc.yaml",
  ".runnerrc.yml",
  ".runnerrc.js",
  ".runnerrc.mjs",
  "runner.config.js",
  "runner.config.mjs",
  "runner.config.ts",
];

/** Finds the nearest configuration, searching upward from `dir` (cosmiconfig). */
export async function findConfigFile(
  dir: string,
  loadTs: (path: string) => Promise<unknown>,
): Promise<ConfigFile | undefined> {
  const { cosmiconfig } = await import("cosmiconfig");
  const explorer = cosmiconfig("runner", {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: "global",
    loaders: { ".ts": async (path: string) => loadTs(path) },
  });
  let result;
  try {
    result = await explorer.search(dir);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UserError(`Invalid configuration file: ${message}`);
  }
  if (result === null || result.isEmpty === true) return undefined;
  return { path: result.filepath, values: (result.config ?? {}) as RawConfig };
}
