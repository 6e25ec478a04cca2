// Builds dist/ from src/: the CLI and the library entries as ES modules sharing chunks (so
// `CommandError` is one class for the CLI and for tasks files), plus type declarations.
// Plain JavaScript so that `npm install` (the prepare script) can run it before runner exists.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function bundle({ types = true } = {}) {
  /** @type {typeof import("esbuild")} */
  const esbuild = await import("esbuild");
  const pkg = /** @type {{ version: string }} */ (JSON.parse(readFileSync(join(root, "package.json"), "utf8")));
  const result = await esbuild.build({
    metafile: true,
    absWorkingDir: root,
    entryPoints: { cli: "src/cli.ts", index: "src/index.ts", testing: "src/testing.ts" },
    outdir: "dist",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
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
