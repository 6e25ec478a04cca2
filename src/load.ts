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
// file, and a bundle file never changes once written.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  const key = hash(`${RUNNER_ENTRIES.runner}\0${file}\0${hash(source)}`);
  let dir = cacheDir(env);
  const metaPath = join(dir, `${key}.json`);
  let meta = readMeta(metaPath);
  const fromCache = meta !== undefined && inputsUnchanged(meta);
  if (!fromCache) {
    const built = await bundle(file);
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      dir = join(tmpdir(), "runner-cache");
      mkdirSync(dir, { recursive: true });
    }
    const bundlePath = join(dir, `${hash(built.code)}.mjs`);
    writeAtomic(bundlePath, built.code);
    meta = { bundle: bundlePath, inputs: built.inputs, docs: [...built.docs] };
    writeAtomic(join(dir, `${key}.json`), JSON.stringify(meta));
  }
  const exports = await importTasks(meta!.bundle, file);
  return { exports, docs: new Map(meta!.docs), fromCache };
}

async function importTasks(bundlePath: string, file: string): Promise<Record<string, unknown>> {
  // Source maps make a thrown error point into tasks.ts, not into the cached bundle.
  process.setSourceMapsEnabled(true);
  try {
    return (await import(pathToFileURL(bundlePath).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(describeLoadError(error, file), 1);
  }
}

/** `tasks.ts:3:7: boom (thrown while loading the tasks file)`, with no runner stack. */
function describeLoadError(error: unknown, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const dir = dirname(file);
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?$/gm)) {
    const path = match[1]!.startsWith("file:") ? fileURLToPath(match[1]!) : match[1]!;
    if (path.includes("/node_modules/") || !path.startsWith(dir)) continue;
    return `${displayPath(path)}:${match[2]}:${match[3]}: ${message} (thrown while loading the tasks file)`;
  }
  return `${displayPath(file)}: ${message} (thrown while loading the tasks file)`;
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
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [file],
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
            // import.meta.* must describe the original file, not the cached bundle.
            build.onLoad({ filter: /\.[mc]?[jt]sx?$/ }, (args) => {
              const text = readFileSync(args.path, "utf8");
              sources.set(args.path, text);
              const contents = text
                .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
                .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path))
                .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)));
              const loader = /\.[mc]?tsx?$/.test(args.path) ? "ts" : "js";
              return { contents, loader };
            });
          },
        },
      ],
    });
  } catch (error) {
    throw new UserError(describeBuildError(error, file));
  }
  const code = result.outputFiles[0]?.text ?? "";
  const inputs = [...sources.keys()].map((path) => ({ path, hash: hash(readFileSync(path)) }));
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
function describeBuildError(error: unknown, file: string): string {
  const messages = (error as { errors?: EsbuildMessage[] }).errors ?? [];
  const first = messages[0];
  if (first === undefined) return `${displayPath(file)}: ${String(error)}`;
  if (first.location === null) return `${displayPath(file)}: ${first.text}`;
  const { line, column } = first.location;
  const path = first.location.file.startsWith("/") ? first.location.file : join(process.cwd(), first.location.file);
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
  const lines = source.split("\n");
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

export function tasksFileName(file: string): string {
  return basename(file);
}
