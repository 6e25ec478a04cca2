// Configuration (SPEC §6): built-in defaults < config file (cosmiconfig) < RUNNER_*
// environment variables < command line. Every value is checked where it comes from, and
// an invalid one is an error naming that source.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseDuration } from "./duration.ts";
import { UserError } from "./errors.ts";
import { importModule } from "./import-module.ts";
import { didYouMean } from "./names.ts";

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
    // Text is quoted as given; a file's other values show as JSON, so `"3"` (a string) and
    // `3` (a number) read differently.
    const shown = typeof value === "string" ? `"${value}"` : JSON.stringify(value);
    throw new UserError(`Invalid value ${shown} for ${source}: expected ${expected}.`);
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
  if (file !== undefined) Object.assign(values, checkConfigFile(file).values);
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

/**
 * A config file's settings, checked (unknown keys and invalid values are errors naming the
 * file) and with its paths made absolute: they are relative to the file. findConfigFile
 * does this right after loading, so a bad file is reported before anything else.
 */
export function checkConfigFile(file: ConfigFile): ConfigFile {
  if (typeof file.values !== "object" || file.values === null || Array.isArray(file.values)) {
    throw new UserError(`Invalid configuration in ${file.path}: expected an object of settings.`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(file.values)) {
    if (!KEYS.includes(key as ConfigKey)) {
      const hint = didYouMean(key, KEYS) || ` Known settings: ${KEYS.join(", ")}.`;
      throw new UserError(`Unknown setting "${key}" in ${file.path}.${hint}`);
    }
    if (value === undefined) continue;
    values[key] = checked(key as ConfigKey, value, `${key} in ${file.path}`, false);
  }
  const base = dirname(file.path);
  if (typeof values.file === "string") values.file = resolve(base, values.file);
  if (Array.isArray(values.dotenv)) values.dotenv = values.dotenv.map((p: string) => resolve(base, p));
  return { path: file.path, values };
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
  // Most projects have no configuration: say so from a few stats, without loading cosmiconfig.
  if (!mayHaveConfig(dir)) return undefined;
  const { cosmiconfig } = await import("cosmiconfig");
  let result;
  try {
    // Inside the try: creating the explorer already reads package.json (cosmiconfig's own
    // meta-configuration), so a broken package.json fails here.
    const explorer = cosmiconfig("runner", {
      searchPlaces: SEARCH_PLACES,
      searchStrategy: "global",
      loaders: { ".js": importDefault, ".mjs": importDefault, ".ts": (path: string) => loadTsConfig(path, loadTs) },
    });
    result = await explorer.search(dir);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(describeConfigError(error));
  }
  if (result === null || result.isEmpty === true) return undefined;
  return checkConfigFile({ path: result.filepath, values: (result.config ?? {}) as RawConfig });
}

/**
 * Whether cosmiconfig could find anything from `dir`: false only when none of the places it
 * looks exists (or, for a package.json, when it is a JSON object without the key it reads).
 * In doubt (an unreadable or odd package.json, any file at a place) it answers true and
 * cosmiconfig searches as ever, so results and errors stay cosmiconfig's. The places mirror
 * cosmiconfig 9 with searchStrategy "global": `dir` and its parents up to the home
 * directory (or the root), then env-paths' config directory for "runner"; and its own
 * meta-configuration in the working directory.
 */
export function mayHaveConfig(dir: string): boolean {
  if (mayHoldAny(process.cwd(), META_PLACES, "cosmiconfig")) return true;
  const stop = resolve(homedir());
  for (let current = resolve(dir); ;) {
    if (mayHoldAny(current, SEARCH_PLACES, "runner")) return true;
    const parent = dirname(current);
    if (current === stop || parent === current) break;
    current = parent;
  }
  return mayHoldAny(globalConfigDir(), GLOBAL_PLACES, "runner");
}

/**
 * One directory listing instead of a stat per place (this runs at every start); where the
 * directory cannot be listed (search permission only), each place is looked at.
 */
function mayHoldAny(dir: string, places: readonly string[], packageKey: string): boolean {
  let names: Set<string> | undefined;
  try {
    names = new Set(readdirSync(dir));
  } catch {
    names = undefined;
  }
  return places.some(
    (place) => (names === undefined || names.has(place.split("/")[0]!)) && mayHold(join(dir, place), packageKey),
  );
}

const META_PLACES = [
  "package.json",
  "package.yaml",
  ".config/config.json",
  ".config/config.yaml",
  ".config/config.yml",
  ".config/config.js",
  ".config/config.ts",
  ".config/config.cjs",
  ".config/config.mjs",
];

const GLOBAL_PLACES = [
  "config",
  "config.json",
  "config.yaml",
  "config.yml",
  "config.js",
  "config.ts",
  "config.cjs",
  "config.mjs",
];

/** env-paths("runner", { suffix: "" }).config, which cosmiconfig searches last. */
function globalConfigDir(): string {
  const home = homedir();
  if (process.platform === "darwin") return join(home, "Library", "Preferences", "runner");
  if (process.platform === "win32") {
    return join(process.env.APPDATA || join(home, "AppData", "Roaming"), "runner", "Config");
  }
  return join(process.env.XDG_CONFIG_HOME || join(home, ".config"), "runner");
}

function mayHold(path: string, packageKey: string): boolean {
  if (!path.endsWith("package.json")) return existsSync(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    // The codes cosmiconfig skips a place for; anything else it would report.
    return !["ENOENT", "EISDIR", "ENOTDIR", "EACCES"].includes((error as { code?: string }).code ?? "");
  }
  try {
    const json: unknown = JSON.parse(text);
    return typeof json !== "object" || json === null || Array.isArray(json) || Object.hasOwn(json, packageKey);
  } catch {
    return true;
  }
}

/**
 * cosmiconfig's own JS loader retries a failed import() with require(), which hides a
 * syntax error behind a confusing "Cannot require() ES Module"; report the import's error.
 */
async function importDefault(path: string): Promise<unknown> {
  const { pathToFileURL } = await import("node:url");
  const module = (await importModule(pathToFileURL(path).href)) as { default?: unknown };
  return module.default;
}

/**
 * runner.config.ts goes through runner's own loader (esbuild), whose errors speak of "the
 * tasks file" and carry a code frame; a config file's problem is one line, exit status 2.
 */
async function loadTsConfig(path: string, loadTs: (path: string) => Promise<unknown>): Promise<unknown> {
  try {
    return await loadTs(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = (message.split("\n")[0] ?? "").replace(/ \(thrown while loading the tasks file\)$/, "");
    throw new UserError(`Invalid configuration file ${path}: ${reason}`);
  }
}

/**
 * One line for a config file that cannot be read. cosmiconfig's parsers write
 * `JSON Error in <path>:`, then the reason between code frames; keep the path and reason.
 */
function describeConfigError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const path =
    typeof error === "object" && error !== null && "filepath" in error && typeof error.filepath === "string"
      ? error.filepath
      : undefined;
  const reason =
    message
      .split("\n")
      .map((line) => line.trim())
      .find(
        (line) =>
          line !== "" &&
          !/^(?:JSON|YAML|TypeScript) Error in /.test(line) &&
          !/^(?:>\s*)?\d*\s*\|/.test(line) &&
          !/^-*\^$/.test(line),
      )
      ?.replace(/ while parsing .*$/, "") ?? message.trim();
  return `Invalid configuration file${path === undefined ? "" : ` ${path}`}: ${reason}`;
}
