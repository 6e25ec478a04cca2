// runner-ts as a new project gets it (SPEC §1; README "Install in your project"): `npm pack`
// of a copy of this repository (so the pack's build and its package.json swap never touch
// the repository itself), the tarball installed into a fresh project, then `npx runner` and
// `tsc --noEmit` there, as the README tells a user to.
//
// No network: every npm call runs with `offline`. The dependencies come from npm's cache,
// where `npm ci` put them. `npm install <tarball>` in an empty project would look up their
// version ranges in the registry's package documents, which `npm ci` never fetches, so the
// project starts with a lockfile holding this repository's locked versions of exactly the
// packed package's dependencies (and of typescript, for tsc): npm then installs by name,
// version and integrity, as it does for any project with a lockfile.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, repoRoot, writeFiles } from "./helpers.ts";

const TIMEOUT = 120_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The test's environment for npm, npx and tsc: none of the npm variables of an `npm test` around it, and offline. */
function env(): NodeJS.ProcessEnv {
  const base = cleanEnv({});
  for (const key of Object.keys(base)) {
    if (key.startsWith("npm_") && key !== "npm_config_cache" && key !== "npm_config_userconfig") {
      Reflect.deleteProperty(base, key);
    }
  }
  Reflect.deleteProperty(base, "INIT_CWD");
  return {
    ...base,
    npm_config_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function expectOk(what: string, result: Run): void {
  expect(result.code, `${what} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
}

/** What installing, building, packing and CI made in the repository: not its sources. */
const NOT_SOURCES = new Set([
  "node_modules",
  "dist",
  ".git",
  "coverage",
  "package.json.before-pack",
  "bench/node_modules",
  ".ci/node24",
]);

function copyOfRepository(to: string): void {
  cpSync(repoRoot, to, {
    recursive: true,
    filter: (path) => !NOT_SOURCES.has(relative(repoRoot, path).split(sep).join("/")),
  });
  // The pack's build (esbuild, tsc) uses the repository's dev dependencies.
  symlinkSync(join(repoRoot, "node_modules"), join(to, "node_modules"));
}

interface LockEntry {
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/**
 * A lockfile for a project that depends on `names`: their entries in this repository's
 * lockfile and those of everything they depend on, found as Node finds packages (nested
 * node_modules first, then each one above). The paths are the same in the new project.
 */
function lockfileFor(
  names: readonly string[],
  devNames: readonly string[],
): { lockfile: unknown; devDependencies: Record<string, string> } {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const kept = new Map<string, LockEntry>();
  const locate = (from: string, name: string): string | undefined => {
    for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf("/node_modules/")))) {
      const path = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
      if (path in lock.packages) return path;
      if (base === "") return undefined;
    }
  };
  const visit = (from: string, deps: readonly string[]): void => {
    for (const name of deps) {
      const path = locate(from, name);
      if (path === undefined)
        throw new Error(`${name} (needed by ${from || "the package"}) is not in package-lock.json`);
      const entry = lock.packages[path];
      if (entry === undefined || kept.has(path)) continue;
      kept.set(path, entry);
      visit(path, [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]);
    }
  };
  visit("", [...names, ...devNames]);
  const devDependencies = Object.fromEntries(
    devNames.map((name) => [name, kept.get(`node_modules/${name}`)?.version ?? "missing"]),
  );
  const packages: Record<string, unknown> = { "": { name: "consumer", devDependencies } };
  // The flags say how this repository uses them; npm works them out again for the new project.
  for (const [path, { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry }] of kept) packages[path] = entry;
  return { lockfile: { name: "consumer", lockfileVersion: 3, requires: true, packages }, devDependencies };
}

/** The README's first tasks file (Guide, "Install in your project"): typed for `strict`. */
function readmeTasksFile(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Install in your project"));
  const block = /```ts\n(\/\/ tasks\.ts\n[\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md: no "// tasks.ts" example under "Install in your project"');
  return block;
}

// The package's own declarations are checked too (skipLibCheck off); TypeScript's are not
// what is being tested, and checking them would be most of the time.
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    module: "nodenext",
    target: "es2022",
    skipLibCheck: false,
    skipDefaultLibCheck: true,
  },
  files: ["tasks.ts"],
};

let dir = "";
let consumer = "";
let packed: { readonly filename: string; readonly files: readonly { readonly path: string }[] } = {
  filename: "",
  files: [],
};
let install: Run = { code: null, stdout: "", stderr: "" };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runner-install-"));
  const source = join(dir, "source");
  copyOfRepository(source);
  const pack = await run("npm", ["pack", "--json", "--pack-destination", dir], source);
  expectOk("npm pack", pack);
  [packed] = JSON.parse(pack.stdout) as [typeof packed];
  const tarball = join(dir, packed.filename);

  consumer = join(dir, "consumer");
  const { dependencies } = JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const lock = lockfileFor(Object.keys(dependencies), ["typescript"]);
  writeFiles(consumer, {
    "package.json": JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      devDependencies: lock.devDependencies,
    }),
    "package-lock.json": JSON.stringify(lock.lockfile, null, 2),
    "tasks.ts": readmeTasksFile(),
    "tsconfig.json": JSON.stringify(TSCONFIG, null, 2),
  });
  install = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], consumer);
}, TIMEOUT);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("the packed tarball, installed into a new project", () => {
  it("holds bin/, dist/ with its declarations, LICENSE, README.md and package.json, and nothing else", () => {
    const paths = packed.files.map((f) => f.path).sort();
    for (const needed of [
      "LICENSE",
      "README.md",
      "package.json",
      "bin/runner.js",
      "bin/package.json",
      "dist/boot.cjs",
      "dist/runner.cjs",
      "dist/watchdog.cjs",
      "dist/redis.cjs",
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/testing.js",
      "dist/testing.cjs",
      "dist/testing.d.ts",
    ]) {
      expect(paths).toContain(needed);
    }
    expect(
      paths.filter((p) => !/^(bin|dist)\//.test(p) && !["LICENSE", "README.md", "package.json"].includes(p)),
    ).toEqual([]);
    expect(readFileSync(join(consumer, "node_modules", "runner-ts", "LICENSE"), "utf8")).toContain(
      "Copyright (c) 2026 runner-ts contributors",
    );
  });

  it("installs offline, with no scripts in its package.json (prepare needs src/ and tasks/, which it does not ship)", () => {
    expectOk("npm install", install);
    const pkg = JSON.parse(readFileSync(join(consumer, "node_modules", "runner-ts", "package.json"), "utf8")) as {
      name: string;
      scripts?: unknown;
      bin: Record<string, string>;
    };
    expect(pkg.name).toBe("runner-ts");
    expect(pkg.bin).toEqual({ runner: "./bin/runner.js" });
    expect(pkg.scripts).toBeUndefined();
    expect(install.stderr).not.toContain("runner-ts@");
  });

  it(
    "`npx runner --list` lists the tasks file's tasks with their descriptions",
    async () => {
      const list = await run("npx", ["--no", "--", "runner", "--list"], consumer);
      expectOk("npx runner --list", list);
      expect(list.stderr).toBe("");
      expect(list.stdout).toBe(
        "Available tasks:\n\n  greet     Greet someone by name\n  mytime    Print the local time\n",
      );
    },
    TIMEOUT,
  );

  it(
    "`npx runner greet --name …` runs the task",
    async () => {
      const greet = await run("npx", ["--no", "--", "runner", "greet", "--name", "adopter"], consumer);
      expectOk("npx runner greet", greet);
      expect(greet.stderr).toBe("");
      expect(greet.stdout).toBe("hello adopter\n");
    },
    TIMEOUT,
  );

  it(
    '`tsc --noEmit` type-checks the strict tasks file against the installed "runner-ts"',
    async () => {
      const check = await run("npx", ["--no", "--", "tsc", "--noEmit", "-p", "."], consumer);
      expectOk("tsc --noEmit", check);
      expect(check.stdout + check.stderr).toBe("");
    },
    TIMEOUT,
  );
});
