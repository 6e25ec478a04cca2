// Finding the configuration with cosmiconfig, searching upward from the tasks file's
// directory. Most projects have none, so a few stats answer first whether cosmiconfig
// (and its parsers) needs loading at all. Each file's problems become one-line
// ConfigErrors built from what the parsers report, never from their messages' layout.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, LoadError, UserError } from "../common/user-error.ts";
import type { World } from "../world/world.ts";
import { checkConfigFile, type CheckedConfigFile } from "./resolve.ts";

/** What the search needs of the world. */
export type SearchWorld = Pick<World, "cwd" | "home" | "env" | "platform" | "importModule">;

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

/** Finds the nearest configuration, searching upward from `dir` (cosmiconfig). */
export async function findConfigFile(
  dir: string,
  world: SearchWorld,
  loadTs: TsLoader,
): Promise<CheckedConfigFile | undefined> {
  // Most projects have no configuration: say so from a few stats, without loading cosmiconfig.
  if (!mayHaveConfig(dir, world)) return undefined;
  const { cosmiconfig, defaultLoaders } = await import("cosmiconfig");
  const js = (path: string): Promise<unknown> => importDefault(path, world);
  const yaml = (path: string, content: string): unknown => parseYaml(defaultLoaders[".yaml"], path, content);
  let result;
  try {
    // Inside the try: creating the explorer already reads package.json (cosmiconfig's own
    // meta-configuration), so a broken package.json fails here.
    const explorer = cosmiconfig("runner", {
      searchPlaces: SEARCH_PLACES,
      searchStrategy: "global",
      loaders: {
        ".json": parseJson,
        ".yaml": yaml,
        ".yml": yaml,
        noExt: yaml,
        ".js": js,
        ".mjs": js,
        ".ts": (path: string) => loadTsConfig(path, loadTs),
      },
    });
    result = await explorer.search(dir);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const path = filepathOf(error);
    // cosmiconfig read a package.json with its own parser (for its meta-configuration, in the
    // working directory): the reason is what JSON.parse says of that file.
    if (path?.endsWith(".json") === true) parseJson(path, readFileSync(path, "utf8"));
    throw new ConfigError(path, firstLine(error));
  }
  if (result === null || result.isEmpty === true) return undefined;
  return checkConfigFile({ path: result.filepath, values: result.config ?? {} });
}

/** The file cosmiconfig was reading when it failed (it sets `filepath` on the error). */
function filepathOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "filepath" in error && typeof error.filepath === "string"
    ? error.filepath
    : undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split("\n")[0] ?? "";
}

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
 * Whether cosmiconfig could find anything from `dir`: false only when none of the places it
 * looks exists (or, for a package.json, when it is a JSON object without the key it reads).
 * In doubt (an unreadable or odd package.json, any file at a place) it answers true and
 * cosmiconfig searches as ever, so results and errors stay cosmiconfig's. The places mirror
 * cosmiconfig 9 with searchStrategy "global": `dir` and its parents up to the home
 * directory (or the root), then env-paths' config directory for "runner"; and its own
 * meta-configuration in the working directory.
 */
export function mayHaveConfig(dir: string, world: Pick<World, "cwd" | "home" | "env" | "platform">): boolean {
  if (mayHoldAny(world.cwd, META_PLACES, "cosmiconfig")) return true;
  const stop = resolve(world.home);
  for (let current = resolve(dir); ;) {
    if (mayHoldAny(current, SEARCH_PLACES, "runner")) return true;
    const parent = dirname(current);
    if (current === stop || parent === current) break;
    current = parent;
  }
  return mayHoldAny(globalConfigDir(world), GLOBAL_PLACES, "runner");
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
function globalConfigDir({ home, env, platform }: Pick<World, "home" | "env" | "platform">): string {
  if (platform === "darwin") return join(home, "Library", "Preferences", "runner");
  if (platform === "win32") return join(env.APPDATA || join(home, "AppData", "Roaming"), "runner", "Config");
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "runner");
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
