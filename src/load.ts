// Loading a tasks file on any Node >= 20 with nothing installed by the user.
//
// Why a bundle: Node 20 has no type stripping and its loader hooks run on a separate
// thread (tens of ms at every start). So esbuild bundles the tasks file and its relative
// imports into one ES module, which is cached on disk and imported directly. Bare imports
// are resolved at bundle time to absolute URLs (so the cached file works from the cache
// directory), and `runner` resolves to the runner that is running.
//
// The cache: `<key>.json` (key = hash of runner build + tasks file path + its content)
// names the inputs with their content hashes and a content-addressed `<hash>.mjs`. Files
// are written to a temp name and renamed, so two runs starting at once never see half a
// file, and a bundle file never changes once written. An entry whose bundle no longer
// imports (a dependency moved) is rebuilt once before anything is reported.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PartialMessage } from "esbuild";
import { UserError } from "./errors.ts";
import { scanDocs } from "./jsdoc.ts";

export interface LoadedTasks {
  readonly exports: Readonly<Record<string, unknown>>;
  /** Leading JSDoc comments by declared name, across the tasks file and its imports. */
  readonly docs: ReadonlyMap<string, string>;
  readonly fromCache: boolean;
}

interface CacheMeta {
  readonly bundle: string;
  readonly inputs: readonly { readonly path: string; readonly hash: string }[];
  readonly docs: readonly (readonly [string, string])[];
}

const RUNNER_ENTRIES = {
  runner: new URL("./index.js", import.meta.url).href,
  "runner/testing": new URL("./testing.js", import.meta.url).href,
};

function hash(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

export function cacheDir(env: NodeJS.ProcessEnv): string {
  if (env.RUNNER_CACHE_DIR) return env.RUNNER_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "runner");
}

/**
 * `mkdir -p`, one level at a time. Node's own `recursive: true` never returns on some
 * filesystems (it retries for ever under /proc), and a cache directory is user input.
 */
export function makeDir(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let at = dir; statSync(at, { throwIfNoEntry: false }) === undefined; at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path, mode === undefined ? {} : { mode });
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EEXIST") throw error;
    }
  }
}

/**
 * When the cache directory cannot be written (a read-only home in a container), one under
 * the OS temp dir. It is shared ground, so it is used only if it is this user's alone:
 * whoever can write there could put code in a bundle this user then runs.
 */
function fallbackDir(create: boolean): string | undefined {
  const dir = join(tmpdir(), `runner-cache-${process.getuid?.() ?? "user"}`);
  try {
    if (create) makeDir(dir, 0o700);
    const stat = statSync(dir);
    const uid = process.getuid?.();
    return uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which runner build made a cache entry: this module's file with its size and time. A rebuilt
 * or upgraded runner bundles and scans docs anew, so no entry outlives the code that made it.
 */
function runnerStamp(): string {
  const self = fileURLToPath(import.meta.url);
  const stat = statSync(self, { throwIfNoEntry: false });
  return `${self}\0${stat?.mtimeMs ?? 0}\0${stat?.size ?? 0}`;
}

function writeAtomic(path: string, content: string): void {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

function readMeta(path: string): CacheMeta | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as CacheMeta;
  } catch {
    return undefined;
  }
}

function inputsUnchanged(meta: CacheMeta): boolean {
  return meta.inputs.every((input) => {
    try {
      return hash(readFileSync(input.path)) === input.hash;
    } catch {
      return false;
    }
  });
}

export async function loadTasks(file: string, env: NodeJS.ProcessEnv): Promise<LoadedTasks> {
  const source = readFileSync(file);
  const key = hash(`${runnerStamp()}\0${file}\0${hash(source)}`);
  const primary = cacheDir(env);
  let cached = readMeta(join(primary, `${key}.json`));
  if (cached === undefined) {
    const fallback = fallbackDir(false);
    if (fallback !== undefined) cached = readMeta(join(fallback, `${key}.json`));
  }
  if (cached !== undefined && inputsUnchanged(cached)) {
    try {
      return { exports: await importBundle(cached.bundle), docs: new Map(cached.docs), fromCache: true };
    } catch (error) {
      // The cached bundle names dependencies by absolute path, resolved when it was built:
      // after a package moved (reinstall, hoisting) or the bundle was cleaned away, build
      // again once rather than report a stale cache as the user's error.
      if ((error as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw loadError(error, file, cached);
    }
  }
  const meta = await build(file, key, primary, () => fallbackDir(true));
  try {
    // A query makes this a new module for Node, which remembers a failed import by URL.
    return {
      exports: await importBundle(meta.bundle, cached === undefined ? "" : "?rebuilt"),
      docs: new Map(meta.docs),
      fromCache: false,
    };
  } catch (error) {
    throw loadError(error, file, meta);
  }
}

/** Bundles the tasks file and stores bundle and meta in the cache (or the fallback). */
async function build(
  file: string,
  key: string,
  primary: string,
  fallback: () => string | undefined,
): Promise<CacheMeta> {
  const built = await bundle(file);
  const store = (dir: string): CacheMeta => {
    makeDir(dir);
    const bundlePath = join(dir, `${hash(built.code)}.mjs`);
    writeAtomic(bundlePath, built.code);
    const meta: CacheMeta = { bundle: bundlePath, inputs: built.inputs, docs: [...built.docs] };
    writeAtomic(join(dir, `${key}.json`), JSON.stringify(meta));
    return meta;
  };
  try {
    return store(primary);
  } catch (error) {
    const other = fallback();
    if (other !== undefined) return store(other);
    throw new UserError(
      `Cannot write the tasks cache in ${primary}: ${error instanceof Error ? error.message : String(error)}. Set RUNNER_CACHE_DIR to a writable directory.`,
    );
  }
}

async function importBundle(bundlePath: string, query = ""): Promise<Record<string, unknown>> {
  // Source maps make a thrown error point into tasks.ts, not into the cached bundle.
  process.setSourceMapsEnabled(true);
  return (await import(pathToFileURL(bundlePath).href + query)) as Record<string, unknown>;
}

/** `tasks.ts:3:7: boom (thrown while loading the tasks file)`, with no runner stack. */
function loadError(error: unknown, file: string, meta: CacheMeta): UserError {
  // Node names the importer of a missing module: that is the bundle, but the user wrote the tasks file.
  const message = (error instanceof Error ? error.message : String(error))
    .replaceAll(pathToFileURL(meta.bundle).href, displayPath(file))
    .replaceAll(meta.bundle, displayPath(file));
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  // The innermost frame in one of the user's own files (the tasks file or what it imports).
  const own = new Set(meta.inputs.map((input) => input.path));
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?$/gm)) {
    const path = match[1]!.startsWith("file:") ? fileURLToPath(match[1]!) : match[1]!;
    if (!own.has(path)) continue;
    return new UserError(
      `${displayPath(path)}:${match[2]}:${match[3]}: ${message} (thrown while loading the tasks file)`,
      1,
    );
  }
  return new UserError(`${displayPath(file)}: ${message} (thrown while loading the tasks file)`, 1);
}

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

interface Bundle {
  readonly code: string;
  readonly inputs: CacheMeta["inputs"];
  readonly docs: Map<string, string>;
}

async function bundle(file: string): Promise<Bundle> {
  const esbuild = await import("esbuild");
  const { isBuiltin } = await import("node:module");
  const sources = new Map<string, string>();
  const workDir = dirname(file);
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      // Paths in errors and in the source map are relative to workDir; sourceRoot turns the
      // map's into absolute URLs, since Node reads them relative to the bundle in the cache.
      absWorkingDir: workDir,
      sourceRoot: `${pathToFileURL(workDir).href}/`,
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      keepNames: true,
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      metafile: true,
      plugins: [
        {
          name: "runner-resolve",
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, async (args) => {
              if (args.pluginData === "resolving") return undefined;
              const entry = RUNNER_ENTRIES[args.path as keyof typeof RUNNER_ENTRIES];
              if (entry !== undefined) return { path: entry, external: true };
              if (isBuiltin(args.path)) return { path: args.path, external: true };
              const resolved = await build.resolve(args.path, {
                kind: args.kind,
                resolveDir: args.resolveDir,
                pluginData: "resolving",
              });
              if (resolved.errors.length > 0) return { errors: resolved.errors };
              return { path: pathToFileURL(resolved.path).href, external: true };
            });
            build.onLoad({ filter: /\.[mc]?[jt]sx?$/ }, async (args) => {
              const text = readFileSync(args.path, "utf8");
              sources.set(args.path, text);
              const loader = /\.[mc]?tsx?$/.test(args.path) ? "ts" : "js";
              if (!text.includes("import.meta")) return { contents: text, loader };
              // import.meta.* must describe the original file, not the cached bundle. esbuild
              // replaces the expressions (never text inside strings or comments) and keeps a
              // source map, which the bundle step follows back to the original lines.
              try {
                const transformed = await esbuild.transform(text, {
                  loader,
                  format: "esm",
                  sourcefile: args.path,
                  sourcemap: "inline",
                  sourcesContent: false,
                  define: {
                    "import.meta.url": JSON.stringify(pathToFileURL(args.path).href),
                    "import.meta.filename": JSON.stringify(args.path),
                    "import.meta.dirname": JSON.stringify(dirname(args.path)),
                  },
                  logLevel: "silent",
                });
                return { contents: transformed.code, loader: "js" };
              } catch (error) {
                return { errors: (error as { errors?: PartialMessage[] }).errors ?? [{ text: String(error) }] };
              }
            });
          },
        },
      ],
    });
  } catch (error) {
    throw new UserError(describeBuildError(error, file, workDir));
  }
  const code = result.outputFiles[0]?.text ?? "";
  // Every file the bundle holds (JSON and text imports too): a change to any rebuilds it.
  const inputs = Object.keys(result.metafile.inputs)
    .map((path) => resolve(workDir, path))
    .map((path) => ({ path, hash: hash(readFileSync(path)) }));
  const docs = new Map<string, string>();
  // The tasks file's own comments win over those of the files it imports.
  for (const [path, text] of [...sources].reverse()) {
    for (const [name, doc] of scanDocs(text)) {
      if (path === file || !docs.has(name)) docs.set(name, doc);
    }
  }
  return { code, inputs, docs };
}

interface EsbuildMessage {
  readonly text: string;
  readonly location: { file: string; line: number; column: number; lineText: string } | null;
}

/** `tasks.ts:12:7: Expected ";" but found "x"` and a code frame, as compilers print them. */
function describeBuildError(error: unknown, file: string, workDir: string): string {
  const messages = (error as { errors?: EsbuildMessage[] }).errors ?? [];
  const first = messages[0];
  if (first === undefined) return `${displayPath(file)}: ${String(error)}`;
  if (first.location === null) return `${displayPath(file)}: ${first.text}`;
  const { line, column } = first.location;
  const path = resolve(workDir, first.location.file);
  let frame: string;
  try {
    frame = codeFrame(readFileSync(path, "utf8"), line, column);
  } catch {
    frame = "";
  }
  const where = `${displayPath(path)}:${line}:${column + 1}`;
  return `${where}: ${first.text}${frame === "" ? "" : `\n${frame}`}`;
}

export function codeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r?\n/);
  // The empty "line" after a final newline is no context, unless the error is there.
  if (lines.length > line && lines.at(-1) === "") lines.pop();
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? ">" : " ";
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ""}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(column)}^`);
  }
  return out.join("\n");
}
