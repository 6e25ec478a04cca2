// Loading a tasks file (SPEC §1): TypeScript with nothing installed, errors as compilers
// print them, the on-disk cache, and JSDoc descriptions.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { project, runRunner, writeFiles } from "./helpers.ts";

/** Runs with `-v` and splits off the line that says where the tasks came from. */
async function verbose(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const run = await runRunner(["-v", ...args], { cwd, env });
  const [first = "", ...rest] = run.stderr.split("\n");
  const how = /^runner: tasks from .* \((transpiled|from the cache)\)$/.exec(first)?.[1];
  return { ...run, how, rest: rest.join("\n") };
}

function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^ {4}at /m);
  expect(text).not.toContain("internal error");
}

describe("TypeScript with nothing installed", () => {
  it("follows relative .ts imports with and without extension, .js naming a .ts file, and nested ones", async () => {
    const dir = project({
      "tasks.ts": [
        `import { a } from "./lib/a";`,
        `import { b } from "./lib/b.ts";`,
        `import { c } from "./lib/c.js";`,
        `import { Color, type Shape } from "./lib/types";`,
        `const shape: Shape = { sides: 3 };`,
        `export function show(): void {`,
        `  console.log(a(), b(), c(), Color.Red, shape.sides);`,
        `}`,
        ``,
      ].join("\n"),
      "lib/a.ts": `export const a = (): string => "a";\n`,
      "lib/b.ts": `import { deep } from "./nested/deep";\nexport const b = (): string => "b" + deep;\n`,
      "lib/nested/deep.ts": `import { root } from "../../root.mts";\nexport const deep: string = "-deep-" + root;\n`,
      "root.mts": `export const root = "root" as const;\n`,
      "lib/c.ts": `export function c<T extends string = "c">(): T {\n  return "c" as T;\n}\n`,
      "lib/types.ts": `export interface Shape {\n  sides: number;\n}\nexport enum Color {\n  Red = "red",\n}\n`,
    });
    const run = await runRunner(["show"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("a b-deep-root c red 3\n");
    expect(run.code).toBe(0);
  });

  // The package's name, and the short one that keeps working inside tasks files.
  it.each(["runner-ts", "runner"])(
    'resolves `import { task } from "%s"` (and its /testing) with no node_modules in the project',
    async (name) => {
      const dir = project({
        "tasks.ts": [
          `import { task } from "${name}";`,
          `import { mockContext } from "${name}/testing";`,
          `export const greet = task({`,
          `  options: { name: { type: "string", default: "world" } },`,
          `  run: (_ctx, opts) => console.log("hello " + opts.name + " " + typeof mockContext),`,
          `});`,
          ``,
        ].join("\n"),
      });
      const run = await runRunner(["greet", "--name", "runner"], { cwd: dir });
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe("hello runner function\n");
      expect(run.code).toBe(0);
      expect(existsSync(join(dir, "node_modules"))).toBe(false);
    },
  );

  it('"runner-ts" and "runner" are one module in a tasks file: one CommandError class', async () => {
    const dir = project({
      "tasks.ts": [
        `import { CommandError, task } from "runner-ts";`,
        `import { CommandError as Short } from "runner";`,
        `export const check = task({`,
        `  async run(ctx) {`,
        `    const error: unknown = await ctx.run("exit 3", { hide: true }).catch((e: unknown) => e);`,
        `    console.log(Short === CommandError, error instanceof CommandError, error instanceof Short);`,
        `  },`,
        `});`,
        ``,
      ].join("\n"),
    });
    const run = await runRunner(["check"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("true true true\n");
    expect(run.code).toBe(0);
  });

  it("resolves a bare import from the project's own node_modules", async () => {
    const dir = project({
      "node_modules/fake-greeter/package.json": JSON.stringify({
        name: "fake-greeter",
        type: "module",
        main: "index.js",
      }),
      "node_modules/fake-greeter/index.js": `export const greet = (who) => "fake says hi to " + who;\n`,
      "tasks.ts": `import { greet } from "fake-greeter";\nexport function hi(): void {\n  console.log(greet("you"));\n}\n`,
    });
    const run = await runRunner(["hi"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("fake says hi to you\n");
    expect(run.code).toBe(0);
  });

  it("gives import.meta.url, .dirname and .filename of the original files, not of the cache", async () => {
    const dir = project({
      "tasks.ts": [
        `import { where } from "./lib/where";`,
        `export function meta(): void {`,
        `  console.log(import.meta.url);`,
        `  console.log(import.meta.dirname);`,
        `  console.log(import.meta.filename);`,
        `  console.log(where());`,
        `  console.log("text that mentions import.meta.url stays as written");`,
        `}`,
        ``,
      ].join("\n"),
      "lib/where.ts": `export const where = (): string => new URL("data.txt", import.meta.url).href;\n`,
    });
    const real = realpathSync(dir);
    const run = await runRunner(["meta"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(
      [
        pathToFileURL(join(real, "tasks.ts")).href,
        real,
        join(real, "tasks.ts"),
        pathToFileURL(join(real, "lib", "data.txt")).href,
        "text that mentions import.meta.url stays as written",
        "",
      ].join("\n"),
    );
    expect(run.code).toBe(0);
  });
});

describe("syntax errors", () => {
  it("reports file:line:col, the message and a code frame, with no stack, exit 2", async () => {
    const dir = project({
      "tasks.ts": `/** Build */\nexport function build(): void {\n  const x = ;\n  console.log(x);\n}\n`,
    });
    const run = await runRunner(["build"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        `tasks.ts:3:13: Unexpected ";"`,
        `  1 | /** Build */`,
        `  2 | export function build(): void {`,
        `> 3 |   const x = ;`,
        `    |             ^`,
        `  4 |   console.log(x);`,
        `  5 | }`,
        ``,
      ].join("\n"),
    );
    expectNoStack(run.stderr);
    expect(run.code).toBe(2);
  });

  it("names the imported helper that holds the error", async () => {
    const dir = project({
      "tasks.ts": `import { helper } from "./lib/helper";\nexport function build(): void {\n  helper();\n}\n`,
      "lib/helper.ts": `export function helper(): void {\n  if (true {\n  }\n}\n`,
    });
    const run = await runRunner(["build"], { cwd: dir });
    expect(run.stderr).toBe(
      [
        `lib/helper.ts:2:12: Expected ")" but found "{"`,
        `  1 | export function helper(): void {`,
        `> 2 |   if (true {`,
        `    |            ^`,
        `  3 |   }`,
        `  4 | }`,
        ``,
      ].join("\n"),
    );
    expectNoStack(run.stderr);
    expect(run.code).toBe(2);
  });

  it("reports an error in a file that uses import.meta at its own line and column", async () => {
    const dir = project({ "tasks.ts": `const here: string = import.meta.url;\nexport const x = (;\n` });
    const run = await runRunner(["x"], { cwd: dir });
    expect(run.stderr.split("\n")[0]).toBe(`tasks.ts:2:19: Unexpected ";"`);
    expect(run.stderr).toContain(`> 2 | export const x = (;\n    |                   ^\n`);
    expect(run.code).toBe(2);
  });

  it("reports an import that cannot be resolved at the import, exit 2", async () => {
    const dir = project({ "tasks.ts": `import { x } from "not-installed-anywhere";\nexport const go = () => x;\n` });
    const run = await runRunner(["go"], { cwd: dir });
    expect(run.stderr).toBe(
      [
        `tasks.ts:1:19: Could not resolve "not-installed-anywhere"`,
        `> 1 | import { x } from "not-installed-anywhere";`,
        `    |                   ^`,
        `  2 | export const go = () => x;`,
        ``,
      ].join("\n"),
    );
    expect(run.code).toBe(2);
  });
});

describe("a tasks file that throws while loading", () => {
  it("prints its message at the tasks file's line and column, no stack, exit 1", async () => {
    const dir = project({
      "tasks.ts": `export function build(): void {}\n\nconst port: number = Number("x");\nif (Number.isNaN(port)) throw new Error("PORT is not a number");\n`,
    });
    const run = await runRunner(["build"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("tasks.ts:4:31: PORT is not a number (thrown while loading the tasks file)\n");
    expectNoStack(run.stderr);
    expect(run.code).toBe(1);
  });

  it("names the imported helper that threw, wherever it lives", async () => {
    const root = project({
      "app/tasks.ts": `import "../shared/setup";\nexport function build(): void {}\n`,
      "shared/setup.ts": `function check(): void {\n  throw new TypeError("setup failed");\n}\ncheck();\n`,
    });
    const fromRoot = await runRunner(["-C", "app", "build"], { cwd: root });
    expect(fromRoot.stderr).toBe("shared/setup.ts:2:9: setup failed (thrown while loading the tasks file)\n");
    expect(fromRoot.code).toBe(1);
    // Outside the current directory: the absolute path.
    const fromApp = await runRunner(["build"], { cwd: join(root, "app") });
    expect(fromApp.stderr).toBe(
      `${join(realpathSync(root), "shared", "setup.ts")}:2:9: setup failed (thrown while loading the tasks file)\n`,
    );
    expect(fromApp.code).toBe(1);
  });

  it("shows the absolute path when started from a subdirectory, and the same result from the cache", async () => {
    const dir = project({ "tasks.ts": `export function build(): void {}\nthrow new Error("boom");\n` });
    mkdirSync(join(dir, "sub"));
    const expected = `${join(realpathSync(dir), "tasks.ts")}:2:7: boom (thrown while loading the tasks file)\n`;
    for (let i = 0; i < 2; i++) {
      const run = await runRunner(["build"], { cwd: join(dir, "sub") });
      expect(run.stderr).toBe(expected);
      expect(run.code).toBe(1);
    }
  });

  it("reports a thrown non-Error value with the tasks file's name", async () => {
    const dir = project({ "tasks.ts": `export function build(): void {}\nthrow "not an error object";\n` });
    const run = await runRunner(["build"], { cwd: dir });
    expect(run.stderr).toBe("tasks.ts: not an error object (thrown while loading the tasks file)\n");
    expect(run.code).toBe(1);
  });
});

describe("the cache", () => {
  it("falls back to a private temp cache, not a hang, when its directory cannot be made", async () => {
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("hi");\n}\n` });
    const run = await runRunner(["hi"], {
      cwd: dir,
      env: { RUNNER_CACHE_DIR: "/proc/no-such-dir/runner" },
      timeoutMs: 15_000,
    });
    expect([run.signal, run.code, run.stdout, run.stderr]).toEqual([null, 0, "hi\n", ""]);
  });

  it("does not transpile an unchanged tasks file again", async () => {
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("hi");\n}\n` });
    const first = await verbose(["hi"], dir);
    expect([first.how, first.stdout, first.code]).toEqual(["transpiled", "hi\n", 0]);
    const second = await verbose(["hi"], dir);
    expect([second.how, second.stdout, second.code]).toEqual(["from the cache", "hi\n", 0]);
  });

  it("keeps a touched but unchanged file cached", async () => {
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("one");\n}\n` });
    expect((await verbose(["hi"], dir)).how).toBe("transpiled");
    // Same content, new times (a checkout): compared by content, still cached.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "tasks.ts"), later, later);
    const touched = await verbose(["hi"], dir);
    expect([touched.how, touched.stdout]).toEqual(["from the cache", "one\n"]);
  });

  it("sees an edit that kept the file's size and modification time", async () => {
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("one");\n}\n` });
    const file = join(dir, "tasks.ts");
    const { mtimeNs } = statSync(file, { bigint: true });
    expect((await verbose(["hi"], dir)).how).toBe("transpiled");
    writeFileSync(file, `export function hi(): void {\n  console.log("two");\n}\n`);
    // The old time back, to the nanosecond (utimes in JavaScript takes rounded seconds):
    // only the change time tells.
    const seconds = `${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, "0")}`;
    execFileSync("touch", ["-m", "-d", `@${seconds}`, file]);
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(mtimeNs);
    const edited = await verbose(["hi"], dir);
    expect([edited.how, edited.stdout]).toEqual(["transpiled", "two\n"]);
  });

  it("transpiles again after the tasks file, an imported helper or an imported JSON file changed", async () => {
    const dir = project({
      "tasks.ts": `import { word } from "./lib/word";\nimport data from "./data.json";\nexport function say(): void {\n  console.log(word, data.n);\n}\n`,
      "lib/word.ts": `export const word = "one";\n`,
      "data.json": `{ "n": 1 }\n`,
    });
    const steps: [Record<string, string>, string][] = [
      [{}, "one 1\n"],
      [{ "lib/word.ts": `export const word = "two";\n` }, "two 1\n"],
      [{ "data.json": `{ "n": 2 }\n` }, "two 2\n"],
      [
        {
          "tasks.ts": `import { word } from "./lib/word";\nexport function say(): void {\n  console.log(word + "!");\n}\n`,
        },
        "two!\n",
      ],
    ];
    for (const [edit, output] of steps) {
      writeFiles(dir, edit);
      const changed = await verbose(["say"], dir);
      expect([changed.how, changed.stdout], JSON.stringify(edit)).toEqual(["transpiled", output]);
      const again = await verbose(["say"], dir);
      expect([again.how, again.stdout], JSON.stringify(edit)).toEqual(["from the cache", output]);
    }
  });

  it("serves several runs started at once on a fresh, empty cache directory", async () => {
    const cache = join(project(), "fresh-cache");
    const dir = project({
      "tasks.ts": `import { n } from "./lib";\nexport function count(ctx): void {\n  console.log("count", n, ctx.args.join(","));\n}\n`,
      "lib.ts": `export const n: number = 42;\n`,
    });
    const env = { RUNNER_CACHE_DIR: cache };
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => verbose(["count", String(i)], dir, env)));
    runs.forEach((run, i) => {
      expect(run.stdout).toBe(`count 42 ${i}\n`);
      expect(run.how).toBeDefined();
      expect(run.rest).toBe("");
      expect(run.code).toBe(0);
    });
    expect(readdirSync(cache).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    const after = await verbose(["count", "x"], dir, env);
    expect([after.how, after.stdout]).toEqual(["from the cache", "count 42 x\n"]);
  });

  it("rebuilds once when a dependency of the cached bundle moved", async () => {
    const cache = join(project(), "cache");
    const root = project({
      "app/node_modules/fake-dep/package.json": JSON.stringify({ name: "fake-dep", type: "module", main: "index.js" }),
      "app/node_modules/fake-dep/index.js": `export const value = "from fake-dep";\n`,
      "app/tasks.ts": `import { value } from "fake-dep";\nexport function show(): void {\n  console.log(value);\n}\n`,
    });
    const app = join(root, "app");
    const env = { RUNNER_CACHE_DIR: cache };
    expect((await verbose(["show"], app, env)).how).toBe("transpiled");
    expect((await verbose(["show"], app, env)).how).toBe("from the cache");
    // Hoisted to the parent, as a reinstall in a workspace might do.
    mkdirSync(join(root, "node_modules"));
    renameSync(join(app, "node_modules", "fake-dep"), join(root, "node_modules", "fake-dep"));
    const moved = await verbose(["show"], app, env);
    expect([moved.how, moved.stdout, moved.rest, moved.code]).toEqual(["transpiled", "from fake-dep\n", "", 0]);
    const next = await verbose(["show"], app, env);
    expect([next.how, next.stdout]).toEqual(["from the cache", "from fake-dep\n"]);
  });

  it("rebuilds when the cached bundle itself was deleted", async () => {
    const cache = join(project(), "cache");
    const dir = project({ "tasks.ts": `export function hi(): void {\n  console.log("hi");\n}\n` });
    const env = { RUNNER_CACHE_DIR: cache };
    expect((await verbose(["hi"], dir, env)).how).toBe("transpiled");
    for (const name of readdirSync(cache).filter((n) => /\.[cm]js$/.test(n))) rmSync(join(cache, name));
    const run = await verbose(["hi"], dir, env);
    expect([run.how, run.stdout, run.rest, run.code]).toEqual(["transpiled", "hi\n", "", 0]);
  });

  it("still reports a missing module the tasks file really imports", async () => {
    const dir = project({
      "tasks.ts": `export function hi(): void {}\nawait import(new URL("./generated/missing.js", import.meta.url).href);\n`,
    });
    for (let i = 0; i < 2; i++) {
      const run = await runRunner(["hi"], { cwd: dir });
      expect(run.stderr).toBe(
        `tasks.ts: Cannot find module '${join(realpathSync(dir), "generated", "missing.js")}' imported from tasks.ts (thrown while loading the tasks file)\n`,
      );
      expect(run.code).toBe(1);
    }
  });
});

describe("the bundle's format", () => {
  /** The kinds of bundle in a fresh cache after one run: "cjs", "mjs" or both. */
  async function formatOf(files: Readonly<Record<string, string>>, args: readonly string[]) {
    const cache = join(project(), "cache");
    const run = await runRunner(args, { cwd: project(files), env: { RUNNER_CACHE_DIR: cache } });
    const kinds = readdirSync(cache)
      .map((name) => /\.([cm]js)$/.exec(name)?.[1])
      .filter((kind) => kind !== undefined);
    return { ...run, kinds };
  }

  const failing = [
    `import { CommandError } from "runner-ts";`,
    `export async function check(ctx: Context): Promise<void> {`,
    `  try {`,
    `    await ctx.run("exit 3", { hide: true });`,
    `  } catch (error) {`,
    `    console.log(error instanceof CommandError, (error as CommandError).result.exitCode);`,
    `  }`,
    `}`,
    ``,
  ].join("\n");

  it("is CommonJS for a plain tasks file, and runner's classes are the CLI's own", async () => {
    const run = await formatOf({ "tasks.ts": `import type { Context } from "runner-ts";\n${failing}` }, ["check"]);
    expect([run.stdout, run.stderr, run.code, run.kinds]).toEqual(["true 3\n", "", 0, ["cjs"]]);
  });

  it("is an ES module with top-level await, and runner's classes are still the CLI's own", async () => {
    const run = await formatOf(
      { "tasks.ts": `import type { Context } from "runner-ts";\nawait Promise.resolve();\n${failing}` },
      ["check"],
    );
    expect([run.stdout, run.stderr, run.code, run.kinds]).toEqual(["true 3\n", "", 0, ["mjs"]]);
  });

  it("is an ES module where the file uses import.meta beyond url, filename and dirname", async () => {
    const run = await formatOf(
      { "tasks.ts": `export function hi(): void {\n  console.log(typeof import.meta.resolve);\n}\n` },
      ["hi"],
    );
    expect([run.stdout, run.stderr, run.code, run.kinds]).toEqual(["function\n", "", 0, ["mjs"]]);
  });

  it("is an ES module where the file imports a package, which Node's own interop then loads", async () => {
    const run = await formatOf(
      {
        // CommonJS compiled from an ES module: Node's default export is the whole module.exports.
        "node_modules/fake-cjs/package.json": JSON.stringify({ name: "fake-cjs", main: "index.js" }),
        "node_modules/fake-cjs/index.js": `exports.__esModule = true;\nexports.default = "the default";\nexports.named = "named";\n`,
        "tasks.ts": `import pkg, { named } from "fake-cjs";\nexport function hi(): void {\n  console.log(typeof pkg, named);\n}\n`,
      },
      ["hi"],
    );
    expect([run.stdout, run.stderr, run.code, run.kinds]).toEqual(["object named\n", "", 0, ["mjs"]]);
  });

  it("keeps CommonJS for Node built-ins, JSON and dynamic imports of packages", async () => {
    const run = await formatOf(
      {
        "node_modules/fake-esm/package.json": JSON.stringify({ name: "fake-esm", type: "module", main: "index.js" }),
        "node_modules/fake-esm/index.js": `export const value = "esm value";\n`,
        "data.json": `{ "n": 42 }\n`,
        "tasks.ts": [
          `import { basename } from "node:path";`,
          `import data from "./data.json";`,
          `export async function hi(): Promise<void> {`,
          `  const { value } = await import("fake-esm");`,
          `  console.log(basename("/a/b.txt"), data.n, value);`,
          `}`,
          ``,
        ].join("\n"),
      },
      ["hi"],
    );
    expect([run.stdout, run.stderr, run.code, run.kinds]).toEqual(["b.txt 42 esm value\n", "", 0, ["cjs"]]);
  });
});

describe("JSDoc descriptions", () => {
  const tasksFile = [
    `import { task } from "runner-ts";`,
    ``,
    `/**`,
    ` * Build the project`,
    ` *`,
    ` * Runs tsc, then copies assets.`,
    ` * @example runner build`,
    ` */`,
    `export function build(): void {}`,
    ``,
    `/** Deploy to production */`,
    `export async function deploy(): Promise<void> {}`,
    ``,
    `/**`,
    ` * Lint the code`,
    ` * with eslint`,
    ` */`,
    `export const lint = async (): Promise<void> => {};`,
    ``,
    `/** Remove build output */`,
    `export const clean = task({ run: () => {} });`,
    ``,
    `/** Not this one */`,
    `export const fmt = task({ description: "Format the code", run: () => {} });`,
    ``,
    `/** Kept across a line comment */`,
    `// eslint-disable-next-line`,
    `export function check(): void {}`,
    ``,
    `export function bare(): void {}`,
    ``,
  ].join("\n");

  it("lists the first line of each task's leading JSDoc", async () => {
    const dir = project({ "tasks.ts": tasksFile });
    const run = await runRunner(["--list"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(
      [
        "Available tasks:",
        "",
        "  bare",
        "  build     Build the project",
        "  check     Kept across a line comment",
        "  clean     Remove build output",
        "  deploy    Deploy to production",
        "  fmt       Format the code",
        "  lint      Lint the code",
        "",
      ].join("\n"),
    );
  });

  it("shows the whole comment in --help <task>", async () => {
    const dir = project({ "tasks.ts": tasksFile });
    const build = await runRunner(["--help", "build"], { cwd: dir });
    expect(build.stdout).toBe(
      "Usage: runner build [args...]\n\nBuild the project\n\nRuns tsc, then copies assets.\n@example runner build\n",
    );
    const lint = await runRunner(["lint", "--help"], { cwd: dir });
    expect(lint.stdout).toBe("Usage: runner lint [args...]\n\nLint the code\nwith eslint\n");
    const clean = await runRunner(["--help", "clean"], { cwd: dir });
    expect(clean.stdout).toBe("Usage: runner clean\n\nRemove build output\n");
  });

  it("is not thrown off by `/**` in strings, templates, regular expressions and comments (issue 10)", async () => {
    const dir = project({
      "tasks.ts": [
        `import { task } from "runner";`,
        `const SRC = "src/**/*.ts";`,
        `const DOCS = \`docs/**/\${"*"}.md\`; // and /** in a comment`,
        `const GLOB = /\\/\\*\\*\\//;`,
        ``,
        `/** Lint the sources */`,
        `export const lint = task({ run: (ctx) => ctx.run("eslint 'src/**/*.ts'") });`,
        ``,
        `/**`,
        ` * Format the code`,
        ` *`,
        ` * Runs prettier on src/** and docs.`,
        ` */`,
        `export async function format(ctx: { run(cmd: string): Promise<unknown> }): Promise<void> {`,
        `  await ctx.run(\`prettier --write \${SRC} \${DOCS} \${String(GLOB)}\`);`,
        `}`,
        ``,
      ].join("\n"),
    });
    const list = await runRunner(["--list"], { cwd: dir });
    expect([list.stdout, list.stderr]).toEqual([
      "Available tasks:\n\n  format    Format the code\n  lint      Lint the sources\n",
      "",
    ]);
    const help = await runRunner(["--help", "format"], { cwd: dir });
    expect(help.stdout).toBe(
      "Usage: runner format [args...]\n\nFormat the code\n\nRuns prettier on src/** and docs.\n",
    );
    const lint = await runRunner(["--help", "lint"], { cwd: dir });
    expect(lint.stdout).toBe("Usage: runner lint\n\nLint the sources\n");
  });

  it("reads the descriptions once, when the cache is built: a cached run takes them from the cache entry", async () => {
    const dir = project({ "tasks.ts": tasksFile });
    const cache = join(dir, "cache");
    await runRunner(["--list"], { cwd: dir, env: { RUNNER_CACHE_DIR: cache } });
    const entry = join(cache, readdirSync(cache).find((name) => name.endsWith(".json")) ?? "");
    const meta = JSON.parse(readFileSync(entry, "utf8")) as { docs: [string, string][] };
    expect(new Map(meta.docs).get("deploy")).toBe("Deploy to production");
    // What the entry says is what a cached run shows: the source is not scanned again.
    meta.docs = meta.docs.map(([name, doc]) => [name, name === "deploy" ? "From the cache entry" : doc]);
    writeFileSync(entry, JSON.stringify(meta));
    const cached = await verbose(["--list"], dir, { RUNNER_CACHE_DIR: cache });
    expect(cached.how).toBe("from the cache");
    expect(cached.stdout).toContain("  deploy    From the cache entry\n");
  });

  it("keeps the descriptions when the tasks come from the cache", async () => {
    const dir = project({ "tasks.ts": tasksFile });
    await runRunner(["--list"], { cwd: dir });
    const cached = await verbose(["--list"], dir);
    expect(cached.how).toBe("from the cache");
    expect(cached.stdout).toContain("  deploy    Deploy to production\n");
  });
});
