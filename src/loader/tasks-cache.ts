// Loading a tasks file on any Node >= 20 with nothing installed by the user: transpile.ts
// bundles it into one JavaScript file, cached on disk and loaded directly from there.
//
// The cache: `<key>.json` (key = hash of runner build + tasks file path) names the inputs
// with their stats and content hashes, and a content-addressed `<hash>.cjs` or
// `<hash>.mjs` (CommonJS is loaded with require(), an ES module with import()). Files
// are written to a temp name and renamed, so two runs starting at once never see half a
// file, and a bundle file never changes once written. An entry whose bundle no longer
// imports (a dependency moved) is rebuilt once before anything is reported.
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { displayPath } from "../common/display-path.ts";
import { cacheDir, makeDir, writeAtomically } from "../common/files.ts";
import { contentHash as hash } from "../common/hash.ts";
import { LoadError, UserError } from "../common/user-error.ts";
import type { World } from "../world/world.ts";
import { transpile, type Bundle } from "./transpile.ts";
import { messageOf, stackOf } from "../common/error-text.ts";

/** What loading needs of the world. */
export type LoaderWorld = Pick<
  World,
  "env" | "home" | "tmpdir" | "uid" | "cwd" | "runner" | "importModule" | "enableSourceMaps" | "onIdle"
>;

export interface LoadedTasks {
  readonly exports: Readonly<Record<string, unknown>>;
  /** Leading JSDoc comments by declared name, across the tasks file and its imports. */
  readonly docs: ReadonlyMap<string, string>;
  readonly fromCache: boolean;
}

interface CacheMeta {
  readonly bundle: string;
  readonly inputs: Bundle["inputs"];
  readonly docs: readonly (readonly [string, string])[];
}

/**
 * When the cache directory cannot be written (a read-only home in a container), one under
 * the OS temp dir. It is shared ground, so it is used only if it is this user's alone:
 * whoever can write there could put code in a bundle this user then runs.
 */
function fallbackDir(world: LoaderWorld, create: boolean): string | undefined {
  const { uid } = world;
  const dir = join(world.tmpdir(), `runner-cache-${uid ?? "user"}`);
  try {
    if (create) makeDir(dir, 0o700);
    const stat = statSync(dir);
    return uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which runner build made a cache entry: its version and its library face, with that file's
 * size and time (the build writes it anew). A rebuilt or upgraded runner bundles and scans
 * docs anew, so no entry outlives the code that made it.
 */
function runnerStamp(world: LoaderWorld): string {
  const face = world.runner.entries.cjs.runner ?? "";
  const stat = statSync(face, { throwIfNoEntry: false });
  return `${world.runner.version}\0${face}\0${stat?.mtimeMs ?? 0}\0${stat?.size ?? 0}`;
}

function readMeta(path: string): CacheMeta | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as CacheMeta;
  } catch {
    return undefined;
  }
}

/**
 * Whether every input still holds what was bundled. A file whose size and times are as they
 * were is not read at all (this runs at every start); one whose stat changed is compared by
 * content, so a touched or checked-out-again file still counts as unchanged.
 */
function inputsUnchanged(meta: CacheMeta): boolean {
  return meta.inputs.every((input) => {
    try {
      const stat = statSync(input.path);
      if (stat.size === input.size && stat.mtimeMs === input.mtimeMs && stat.ctimeMs === input.ctimeMs) return true;
      return hash(readFileSync(input.path)) === input.hash;
    } catch {
      return false;
    }
  });
}

export async function loadTasks(file: string, world: LoaderWorld): Promise<LoadedTasks> {
  const key = hash(`${runnerStamp(world)}\0${file}`);
  const primary = cacheDir(world.env, world.home);
  let cached = readMeta(join(primary, `${key}.json`));
  if (cached === undefined) {
    const fallback = fallbackDir(world, false);
    if (fallback !== undefined) cached = readMeta(join(fallback, `${key}.json`));
  }
  if (cached !== undefined && inputsUnchanged(cached)) {
    try {
      return { exports: await importBundle(world, cached.bundle), docs: new Map(cached.docs), fromCache: true };
    } catch (error) {
      // The cached bundle names dependencies by absolute path, resolved when it was built:
      // after a package moved (reinstall, hoisting) or the bundle was cleaned away, build
      // again once rather than report a stale cache as the user's error.
      if (!isMissingModule(error)) throw loadError(error, file, cached, world.cwd);
    }
  }
  const built = await transpile(file, world.runner.entries, world.cwd);
  const meta = store(built, key, primary, () => fallbackDir(world, true));
  try {
    // A query makes this a new module for Node, which remembers a failed import by URL.
    return {
      exports: await importBundle(world, meta.bundle, cached === undefined ? "" : "?rebuilt"),
      docs: new Map(meta.docs),
      fromCache: false,
    };
  } catch (error) {
    throw loadError(error, file, meta, world.cwd);
  }
}

/** Stores a bundle and its meta in the cache (or the fallback). */
function store(built: Bundle, key: string, primary: string, fallback: () => string | undefined): CacheMeta {
  const storeIn = (dir: string): CacheMeta => {
    const bundlePath = join(dir, `${hash(built.code)}.${built.format === "cjs" ? "cjs" : "mjs"}`);
    writeAtomically(bundlePath, built.code);
    const meta: CacheMeta = { bundle: bundlePath, inputs: built.inputs, docs: [...built.docs] };
    writeAtomically(join(dir, `${key}.json`), JSON.stringify(meta));
    return meta;
  };
  try {
    return storeIn(primary);
  } catch (error) {
    const other = fallback();
    if (other !== undefined) return storeIn(other);
    throw new UserError(
      `Cannot write the tasks cache in ${primary}: ${messageOf(error)}. Set RUNNER_CACHE_DIR to a writable directory.`,
    );
  }
}

async function importBundle(world: LoaderWorld, bundlePath: string, query = ""): Promise<Record<string, unknown>> {
  // Source maps make a thrown error point into tasks.ts, not into the cached bundle.
  world.enableSourceMaps();
  if (bundlePath.endsWith(".cjs")) return namespaceOf(createRequire(bundlePath)(bundlePath) as object);
  // A top-level await that nothing will ever settle leaves nothing to run: without this,
  // runner would end right there, with status 0 and nothing done.
  let removeIdle = (): void => {};
  const stalled = new Promise<never>((_, reject) => {
    removeIdle = world.onIdle(() => reject(new TopLevelAwaitStalled()));
  });
  try {
    return (await Promise.race([world.importModule(pathToFileURL(bundlePath).href + query), stalled])) as Record<
      string,
      unknown
    >;
  } finally {
    removeIdle();
  }
}

/** A CommonJS bundle's exports as an ES module namespace shows them: names in code-unit order. */
function namespaceOf(exports: object): Record<string, unknown> {
  const namespace: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(exports).sort()) namespace[name] = (exports as Record<string, unknown>)[name];
  return namespace;
}

class TopLevelAwaitStalled extends Error {
  constructor() {
    super("its top-level await never settles: nothing left running could settle it");
  }
}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/** `tasks.ts:3:7: boom (thrown while loading the tasks file)`, with no runner stack. */
function loadError(error: unknown, file: string, meta: CacheMeta, cwd: string): LoadError {
  // Node names the importer of a missing module: that is the bundle, but the user wrote the tasks file.
  const shown = displayPath(file, cwd);
  const message = messageOf(error).replaceAll(pathToFileURL(meta.bundle).href, shown).replaceAll(meta.bundle, shown);
  const stack = error instanceof Error ? stackOf(error) : "";
  // The innermost frame in one of the user's own files (the tasks file or what it imports).
  const own = new Set(meta.inputs.map((input) => input.path));
  for (const [, frame = "", line, column] of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?$/gm)) {
    const path = frame.startsWith("file:") ? fileURLToPath(frame) : frame;
    if (!own.has(path)) continue;
    const location = { line: Number(line), column: Number(column) };
    return new LoadError(displayPath(path, cwd), "threw", message, location);
  }
  return new LoadError(shown, "threw", message, undefined);
}
