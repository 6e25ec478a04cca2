// Turning a tasks file into one JavaScript file Node runs as it is. Node 20 has no type
// stripping and its loader hooks run on a separate thread (tens of ms at every start), so
// esbuild bundles the tasks file and its relative imports. Bare imports stay outside the
// bundle, resolved now to absolute paths (so it works from the cache directory), and
// `runner` is the runner that is running.
//
// The format is CommonJS wherever that changes nothing: Node then loads the bundle with
// require() and never starts its ES-module loader, which costs several ms at every start.
// It is an ES module where the file needs one: top-level await, `import.meta` beyond url,
// filename and dirname, or a static import of a package (so packages are imported with
// Node's own ES-module interop, not esbuild's emulation of it).
import { readFileSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { BuildFailure, BuildResult, Message, PartialMessage, Plugin } from "esbuild";
import { displayPath } from "../common/display-path.ts";
import { contentHash } from "../common/hash.ts";
import { LoadError } from "../common/user-error.ts";
import type { RunnerEntries } from "../world/world.ts";
import { scanDocs } from "./jsdoc.ts";
import { missingDynamicImports, NAMESPACE as MISSING } from "./optional-imports.ts";

export type BundleFormat = "cjs" | "esm";

export interface Bundle {
  readonly format: BundleFormat;
  readonly code: string;
  /** Every file the bundle holds (JSON and text imports too), with its content hash and stat. */
  readonly inputs: readonly BundleInput[];
  /** Places imports were looked for and not found: a file appearing there changes the bundle. */
  readonly absent: readonly string[];
  /** Leading JSDoc comments by declared name; the tasks file's own win over its imports'. */
  readonly docs: Map<string, string>;
}

export interface BundleInput {
  readonly path: string;
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** Bundles `file`; `cwd` (where runner was started) is for the paths in error messages. */
export async function transpile(file: string, entries: RunnerEntries, cwd: string): Promise<Bundle> {
  const attempt = await build(file, "cjs", entries).catch((error: unknown) => ({ error }));
  if ("result" in attempt && attempt.needsEsm === undefined) return await finish(file, "cjs", attempt);
  // Whatever stopped CommonJS (a build error included: top-level await is one), the ES
  // module build decides, and its errors are the ones reported.
  try {
    return await finish(file, "esm", await build(file, "esm", entries));
  } catch (error) {
    throw buildError(error, file, cwd);
  }
}

interface Source {
  /** What was read, as text (for docs) where it is code. */
  readonly text: string | undefined;
  readonly hash: string;
  readonly stat: { readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number };
}

interface Built {
  readonly result: BuildResult<{ write: false; metafile: true }>;
  /** Each file as esbuild got it from runner, and its stat just before it was read. */
  readonly sources: Map<string, Source>;
  /** Places an import was looked for before it was found, and nothing was there. */
  readonly absent: Set<string>;
  /** Why this build cannot be CommonJS, if it cannot. */
  readonly needsEsm: string | undefined;
}

async function build(file: string, format: BundleFormat, entries: RunnerEntries): Promise<Built> {
  const esbuild = await import("esbuild");
  const sources = new Map<string, Source>();
  const absent = new Set<string>();
  const workDir = dirname(file);
  let needsEsm: string | undefined;
  const result = await esbuild.build({
    entryPoints: [file],
    // Paths in errors and in the source map are relative to workDir; sourceRoot turns the
    // map's into absolute URLs, since Node reads them relative to the bundle in the cache.
    absWorkingDir: workDir,
    sourceRoot: `${pathToFileURL(workDir).href}/`,
    bundle: true,
    write: false,
    format,
    platform: "node",
    target: "node20",
    keepNames: true,
    sourcemap: "inline",
    sourcesContent: false,
    logLevel: "silent",
    metafile: true,
    plugins: [
      missingDynamicImports(absent),
      resolveOutside(format, entries[format], (why) => (needsEsm ??= why)),
      lookupsOf(absent),
      importMetaOfOriginal(sources, esbuild.transform),
      dataFiles(sources),
    ],
  });
  // esbuild empties `import.meta` in CommonJS (with a warning): import.meta.resolve and
  // friends need the real thing.
  if (format === "cjs" && result.warnings.some((warning) => warning.id === "empty-import-meta")) {
    needsEsm ??= "import.meta";
  }
  return { result, sources, absent, needsEsm };
}

/** What esbuild tries, in order, for a relative import of `base` (its default resolveExtensions). */
const EXTENSIONS = [".tsx", ".ts", ".jsx", ".js", ".css", ".json"];

/**
 * Relative imports: the places esbuild would look at before the one it found, that hold
 * nothing (`./lib` found as lib/index.ts: lib.ts, lib.js, ...). A file appearing at one of
 * them later changes what the import means, so the cache must not outlive it.
 */
function lookupsOf(absent: Set<string>): Plugin {
  return {
    name: "runner-lookups",
    setup(build) {
      build.onResolve({ filter: /^\.\.?(?:\/|$)/ }, async (args) => {
        if (args.pluginData === "looking") return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: "looking",
        });
        if (resolved.errors.length > 0 || resolved.path === "") return undefined;
        const base = resolve(args.resolveDir, args.path);
        const stem = base.replace(/\.[mc]?jsx?$/, "");
        const candidates = [
          base,
          ...EXTENSIONS.map((ext) => base + ext),
          // esbuild reads `./x.js` as `./x.ts` when there is no x.js, as tsc does.
          ...(stem === base ? [] : EXTENSIONS.slice(0, 2).map((ext) => stem + ext)),
          ...EXTENSIONS.map((ext) => join(base, `index${ext}`)),
        ];
        const found = candidates.indexOf(resolved.path);
        for (const candidate of found === -1 ? [] : candidates.slice(0, found)) {
          if (!(statSync(candidate, { throwIfNoEntry: false })?.isFile() ?? false)) absent.add(candidate);
        }
        return undefined;
      });
    },
  };
}

/**
 * JSON and text imports, read by runner rather than esbuild: the stat is taken before the
 * read and the hash is of exactly what was bundled, so an edit made while the build runs
 * shows next time.
 */
function dataFiles(sources: Map<string, Source>): Plugin {
  return {
    name: "runner-data-files",
    setup(build) {
      build.onLoad({ filter: /.*/ }, (args) => {
        const type = args.with.type;
        const loader = type === "text" ? "text" : type === "json" || args.path.endsWith(".json") ? "json" : undefined;
        if (loader === undefined && !args.path.endsWith(".txt")) return undefined;
        const { size, mtimeMs, ctimeMs } = statSync(args.path);
        const bytes = readFileSync(args.path);
        sources.set(args.path, { text: undefined, hash: contentHash(bytes), stat: { size, mtimeMs, ctimeMs } });
        return { contents: bytes, loader: loader ?? "text" };
      });
    },
  };
}

/**
 * Bare imports: runner's own entries, Node built-ins, and packages resolved to a path, which
 * Node loads from there. Except what Node cannot load as it is, which is bundled: a package
 * whose entry is TypeScript (a workspace package with `main: "src/index.ts"`), a tsconfig
 * `paths` alias to a source file, or any package outside node_modules (a workspace package
 * linked into node_modules, which Node would load from its sources).
 */
function resolveOutside(
  format: BundleFormat,
  entries: Readonly<Record<string, string>>,
  needEsm: (why: string) => void,
): Plugin {
  return {
    name: "runner-resolve",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "resolving") return undefined;
        const entry = entries[args.path];
        if (entry !== undefined) return { path: entry, external: true };
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: "resolving",
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (resolved.external) return { path: resolved.path, external: true };
        if (bundled(resolved.path)) return { path: resolved.path, sideEffects: resolved.sideEffects };
        if (format === "cjs" && args.kind === "import-statement") needEsm(`imports ${args.path}`);
        // require() takes a path; import() takes a URL (a Windows path is no URL).
        const path =
          format === "cjs" && args.kind === "require-call" ? resolved.path : pathToFileURL(resolved.path).href;
        return { path, external: true };
      });
    },
  };
}

/** Whether a bare import resolved to `path` is bundled rather than left to Node (see resolveOutside). */
function bundled(path: string): boolean {
  return /\.[mc]?tsx?$/.test(path) || !path.split(sep).includes("node_modules");
}

/**
 * import.meta.* must describe the original file, not the cached bundle. esbuild replaces the
 * expressions (never text inside strings or comments) and keeps a source map, which the
 * bundle step follows back to the original lines.
 */
function importMetaOfOriginal(sources: Map<string, Source>, transform: typeof import("esbuild").transform): Plugin {
  return {
    name: "runner-import-meta",
    setup(build) {
      build.onLoad({ filter: /\.[mc]?[jt]sx?$/ }, async (args) => {
        // The stat before the read: a write after it leaves a stat that no longer matches.
        const { size, mtimeMs, ctimeMs } = statSync(args.path);
        const text = readFileSync(args.path, "utf8");
        sources.set(args.path, { text, hash: contentHash(text), stat: { size, mtimeMs, ctimeMs } });
        const loader = /\.[mc]?tsx?$/.test(args.path) ? "ts" : "js";
        // __dirname and __filename too: a bundled workspace package's CommonJS code reads them.
        if (!text.includes("import.meta") && !/\b__(?:dir|file)name\b/.test(text)) return { contents: text, loader };
        try {
          const transformed = await transform(text, {
            loader,
            // Only where import.meta is: a CommonJS file must stay one.
            ...(text.includes("import.meta") ? { format: "esm" as const } : {}),
            sourcefile: args.path,
            sourcemap: "inline",
            sourcesContent: false,
            define: {
              "import.meta.url": JSON.stringify(pathToFileURL(args.path).href),
              "import.meta.filename": JSON.stringify(args.path),
              "import.meta.dirname": JSON.stringify(dirname(args.path)),
              __filename: JSON.stringify(args.path),
              __dirname: JSON.stringify(dirname(args.path)),
            },
            logLevel: "silent",
          });
          return { contents: transformed.code, loader: "js" };
        } catch (error) {
          return { errors: (error as { errors?: PartialMessage[] }).errors ?? [{ text: String(error) }] };
        }
      });
    },
  };
}

async function finish(file: string, format: BundleFormat, { result, sources, absent }: Built): Promise<Bundle> {
  const workDir = dirname(file);
  const code = result.outputFiles[0]?.text ?? "";
  const inputs = Object.keys(result.metafile.inputs)
    .filter((path) => !path.startsWith(`${MISSING}:`))
    .map((path) => resolve(workDir, path))
    .map((path): BundleInput => {
      // What esbuild bundled, for the files runner read for it; the rest (other loaders) now.
      const source = sources.get(path);
      if (source !== undefined) return { path, hash: source.hash, ...source.stat };
      const { size, mtimeMs, ctimeMs } = statSync(path);
      return { path, hash: contentHash(readFileSync(path)), size, mtimeMs, ctimeMs };
    });
  const docs = new Map<string, string>();
  for (const [path, { text }] of [...sources].reverse()) {
    if (text === undefined) continue;
    for (const [name, doc] of await scanDocs(text)) {
      if (path === file || !docs.has(name)) docs.set(name, doc);
    }
  }
  return { format, code, inputs, absent: [...absent], docs };
}

/** `tasks.ts:12:7: Expected ";" but found "x"` and a code frame, as compilers print them. */
function buildError(error: unknown, file: string, cwd: string): LoadError {
  const messages: readonly Message[] = (error as Partial<BuildFailure>).errors ?? [];
  const first = messages[0];
  const shown = displayPath(file, cwd);
  if (first === undefined) return new LoadError(shown, "syntax", String(error), undefined);
  if (first.location === null) return new LoadError(shown, "syntax", first.text, undefined);
  const { line, column } = first.location;
  const path = resolve(dirname(file), first.location.file);
  let frame: string;
  try {
    frame = codeFrame(readFileSync(path, "utf8"), line, column);
  } catch {
    frame = "";
  }
  return new LoadError(displayPath(path, cwd), "syntax", first.text, { line, column: column + 1 }, frame);
}

/** How much of a line a code frame shows: a minified or binary file has lines of megabytes. */
const FRAME_WIDTH = 160;

/** A line of source as a frame shows it: from `start`, cut to the frame's width, control characters as `?`. */
function frameLine(text: string, start: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return text.slice(start, start + FRAME_WIDTH).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "?");
}

export function codeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r?\n/);
  // The empty "line" after a final newline is no context, unless the error is there.
  if (lines.length > line && lines.at(-1) === "") lines.pop();
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const width = String(last).length;
  // Far into a long line, the frame shows the part around the column.
  const start = column > FRAME_WIDTH ? column - FRAME_WIDTH / 2 : 0;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? ">" : " ";
    out.push(`${marker} ${String(n).padStart(width)} | ${frameLine(lines[n - 1] ?? "", start)}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(column - start)}^`);
  }
  return out.join("\n");
}
