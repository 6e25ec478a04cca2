// Finding the configuration: the first of the usual places (package.json#runner,
// .runnerrc, .runnerrc.{json,yaml,yml,js,mjs}, runner.config.{js,mjs,ts}) in the tasks
// file's directory or a parent up to the home directory (or the root), then the user's
// config directory (`$XDG_CONFIG_HOME/runner/config*`) — the places and order of
// cosmiconfig's "global" search. The search is runner's own, from the World's directories
// and environment (cosmiconfig's reads the process's), and one directory listing answers
// for each directory, so a project without configuration never loads cosmiconfig;
// cosmiconfig then loads the file found, with the parsers below, whose problems become
// one-line ConfigErrors built from what the parsers report.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, LoadError, UserError } from "../common/user-error.ts";
import { checkTrusted } from "../common/trust.ts";
import type { World } from "../world/world.ts";
import { checkConfigFile, type CheckedConfigFile } from "./resolve.ts";
import { firstLineOf } from "../common/error-text.ts";

/** What the search needs of the world. */
export type SearchWorld = Pick<World, "home" | "env" | "platform" | "importModule" | "uid">;

/** Loads a TypeScript config file as runner loads tasks files: its default export, or its exports. */
export type TsLoader = (path: string) => Promise<unknown>;

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

/** Finds the nearest configuration, searching upward from `dir`, and loads it (cosmiconfig). */
export async function findConfigFile(
  dir: string,
  world: SearchWorld,
  loadTs: TsLoader,
): Promise<CheckedConfigFile | undefined> {
  const path = findConfigPlace(dir, world);
  if (path === undefined) return undefined;
  checkTrusted(path, world.uid);
  const { cosmiconfig, defaultLoaders } = await import("cosmiconfig");
  const js = (file: string): Promise<unknown> => importDefault(file, world);
  const yaml = (file: string, content: string): unknown => parseYaml(defaultLoaders[".yaml"], file, content);
  let result;
  try {
    const explorer = cosmiconfig("runner", {
      loaders: {
        ".json": parseJson,
        ".yaml": yaml,
        ".yml": yaml,
        noExt: yaml,
        ".js": js,
        ".mjs": js,
        ".ts": (file: string) => loadTsConfig(file, loadTs),
      },
    });
    result = await explorer.load(path);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new ConfigError(path, firstLine(error));
  }
  if (result === null || result.isEmpty === true) return undefined;
  return checkConfigFile({ path: result.filepath, values: result.config ?? {} });
}

/**
 * The file the configuration comes from: the first place that holds one, from `dir` up to
 * the project root (the first directory holding package.json or .git; just `dir` when there
 * is none), then the user's own config directory. Never above the project: a shared parent
 * (the system temp directory) is where someone else's file would wait.
 */
export function findConfigPlace(dir: string, world: Pick<World, "home" | "env" | "platform">): string | undefined {
  const start = resolve(dir);
  const stop = projectRoot(start) ?? start;
  for (let current = start; ; current = dirname(current)) {
    const found = firstPlace(current, SEARCH_PLACES);
    if (found !== undefined) return found;
    if (current === stop || dirname(current) === current) break;
  }
  return firstPlace(globalConfigDir(world), GLOBAL_PLACES);
}

/** The first directory from `dir` upward that holds a package.json or a .git. */
export function projectRoot(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, "package.json")) || existsSync(join(current, ".git"))) return current;
    if (dirname(current) === current) return undefined;
  }
}

/**
 * The first of `places` in `dir` that holds configuration: a file with something in it (a
 * package.json: with a `runner` key). One directory listing instead of a stat per place
 * (this runs at every start); where the directory cannot be listed (search permission
 * only), each place is looked at.
 */
function firstPlace(dir: string, places: readonly string[]): string | undefined {
  let names: Set<string> | undefined;
  try {
    names = new Set(readdirSync(dir));
  } catch {
    names = undefined;
  }
  for (const place of places) {
    if (names !== undefined && !names.has(place)) continue;
    const path = join(dir, place);
    if (holdsConfig(path)) return path;
  }
  return undefined;
}

function holdsConfig(path: string): boolean {
  let text: string;
  try {
    if (!statSync(path).isFile()) return false;
    text = readFileSync(path, "utf8");
  } catch (error) {
    // The codes a search skips a place for; anything else is worth reporting.
    if (["ENOENT", "EISDIR", "ENOTDIR", "EACCES"].includes((error as { code?: string }).code ?? "")) return false;
    throw new ConfigError(path, firstLine(error));
  }
  if (!path.endsWith("package.json")) return text.trim() !== "";
  const json = parseJson(path, text);
  return typeof json === "object" && json !== null && !Array.isArray(json) && Object.hasOwn(json, "runner");
}

/** The user's config directory for runner (env-paths' "runner" config directory). */
function globalConfigDir({ home, env, platform }: Pick<World, "home" | "env" | "platform">): string {
  if (platform === "darwin") return join(home, "Library", "Preferences", "runner");
  if (platform === "win32") return join(env.APPDATA || join(home, "AppData", "Roaming"), "runner", "Config");
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "runner");
}

const firstLine = firstLineOf;

/** JSON (package.json too): JSON.parse's own message is one line naming the position. */
function parseJson(path: string, content: string): unknown {
  try {
    return JSON.parse(content);
  } catch (error) {
    throw new ConfigError(path, firstLine(error));
  }
}

/** YAML through cosmiconfig's parser (js-yaml): its reason and the line and column it names. */
function parseYaml(parse: (path: string, content: string) => unknown, path: string, content: string): unknown {
  try {
    return parse(path, content);
  } catch (error) {
    const { reason, mark } = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
    if (typeof reason !== "string") throw new ConfigError(path, firstLine(error));
    const at =
      typeof mark?.line === "number" && typeof mark.column === "number" ? ` (${mark.line + 1}:${mark.column + 1})` : "";
    throw new ConfigError(path, `${reason}${at}`);
  }
}

/**
 * cosmiconfig's own JS loader retries a failed import() with require(), which hides a
 * syntax error behind a confusing "Cannot require() ES Module"; report the import's error.
 */
async function importDefault(path: string, world: SearchWorld): Promise<unknown> {
  let module: { default?: unknown };
  try {
    module = (await world.importModule(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new ConfigError(path, firstLine(error));
  }
  return module.default;
}

/**
 * runner.config.ts goes through runner's own loader (esbuild), whose errors speak of "the
 * tasks file" and carry a code frame; a config file's problem is one line: where and what.
 */
async function loadTsConfig(path: string, loadTs: TsLoader): Promise<unknown> {
  try {
    return await loadTs(path);
  } catch (error) {
    if (error instanceof LoadError) throw new ConfigError(path, `${error.where}: ${error.reason}`);
    if (error instanceof UserError) throw new ConfigError(path, firstLine(error));
    throw error;
  }
}
