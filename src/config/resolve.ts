// Resolving the configuration: built-in defaults < config file < RUNNER_* environment
// variables < command line. Every value is checked where it comes from, and an invalid
// one is an error naming that source.
import { dirname, resolve } from "node:path";
import { showText, showValue } from "../common/show-value.ts";
import { didYouMean } from "../common/names.ts";
import { firstLineOf } from "../common/error-text.ts";
import { ConfigError, UserError } from "../common/user-error.ts";
import {
  CHECKS,
  defaults,
  ENV_NAMES,
  KEYS,
  type ConfigKey,
  type DotenvFile,
  type RawConfig,
  type RunnerConfig,
} from "./settings.ts";

/** A config file as loaded: its path and what it holds, unchecked. */
export interface ConfigFile {
  readonly path: string;
  readonly values: unknown;
}

/** A config file's settings, checked, its paths absolute. */
export interface CheckedConfigFile {
  readonly path: string;
  readonly values: Readonly<Partial<RunnerConfig>>;
}

function checked(key: ConfigKey, value: unknown, source: string, fromText: boolean): unknown {
  const { check, expected } = CHECKS[key];
  const result = check(value, fromText);
  if (result === undefined) {
    // Text is quoted as given; a file's other values show as JSON, so `"3"` (a string) and
    // `3` (a number) read differently.
    const shown = typeof value === "string" ? showText(value) : showValue(value);
    throw new UserError(`Invalid value ${shown} for ${source}: expected ${expected}.`);
  }
  return result;
}

export interface ConfigSources {
  readonly file: CheckedConfigFile | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** From the command line, as text: e.g. { jobs: "4" } from `--jobs 4`. */
  readonly cli: RawConfig;
  /** How the command line spells each key it set, for error texts: { jobs: "--jobs" }. */
  readonly cliNames: Readonly<Partial<Record<ConfigKey, string>>>;
}

export function resolveConfig({ file, env, cli, cliNames }: ConfigSources): RunnerConfig {
  const values: Record<string, unknown> = { ...defaults() };
  if (file !== undefined) Object.assign(values, file.values);
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
  return Object.freeze(values) as unknown as RunnerConfig;
}

/**
 * A config file's settings, checked (unknown keys and invalid values are errors naming the
 * file) and with its paths made absolute: they are relative to the file. The search does
 * this right after loading, so a bad file is reported before anything else.
 */
export function checkConfigFile(file: ConfigFile): CheckedConfigFile {
  try {
    return checkSettings(file);
  } catch (error) {
    if (error instanceof UserError) throw error;
    // A getter that throws, a Proxy whose traps do.
    throw new ConfigError(file.path, `its settings cannot be read: ${firstLineOf(error)}`);
  }
}

function checkSettings(file: ConfigFile): CheckedConfigFile {
  if (typeof file.values !== "object" || file.values === null || Array.isArray(file.values)) {
    throw new UserError(`Invalid configuration in ${file.path}: expected an object of settings.`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(file.values)) {
    if (!KEYS.includes(key as ConfigKey)) {
      const hint = didYouMean(key, KEYS) || ` Known settings: ${KEYS.join(", ")}.`;
      throw new UserError(`Unknown setting ${showText(key)} in ${file.path}.${hint}`);
    }
    if (value === undefined) continue;
    values[key] = checked(key as ConfigKey, value, `${key} in ${file.path}`, false);
  }
  const base = dirname(file.path);
  if (typeof values.file === "string") values.file = resolve(base, values.file);
  if (Array.isArray(values.dotenv)) {
    values.dotenv = (values.dotenv as DotenvFile[]).map((f) => ({ ...f, path: resolve(base, f.path) }));
  }
  return { path: file.path, values };
}
