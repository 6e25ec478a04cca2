// Stack traces of task code, in the user's files: the cached bundle's frames mapped back
// through its source map (inline, written when the bundle was built), and the first frame
// in a file of the user's own, for the task's failure line.
//
// Node's own source maps (`--enable-source-maps`, process.setSourceMapsEnabled) parse every
// map when its module loads: on Node 20 that is ~15% more start-up work for a bundle of a
// few hundred KB, at every run, for errors most runs never throw. Here the map is read and
// parsed the first time a stack needs it.
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { pathToFileURL, fileURLToPath } from "node:url";
import { displayPath } from "../common/display-path.ts";
import { stackOf } from "../common/error-text.ts";

/** Where an error was thrown, for its task's failure line, and its stack, mapped, for -v. */
export interface ErrorSite {
  /** `tasks.ts:12:7`: the first frame in the user's files, as a path is shown (display-path.ts). */
  readonly where: string | undefined;
  readonly stack: string;
}

interface Position {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const INLINE_MAP = "//# sourceMappingURL=data:application/json;base64,";

/** A loaded bundle's frames, and where they come from. */
export class BundleStacks {
  readonly #bundle: string;
  /** The bundle as a stack names it: its path, or (an ES module) its URL, maybe with a query. */
  readonly #frame: RegExp;
  readonly #own: ReadonlySet<string>;
  readonly #cwd: string;
  #map: SourceMap | null | undefined;

  /** `own`: the user's files among the bundle's inputs; `cwd`: where runner was started, for the paths shown. */
  constructor(bundle: string, own: Iterable<string>, cwd: string) {
    this.#bundle = bundle;
    const names = [pathToFileURL(bundle).href, bundle].map((name) => name.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&"));
    this.#frame = new RegExp(`(?:${names.join("|")})(?:\\?[^\\s:)]*)?:(\\d+):(\\d+)`, "g");
    this.#own = new Set(own);
    this.#cwd = cwd;
  }

  /** `stack` with each of the bundle's frames at its source (a mapped stack comes back as it is). */
  readonly mapStack = (stack: string): string => {
    if (!stack.includes(this.#bundle)) return stack;
    return stack.replace(this.#frame, (whole, line: string, column: string) => {
      const at = this.#original(Number(line), Number(column));
      return at === undefined ? whole : `${at.file}:${at.line}:${at.column}`;
    });
  };

  /** The error's stack, mapped, and its first frame in the user's files; undefined for a value with no stack. */
  readonly locate = (error: unknown): ErrorSite | undefined => {
    if (!(error instanceof Error)) return undefined;
    const stack = this.mapStack(stackOf(error));
    for (const [, file = "", line, column] of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?$/gm)) {
      const path = file.startsWith("file:") ? fileURLToPath(file) : file;
      if (this.#own.has(path)) return { where: `${displayPath(path, this.#cwd)}:${line}:${column}`, stack };
    }
    return { where: undefined, stack };
  };

  /** A frame's position (1-based) in the source the bundle was made from. */
  #original(line: number, column: number): Position | undefined {
    this.#map ??= readMap(this.#bundle);
    if (this.#map === null) return undefined;
    const entry = this.#map.findEntry(line - 1, column - 1);
    // Node answers with the nearest mapping before the position, even lines before it.
    if (!("originalSource" in entry) || entry.generatedLine !== line - 1) return undefined;
    // esbuild writes one (the project's directory); a map without one is relative to the bundle.
    const sourceRoot = (this.#map.payload as { sourceRoot?: string }).sourceRoot ?? "";
    let file: string;
    try {
      file = fileURLToPath(new URL(entry.originalSource, sourceRoot === "" ? pathToFileURL(this.#bundle) : sourceRoot));
    } catch {
      return undefined;
    }
    return { file, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  }
}

/** The bundle's inline source map, or null when it has none that parses. */
function readMap(bundle: string): SourceMap | null {
  try {
    const text = readFileSync(bundle, "utf8");
    const at = text.lastIndexOf(INLINE_MAP);
    if (at === -1) return null;
    const encoded = text.slice(at + INLINE_MAP.length).trim();
    return new SourceMap(JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as SourceMapPayload);
  } catch {
    return null;
  }
}
