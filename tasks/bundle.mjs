// Builds dist/ from src/: the CLI and the library entries as ES modules sharing chunks (so
// `CommandError` is one class for the CLI and for tasks files), plus type declarations.
// Plain JavaScript so that `npm install` (the prepare script) can run it before runner exists.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `import { readFileSync } from "node:fs"` in an ES module makes Node build a facade of the
 * whole built-in at start, reading every export: fs.ReadStream loads the streams, and the
 * facade of node:process creates process.stdin. Measured, that was a third of runner's
 * start-up. A require() of a built-in returns it as it is, so static imports of built-ins
 * become require() calls (through the banner's require); the names imported stay the same.
 * @type {import("esbuild").Plugin}
 */
const builtinsByRequire = {
  name: "builtins-by-require",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "import-statement" ? { path: args.path, namespace: "node-builtin" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

export async function bundle({ types = true } = {}) {
  /** @type {typeof import("esbuild")} */
  const esbuild = await import("esbuild");
  const pkg = /** @type {{ version: string }} */ (JSON.parse(readFileSync(join(root, "package.json"), "utf8")));
  const result = await esbuild.build({
    metafile: true,
    absWorkingDir: root,
    entryPoints: { cli: "src/bin.ts", index: "src/index.ts", testing: "src/testing.ts" },
    outdir: "dist",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // chalk, commander, leven and dotenv are bundled in: resolving and reading a dozen
    // package files cost more at every start than running runner's own code. esbuild (a
    // native binary) and cosmiconfig (with its parsers) stay packages, imported only on the
    // paths that need them.
    external: ["esbuild", "cosmiconfig"],
    // commander is CommonJS: its require() of Node built-ins needs a real require in ESM.
    banner: {
      js: 'import { createRequire as __runnerCreateRequire } from "node:module";\nconst require = __runnerCreateRequire(import.meta.url);',
    },
    plugins: [builtinsByRequire],
    sourcemap: "linked",
    chunkNames: "[name]-[hash]",
    define: { RUNNER_VERSION: JSON.stringify(pkg.version) },
    logLevel: "warning",
  });
  // Remove what an earlier build left. (Not before building: a runner that is running
  // from dist/, as when this project's own tasks rebuild it, keeps its files until done.)
  const outputs = new Set(Object.keys(result.metafile.outputs).map((path) => path.slice("dist/".length)));
  for (const name of readdirSync(join(root, "dist"))) {
    if (!outputs.has(name) && /\.js(\.map)?$/.test(name)) rmSync(join(root, "dist", name));
  }
  if (types) {
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
      cwd: root,
      stdio: "inherit",
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle({ types: !process.argv.includes("--no-types") });
}
