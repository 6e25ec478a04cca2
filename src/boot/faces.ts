// The names a tasks file imports runner by, each mapped to a face of the build in dist/
// (index.* and testing.*, written by tasks/bundle.mjs). `runner-ts` is the package's name on
// npm, the one editors and tsc resolve in a project that installed it; the short `runner`
// keeps working inside tasks files, which runner bundles itself.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { RunnerEntries } from "../world/world.ts";

/** The package's own name first: the loader's cache stamp reads that entry. */
const NAMES = ["runner-ts", "runner"] as const;

/** `runner-ts`, `runner-ts/testing`, `runner` and `runner/testing` as files of `dist`. */
export function facesIn(dist: string): RunnerEntries {
  const cjs: Record<string, string> = {};
  const esm: Record<string, string> = {};
  for (const name of NAMES) {
    for (const [suffix, face] of [
      ["", "index"],
      ["/testing", "testing"],
    ] as const) {
      cjs[`${name}${suffix}`] = join(dist, `${face}.cjs`);
      esm[`${name}${suffix}`] = pathToFileURL(join(dist, `${face}.js`)).href;
    }
  }
  return { cjs, esm };
}
