// Builds dist/ from src/: runner.cjs (the CLI and the library in one file, so `CommandError`
// is one class for the CLI and for tasks files), boot.cjs (its loader), redis.cjs (bullmq and
// ioredis, for distributed runs), and the public faces index.* and testing.*; with --types, also the type declarations (tsc, in a child process).
// Plain JavaScript so that `npm install` (the prepare script) can run it before runner exists.
// Run as a program (`node tasks/bundle.mjs [--out <dir>] [--types]`), never inside runner:
// the build must not see runner's own modules (a require() of dist/runner.cjs from a runner
// that is running returns the copy loaded at its start, not the one just built).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * commander requires node:child_process when it loads, for executable subcommands runner
 * never uses; that module (and the net, dgram and stream modules it brings) is a few ms of
 * every `runner --list`. Here it is required when first used instead. If commander's source
 * changes, the build says so rather than silently losing the saving.
 * @type {import("esbuild").Plugin}
 */
const commanderWithoutEagerChildProcess = {
  name: "commander-lazy-child-process",
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(eager)) {
        return { errors: [{ text: `commander changed: no "${eager}" in ${args.path} (see tasks/bundle.mjs)` }] };
      }
      const lazy = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };";
      return { contents: source.replace(eager, lazy), loader: "js" };
    });
  },
};

/**
 * chalk detects the terminal's colour support when it loads (tty, os and every colour
 * variable), for its default instance. runner never uses that instance: it makes its own
 * with the level it decided (flags, config, NO_COLOR, FORCE_COLOR). So chalk gets an
 * answer of "no colour" for its default, and start-up skips the detection.
 * @type {import("esbuild").Plugin}
 */
const chalkWithoutColorDetection = {
  name: "chalk-without-color-detection",
  setup(build) {
    build.onResolve({ filter: /^#supports-color$/ }, () => ({ path: "supports-color", namespace: "runner-stub" }));
    build.onLoad({ filter: /.*/, namespace: "runner-stub" }, () => ({
      contents: "export default { stdout: false, stderr: false };",
      loader: "js",
    }));
  },
};

const redisModules = join(root, "src/remote/redis-modules.ts");
const redisChunk = join(root, "src/boot/redis-chunk.ts");

/**
 * bullmq and ioredis are some 150 files that Node would resolve, read and compile at the
 * start of every --redis run and worker. They are built into dist/redis.cjs instead (from
 * src/remote/redis-modules.ts, the one module that imports them), which runner.cjs loads
 * through V8's code cache on first use: here, that module is replaced by a call of
 * src/boot/redis-chunk.ts. An import of either package anywhere else would load a second
 * copy from node_modules, so it is an error.
 * @type {import("esbuild").Plugin}
 */
const redisThroughChunk = {
  name: "redis-through-chunk",
  setup(build) {
    build.onResolve({ filter: /redis-modules\.ts$/ }, (args) =>
      resolve(args.resolveDir, args.path) === redisModules
        ? { path: "redis", namespace: "runner-redis-chunk" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "runner-redis-chunk" }, () => ({
      contents: `module.exports = require(${JSON.stringify(redisChunk)}).redisChunk();`,
      resolveDir: root,
      loader: "js",
    }));
    build.onResolve({ filter: /^(bullmq|ioredis)(\/|$)/ }, (args) => ({
      errors: [{ text: `${args.path} imported by ${args.importer}: import it through src/remote/redis-modules.ts` }],
    }));
  },
};

/**
 * msgpackr (bullmq's job encoding) tries to load its optional native addon, msgpackr-extract,
 * when it loads: a dlopen of some 15 ms at the start of every --redis run, for faster
 * decoding of big msgpack strings that runner's small jobs never have. The published
 * runner has no msgpackr-extract (bullmq is bundled, not a dependency), so in the chunk it
 * is never found, wherever runner runs: msgpackr then uses its JavaScript decoder.
 * @type {import("esbuild").Plugin}
 */
const msgpackrWithoutNativeAddon = {
  name: "msgpackr-without-native-addon",
  setup(build) {
    build.onResolve({ filter: /^msgpackr-extract$/ }, () => ({ path: "msgpackr-extract", namespace: "runner-absent" }));
    build.onLoad({ filter: /.*/, namespace: "runner-absent" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of runner's Redis chunk`)});`,
      loader: "js",
    }));
  },
};

/**
 * What dist/redis.cjs may leave to require() at run time: Node's built-ins and the optional
 * packages bullmq and its dependencies require only inside a try (or for features runner
 * does not use): a PostgreSQL or Valkey GLIDE backend, debug's colour detection. Anything else would be a package the published runner does not have.
 */
const redisOptional = ["pg", "@valkey/valkey-glide", "supports-color"];

/**
 * Checks the Redis chunk's metafile: one copy of ioredis (bullmq's lazy require('ioredis')
 * and runner's import are the same module), and nothing external but the above.
 * @param {import("esbuild").Metafile} metafile
 */
function checkRedisChunk(metafile) {
  const packages = new Set(
    Object.keys(metafile.inputs)
      .map((input) => /(.*node_modules\/ioredis)\//.exec(input)?.[1])
      .filter((dir) => dir !== undefined),
  );
  if (packages.size !== 1)
    throw new Error(`dist/redis.cjs holds ${packages.size} copies of ioredis: ${[...packages].join(", ")}`);
  const external = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external));
  const unexpected = external
    .map((i) => i.path)
    .filter((path) => !isBuiltin(path) && !redisOptional.some((name) => path === name || path.startsWith(`${name}/`)));
  if (unexpected.length > 0)
    throw new Error(`dist/redis.cjs leaves packages to run time: ${[...new Set(unexpected)].join(", ")}`);
}

/**
 * Builds runner into `out` (a directory holding `dist/`): the two bundles and the faces.
 * @param {{ out?: string }} [options]
 */
export async function bundle({ out = root } = {}) {
  /** @type {typeof import("esbuild")} */
  const esbuild = await import("esbuild");
  const pkg = /** @type {{ version: string }} */ (JSON.parse(readFileSync(join(root, "package.json"), "utf8")));
  const dist = join(out, "dist");
  mkdirSync(dist, { recursive: true });
  /** @type {import("esbuild").BuildOptions} */
  const common = {
    metafile: true,
    absWorkingDir: root,
    outdir: dist,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    // CommonJS: Node loads it without starting its ES-module loader, which costs several ms
    // at every start, and require() of a Node built-in hands it over as it is (an ES import
    // of one builds a facade that reads every export).
    format: "cjs",
    platform: "node",
    target: "node20",
    // chalk, commander, leven and dotenv are bundled in: resolving and reading a dozen
    // package files cost more at every start than running runner's own code. esbuild (a
    // native binary), cosmiconfig (with its parsers) and @lydell/node-pty (a native addon,
    // for `pty: true`) stay packages, loaded only on the paths that need them.
    // picomatch (sources, SPEC §10) and chokidar (--watch) load only where used. bullmq and
    // ioredis (distributed runs, SPEC §8) are in redis.cjs (see redisThroughChunk).
    external: ["esbuild", "cosmiconfig", "@lydell/node-pty", "picomatch", "chokidar"],
    sourcemap: "linked",
    plugins: [commanderWithoutEagerChildProcess, chalkWithoutColorDetection],
    define: {
      RUNNER_VERSION: JSON.stringify(pkg.version),
      "import.meta.dirname": "__dirname",
      "import.meta.filename": "__filename",
    },
    logLevel: "silent",
  };
  // redis.cjs: bullmq and ioredis, loaded by runner.cjs under --redis and --worker only.
  // No source map: the code is theirs, and the map would be several MB of the package.
  const redis = await esbuild.build({
    ...common,
    entryPoints: { redis: "src/remote/redis-modules.ts" },
    external: redisOptional,
    plugins: [msgpackrWithoutNativeAddon],
    sourcemap: false,
  });
  checkRedisChunk(redis.metafile);
  const results = [
    // runner.cjs: the CLI and the library in one file, the CLI loaded on first use. Its
    // import() of a package or built-in becomes require() (no ES-module loader); files known
    // only at run time are imported through boot.cjs (the world's importModule).
    await esbuild.build({
      ...common,
      entryPoints: { runner: "src/boot/entry.ts" },
      supported: { "dynamic-import": false },
      plugins: [...(common.plugins ?? []), redisThroughChunk],
    }),
    // boot.cjs: what bin/runner.js requires; it loads runner.cjs from V8's compiled code.
    await esbuild.build({ ...common, entryPoints: { boot: "src/boot/boot.ts" } }),
    redis,
    // watchdog.cjs: the worker thread that watches for task code stuck in a synchronous loop.
    await esbuild.build({ ...common, entryPoints: { watchdog: "src/world/watchdog-worker.ts" } }),
  ];
  const warnings = results.flatMap((r) => r.warnings);
  // A warning here (an import.meta esbuild cannot carry into CommonJS) is a broken build.
  if (warnings.length > 0) {
    const text = await esbuild.formatMessages(warnings, { kind: "warning" });
    throw new Error(`esbuild warnings:\n${text.join("\n")}`);
  }
  const generated = [
    ...(await writeFaces(esbuild, dist)),
    writeLicenses(
      results.flatMap((r) => r.metafile ?? []),
      dist,
    ),
  ];
  // Remove what an earlier build left. (Not before building: a runner that is running
  // from dist/, as when this project's own tasks rebuild it, keeps its files until done.)
  const outputs = new Set([
    ...results
      .flatMap((r) => Object.keys(r.metafile?.outputs ?? {}))
      .map((path) => relative(dist, resolve(root, path))),
    ...generated,
  ]);
  for (const name of readdirSync(dist)) {
    if (!outputs.has(name) && /\.c?js(\.map)?$/.test(name)) rmSync(join(dist, name));
  }
}

/**
 * The licences of the packages bundled into dist/ (chalk, commander, bullmq, ioredis and
 * theirs), in dist/licenses.txt: their code ships inside runner's files, and their licences
 * (MIT, Apache-2.0, BSD, ISC, 0BSD) ask for their notices to go with it. Returns the file written.
 * @param {readonly import("esbuild").Metafile[]} metafiles
 * @param {string} dist
 */
function writeLicenses(metafiles, dist) {
  const dirs = new Set(
    metafiles
      .flatMap((m) => Object.keys(m.inputs))
      .flatMap((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []),
  );
  const notices = [...dirs]
    .map((dir) => {
      const pkg = /** @type {{ name: string, version: string, license?: string }} */ (
        JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"))
      );
      const file = readdirSync(join(root, dir)).find((name) => /^(licen[cs]e|copying|notice)(\.\w+)?$/i.test(name));
      const text =
        file === undefined
          ? `(${pkg.license ?? "no licence named"}; the package has no licence file)`
          : readFileSync(join(root, dir, file), "utf8").trim();
      return { title: `${pkg.name}@${pkg.version} (${pkg.license ?? "no licence named"})`, text };
    })
    .sort((a, b) => (a.title < b.title ? -1 : 1));
  const header = "Packages whose code is bundled into runner-ts's dist/ files, and their licences.\n";
  writeFileSync(
    join(dist, "licenses.txt"),
    header + notices.map((n) => `\n${"=".repeat(72)}\n${n.title}\n\n${n.text}\n`).join(""),
  );
  return "licenses.txt";
}

/**
 * The public faces of dist/runner.cjs: `runner-ts` and `runner-ts/testing` as CommonJS
 * (what a CommonJS tasks bundle requires) and as ES modules (for `import` everywhere else;
 * src/boot/faces.ts maps the short `runner` to them too), each naming its exports so that
 * Node and TypeScript see them. The names come from esbuild's metafile of each face's
 * source, never from loading a build. Returns the files written.
 * @param {typeof import("esbuild")} esbuild
 * @param {string} dist
 */
async function writeFaces(esbuild, dist) {
  const faces = [
    { name: "index", source: "src/index.ts", of: 'require("./runner.cjs").library' },
    { name: "testing", source: "src/testing.ts", of: 'require("./runner.cjs").testing()' },
  ];
  const header = "// Written by tasks/bundle.mjs: a face of dist/runner.cjs, where the code is.\n";
  for (const { name, source, of } of faces) {
    const names = await exportNames(esbuild, source);
    writeFileSync(join(dist, `${name}.cjs`), `${header}"use strict";\nmodule.exports = ${of};\n`);
    const esm = `import { createRequire } from "node:module";\nconst face = createRequire(import.meta.url)("./${name}.cjs");\n`;
    const list = names.map((n) => `export const ${n} = face.${n};\n`).join("");
    writeFileSync(join(dist, `${name}.js`), `${header}${esm}${list}`);
  }
  return faces.flatMap(({ name }) => [`${name}.cjs`, `${name}.js`]);
}

/**
 * The names a module exports (types excluded), as esbuild's metafile lists them.
 * @param {typeof import("esbuild")} esbuild
 * @param {string} source
 */
async function exportNames(esbuild, source) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [source],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    outdir: "faces",
    metafile: true,
    external: ["esbuild", "cosmiconfig"],
    logLevel: "silent",
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  if (output === undefined) throw new Error(`esbuild's metafile names no output for ${source}`);
  return [...output.exports].sort();
}

/** The type declarations, by tsc, in a child process; none left from an earlier layout. */
export function emitTypes() {
  const dist = join(root, "dist");
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".d.ts")) rmSync(join(entry.parentPath, entry.name));
  }
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--out");
  await bundle(at === -1 ? {} : { out: resolve(process.argv[at + 1] ?? ".") });
  if (process.argv.includes("--types")) emitTypes();
}
