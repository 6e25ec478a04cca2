// Loading a tasks file on any Node >= 20 with nothing installed by the user: transpile.ts
// bundles it into one JavaScript file, cached on disk and loaded directly from there.
//
// The cache: `<key>.json` (key = hash of runner build + tasks file path) names the inputs
// with their stats and content hashes, and a content-addressed `<hash>.cjs` or
// `<hash>.mjs` (CommonJS is loaded with require(), an ES module with import()). Files
// are written to a temp name and renamed, so two runs starting at once never see half a
// file, and a bundle file never changes once written. An entry whose bundle no longer
// imports (a dependency moved) is rebuilt once before anything is reported.
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { displayPath } from "../common/display-path.ts";
import { cacheDir, privateDir, trustedFile, writeAtomically } from "../common/files.ts";
import { contentHash as hash } from "../common/hash.ts";
import { checkTrusted } from "../common/trust.ts";
import { LoadError, UserError } from "../common/user-error.ts";
import type { World } from "../world/world.ts";
import { transpile, type Bundle } from "./transpile.ts";
import { messageOf } from "../common/error-text.ts";
import { BundleStacks, type ErrorSite } from "./stack-trace.ts";
import { projectDir } from "./discover.ts";

/** What loading needs of the world. */
export type LoaderWorld = Pick<
  World,
  "env" | "home" | "tmpdir" | "uid" | "cwd" | "runner" | "importModule" | "mapStackTraces" | "onIdle" | "trapExit"
>;

export interface LoadedTasks {
  readonly exports: Readonly<Record<string, unknown>>;
  /** Leading JSDoc comments by declared name, across the tasks file and its imports. */
  readonly docs: ReadonlyMap<string, string>;
  readonly fromCache: boolean;
  /** Where an error thrown by task code was thrown, in the user's files, and its stack, mapped. */
  readonly locate: (error: unknown) => ErrorSite | undefined;
  /**
   * The content hash of the tasks file and what it imports, by their paths relative to the
   * project directory: the same on every machine with the same sources (distributed runs
   * check that a worker's tasks are the dispatcher's).
   */
  readonly sourceHash: string;
  /**
   * The hash of the tasks' code as bundled (comments dropped): what an up-to-date check
   * counts as every task's own code, since a task's `run` may read any value the file or
   * its imports define.
   */
  readonly codeHash: string;
  /** The user's own files the tasks were bundled from (the tasks file and its local imports): what --watch reloads on. */
  readonly files: readonly string[];
}

/** A cache entry, as `<key>.json` holds it. */
interface CacheMeta {
  /** The bundle: `<content hash>.cjs` or `.mjs` beside the entry, with its stat when written. */
  readonly bundle: { readonly name: string; readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number };
  readonly inputs: Bundle["inputs"];
  readonly absent: Bundle["absent"];
  readonly docs: readonly (readonly [string, string])[];
}

/** A cache entry found, and the directory it is in. */
interface Entry {
  readonly meta: CacheMeta;
  readonly dir: string;
}

const BUNDLE_NAME = /^([0-9a-f]{32})\.(cjs|mjs)$/;

/**
 * Where the cache may be: runner's cache directory, else (a read-only home in a container)
 * one under the OS temp dir. Each is used only while it is this user's alone: whoever can
 * write there could put code in a bundle this user then runs.
 */
export function cacheDirs(world: Pick<LoaderWorld, "env" | "home" | "tmpdir" | "uid" | "cwd">): string[] {
  // A relative RUNNER_CACHE_DIR is where runner was started, not the project directory it moved to.
  return [
    resolve(world.cwd, cacheDir(world.env, world.home)),
    join(world.tmpdir(), `runner-cache-${world.uid ?? "user"}`),
  ];
}

/**
 * Which runner build made a cache entry: its version and its library face, with that file's
 * size and time (the build writes it anew). A rebuilt or upgraded runner bundles and scans
 * docs anew, so no entry outlives the code that made it.
 */
function runnerStamp(world: LoaderWorld): string {
  const face = world.runner.entries.cjs["runner-ts"] ?? "";
  const stat = statSync(face, { throwIfNoEntry: false });
  return `${world.runner.version}\0${face}\0${stat?.mtimeMs ?? 0}\0${stat?.ctimeMs ?? 0}\0${stat?.size ?? 0}`;
}

/** The entry `key` in `dir`, if it is there, is this user's, reads as one, and its bundle is whole. */
function readEntry(dir: string, key: string, uid: number | undefined): Entry | undefined {
  if (!privateDir(dir, uid, false)) return undefined;
  const path = join(dir, `${key}.json`);
  if (trustedFile(path, uid) === undefined) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (!isMeta(meta)) return undefined;
  return bundleIntact(dir, meta.bundle, uid) ? { meta, dir } : undefined;
}

/** Whether a parsed entry has the shape written: anything else (a damaged or forged file) is a miss. */
function isMeta(value: unknown): value is CacheMeta {
  if (typeof value !== "object" || value === null) return false;
  const meta = value as Record<string, unknown>;
  const bundle = meta.bundle as Record<string, unknown> | null | undefined;
  const isNumber = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x);
  return (
    typeof bundle === "object" &&
    bundle !== null &&
    typeof bundle.name === "string" &&
    BUNDLE_NAME.test(bundle.name) &&
    isNumber(bundle.size) &&
    isNumber(bundle.mtimeMs) &&
    isNumber(bundle.ctimeMs) &&
    Array.isArray(meta.inputs) &&
    meta.inputs.every((input: unknown) => {
      const i = input as Record<string, unknown> | null;
      return (
        typeof i === "object" &&
        i !== null &&
        typeof i.path === "string" &&
        typeof i.hash === "string" &&
        isNumber(i.size) &&
        isNumber(i.mtimeMs) &&
        isNumber(i.ctimeMs)
      );
    }) &&
    Array.isArray(meta.absent) &&
    meta.absent.every((path: unknown) => typeof path === "string") &&
    Array.isArray(meta.docs) &&
    meta.docs.every((doc: unknown) => Array.isArray(doc) && doc.length === 2 && doc.every((x) => typeof x === "string"))
  );
}

/**
 * Whether the bundle is the one the entry names: this user's, with the stat it was written
 * with, or else with the content its name is the hash of. A bundle damaged in place (cut
 * short, edited) is a miss, never run.
 */
function bundleIntact(dir: string, bundle: CacheMeta["bundle"], uid: number | undefined): boolean {
  const stat = trustedFile(join(dir, bundle.name), uid);
  if (stat === undefined) return false;
  if (stat.size === bundle.size && stat.mtimeMs === bundle.mtimeMs && stat.ctimeMs === bundle.ctimeMs) return true;
  try {
    return hash(readFileSync(join(dir, bundle.name), "utf8")) === BUNDLE_NAME.exec(bundle.name)?.[1];
  } catch {
    return false;
  }
}

/**
 * Whether every input still holds what was bundled, and nothing has appeared where an import
 * was looked for. A file whose size and times are as they were is not read at all (this runs
 * at every start); one whose stat changed is compared by content, so a touched or
 * checked-out-again file still counts as unchanged.
 */
function inputsUnchanged(meta: CacheMeta): boolean {
  const unchanged = meta.inputs.every((input) => {
    try {
      const stat = statSync(input.path);
      if (stat.size === input.size && stat.mtimeMs === input.mtimeMs && stat.ctimeMs === input.ctimeMs) return true;
      return hash(readFileSync(input.path)) === input.hash;
    } catch {
      return false;
    }
  });
  return unchanged && meta.absent.every((path) => !(statSync(path, { throwIfNoEntry: false })?.isFile() ?? false));
}

/** Every file of the bundle (the tasks file and what it imports) must be one runner may run. */
function checkInputs(inputs: CacheMeta["inputs"], world: LoaderWorld): void {
  for (const input of inputs) checkTrusted(input.path, world.uid, displayPath(input.path, world.cwd));
}

export async function loadTasks(file: string, world: LoaderWorld): Promise<LoadedTasks> {
  const key = hash(`${runnerStamp(world)}\0${file}`);
  const dirs = cacheDirs(world);
  let cached: Entry | undefined;
  for (const dir of dirs) {
    cached ??= readEntry(dir, key, world.uid);
  }
  if (cached !== undefined && inputsUnchanged(cached.meta)) {
    checkInputs(cached.meta.inputs, world);
    const bundle = join(cached.dir, cached.meta.bundle.name);
    const stacks = bundleStacks(bundle, cached.meta.inputs, world);
    try {
      const exports = await importBundle(world, bundle);
      return {
        exports,
        docs: new Map(cached.meta.docs),
        fromCache: true,
        locate: stacks.locate,
        sourceHash: sourceHash(file, cached.meta.inputs),
        codeHash: codeHash(cached.meta.bundle.name),
        files: ownFiles(cached.meta.inputs),
      };
    } catch (error) {
      // The cached bundle names dependencies by absolute path, resolved when it was built:
      // after a package moved (reinstall, hoisting) or the bundle was cleaned away, build
      // again once rather than report a stale cache as the user's error.
      if (!isMissingModule(error)) throw loadError(error, file, stacks, bundle, world.cwd);
    }
  }
  checkTrusted(file, world.uid, displayPath(file, world.cwd));
  const built = await transpile(file, world.runner.entries, world.cwd);
  checkInputs(built.inputs, world);
  const stored = store(built, key, [...dirs, () => mkdtempSync(join(world.tmpdir(), "runner-cache-run-"))], world.uid);
  const bundle = join(stored.dir, stored.meta.bundle.name);
  const stacks = bundleStacks(bundle, stored.meta.inputs, world);
  try {
    // A query makes this a new module for Node, which remembers a failed import by URL.
    return {
      exports: await importBundle(world, bundle, cached === undefined ? "" : "?rebuilt"),
      docs: new Map(stored.meta.docs),
      fromCache: false,
      locate: stacks.locate,
      sourceHash: sourceHash(file, stored.meta.inputs),
      codeHash: codeHash(stored.meta.bundle.name),
      files: ownFiles(stored.meta.inputs),
    };
  } catch (error) {
    throw loadError(error, file, stacks, bundle, world.cwd);
  }
}

/**
 * Stores a bundle and its entry in the first private directory that takes them: private
 * files (0600) in private directories (0700). The last resort is a directory of this run's
 * own, so that a cache that cannot be used is only ever a miss.
 */
function store(built: Bundle, key: string, dirs: readonly (string | (() => string))[], uid: number | undefined): Entry {
  let lastError: unknown;
  for (const place of dirs) {
    try {
      const dir = typeof place === "string" ? place : place();
      if (!privateDir(dir, uid, true)) continue;
      const name = `${hash(built.code)}.${built.format === "cjs" ? "cjs" : "mjs"}`;
      const path = join(dir, name);
      if (!bundleIntact(dir, { name, size: -1, mtimeMs: -1, ctimeMs: -1 }, uid)) {
        writeAtomically(path, built.code, { mode: 0o600, dirMode: 0o700 });
      }
      const { size, mtimeMs, ctimeMs } = statSync(path);
      const meta: CacheMeta = {
        bundle: { name, size, mtimeMs, ctimeMs },
        inputs: built.inputs,
        absent: built.absent,
        docs: [...built.docs],
      };
      writeAtomically(join(dir, `${key}.json`), JSON.stringify(meta), { mode: 0o600, dirMode: 0o700 });
      return { meta, dir };
    } catch (error) {
      lastError = error;
    }
  }
  throw new UserError(
    `Cannot write the tasks cache in ${typeof dirs[0] === "string" ? dirs[0] : "any directory"}: ${messageOf(lastError)}. Set RUNNER_CACHE_DIR to a writable directory.`,
  );
}

/**
 * The bundle's stacks, mapped from now on: a thrown error points into tasks.ts, not into the
 * cached bundle. The user's files are its inputs outside node_modules.
 */
function bundleStacks(bundle: string, inputs: CacheMeta["inputs"], world: LoaderWorld): BundleStacks {
  const stacks = new BundleStacks(bundle, ownFiles(inputs), world.cwd);
  world.mapStackTraces(stacks.mapStack);
  return stacks;
}

/** The user's own files among a bundle's inputs: those outside node_modules. */
function ownFiles(inputs: CacheMeta["inputs"]): string[] {
  return inputs.map((input) => input.path).filter((path) => !path.split(sep).includes("node_modules"));
}

async function importBundle(world: LoaderWorld, bundlePath: string, query = ""): Promise<Record<string, unknown>> {
  // process.exit() in the tasks file's top-level code would end runner right there, having
  // run nothing (with status 0 for an exit(0)), or end a --watch: it is a load error instead,
  // also when the code catches what the call throws.
  let exited: TasksFileExit | undefined;
  let exitCalled = (_: TasksFileExit): void => {};
  const restoreExit = world.trapExit((code) => {
    exited ??= new TasksFileExit(code);
    exitCalled(exited);
    throw exited;
  });
  try {
    if (bundlePath.endsWith(".cjs")) {
      const exports = namespaceOf(createRequire(bundlePath)(bundlePath) as object);
      if (exited !== undefined) throw exited;
      return exports;
    }
    // A top-level await that nothing will ever settle leaves nothing to run: without this,
    // runner would end right there, with status 0 and nothing done.
    let removeIdle = (): void => {};
    const stalled = new Promise<never>((_, reject) => {
      removeIdle = world.onIdle(() => reject(new TopLevelAwaitStalled()));
      exitCalled = reject;
    });
    try {
      const exports = (await Promise.race([
        world.importModule(pathToFileURL(bundlePath).href + query),
        stalled,
      ])) as Record<string, unknown>;
      if (exited !== undefined) throw exited;
      return exports;
    } finally {
      removeIdle();
    }
  } catch (error) {
    throw exited ?? error;
  } finally {
    restoreExit();
  }
}

/** A bundle is named by its content hash. */
const codeHash = (bundleName: string): string => bundleName.replace(/\.(?:cjs|mjs)$/, "");

function sourceHash(file: string, inputs: CacheMeta["inputs"]): string {
  const dir = projectDir(file);
  const lines = inputs.map((input) => `${relative(dir, input.path)}\0${input.hash}\n`).sort();
  return hash(lines.join(""));
}

/** A CommonJS bundle's exports as an ES module namespace shows them: names in code-unit order. */
function namespaceOf(exports: object): Record<string, unknown> {
  const namespace: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(exports).sort()) namespace[name] = (exports as Record<string, unknown>)[name];
  return namespace;
}

class TasksFileExit extends Error {
  constructor(code: number) {
    super(`it called process.exit(${code}) while the tasks were loading`);
  }
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
function loadError(error: unknown, file: string, stacks: BundleStacks, bundle: string, cwd: string): LoadError {
  // Node names the importer of a missing module: that is the bundle, but the user wrote the tasks file.
  const shown = displayPath(file, cwd);
  const message = messageOf(error).replaceAll(pathToFileURL(bundle).href, shown).replaceAll(bundle, shown);
  // The innermost frame in one of the user's own files (the tasks file or what it imports).
  const where = stacks.locate(error)?.where;
  const at = where === undefined ? undefined : /^(.*):(\d+):(\d+)$/.exec(where);
  if (at === null || at === undefined) return new LoadError(shown, "threw", message, undefined);
  return new LoadError(at[1] ?? shown, "threw", message, { line: Number(at[2]), column: Number(at[3]) });
}
