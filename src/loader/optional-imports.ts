// `try { await import("optional-pkg") } catch {}`: a dynamic import that does not resolve
// fails when it runs, as it would in Node, not when the tasks file is bundled (which would
// make every task unusable). esbuild cannot bundle what is not there, so the import gets a
// module that throws Node's own error for it. A static import of something missing is still
// a load error: nothing in the file could run without it.
//
// The places where the package (or file) would be found are recorded as absent: installing
// it later changes the bundle, so the cache must not outlive that.
import { dirname, join, resolve } from "node:path";
import type { Plugin } from "esbuild";

/** Where the stand-ins live: metafile inputs of this namespace are no files. */
export const NAMESPACE = "runner-missing-import";

export function missingDynamicImports(absent: Set<string>): Plugin {
  return {
    name: "runner-missing-dynamic-imports",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        // Only the import as written: other plugins resolve again with pluginData of their own.
        if (args.kind !== "dynamic-import" || args.pluginData !== undefined) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: "optional",
        });
        if (resolved.errors.length === 0) return undefined;
        for (const place of placesOf(args.path, args.resolveDir)) absent.add(place);
        return { path: args.path, namespace: NAMESPACE, pluginData: args.importer };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const importer = typeof args.pluginData === "string" ? args.pluginData : "the tasks file";
        const what = /^\.\.?(?:\/|$)/.test(args.path) ? "module" : "package";
        const message = `Cannot find ${what} '${args.path}' imported from ${importer}`;
        return {
          contents: `const error = new Error(${JSON.stringify(message)});\nerror.code = "ERR_MODULE_NOT_FOUND";\nthrow error;\n`,
          loader: "js",
        };
      });
    },
  };
}

/** Relative: the file and what esbuild would try for it. Bare: its package.json in each node_modules up the tree. */
function placesOf(specifier: string, from: string): string[] {
  if (/^\.\.?(?:\/|$)/.test(specifier)) {
    const base = resolve(from, specifier);
    return [
      base,
      ...[".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"].map((ext) => base + ext),
      join(base, "index.ts"),
      join(base, "index.js"),
    ];
  }
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
  const places: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    places.push(join(dir, "node_modules", name, "package.json"));
    if (dirname(dir) === dir) return places;
  }
}
