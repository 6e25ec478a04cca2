// What real projects import from their tasks files (issue 10, SPEC §1): workspace packages
// whose entry is TypeScript, tsconfig `paths`, optional packages behind a guarded import();
// and where an error thrown by task code was thrown, mapped to the user's source.
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner, writeFiles } from "./helpers.ts";

describe("imports Node cannot load as they are", () => {
  it("bundles a workspace package linked into node_modules whose main is src/index.ts", async () => {
    const root = project({
      "packages/util/package.json": JSON.stringify({ name: "@ws/util", main: "src/index.ts" }),
      "packages/util/src/index.ts": `import { greeting } from "./greeting";\nexport const greet = (name: string): string => \`\${greeting} \${name}\`;\n`,
      "packages/util/src/greeting.ts": `export const greeting: string = "hello";\n`,
      "app/tasks.ts": `import { greet } from "@ws/util";\nexport function hi(): void {\n  console.log(greet("workspace"));\n}\n`,
    });
    mkdirSync(join(root, "app/node_modules/@ws"), { recursive: true });
    symlinkSync(join(root, "packages/util"), join(root, "app/node_modules/@ws/util"));
    const app = join(root, "app");
    const run = await runRunner(["hi"], { cwd: app });
    expect([run.stdout, run.stderr, run.code]).toEqual(["hello workspace\n", "", 0]);
    // Its sources are the bundle's inputs: an edit there shows at the next run.
    writeFileSync(join(root, "packages/util/src/greeting.ts"), `export const greeting: string = "hi there";\n`);
    const again = await runRunner(["hi"], { cwd: app });
    expect([again.stdout, again.stderr, again.code]).toEqual(["hi there workspace\n", "", 0]);
  });

  it("bundles a linked CommonJS workspace package with its own __dirname and __filename", async () => {
    const root = project({
      "packages/paths/package.json": JSON.stringify({ name: "paths", main: "lib/index.js" }),
      "packages/paths/lib/index.js": `const { join } = require("node:path");\nexports.templates = join(__dirname, "templates");\nexports.file = __filename;\n`,
      "app/tasks.ts": `import { templates, file } from "paths";\nexport function hi(): void {\n  const __dirname = "shadowed";\n  console.log(templates, file, __dirname);\n}\n`,
    });
    mkdirSync(join(root, "app/node_modules"), { recursive: true });
    symlinkSync(join(root, "packages/paths"), join(root, "app/node_modules/paths"));
    const run = await runRunner(["hi"], { cwd: join(root, "app") });
    const lib = join(realpathSync(root), "packages/paths/lib");
    expect([run.stdout, run.stderr, run.code]).toEqual([`${lib}/templates ${lib}/index.js shadowed\n`, "", 0]);
  });

  it("bundles a package whose exports point at TypeScript", async () => {
    const dir = project({
      "node_modules/ts-pkg/package.json": JSON.stringify({ name: "ts-pkg", exports: { ".": "./index.mts" } }),
      "node_modules/ts-pkg/index.mts": `export const answer: number = 42;\n`,
      "tasks.ts": `import { answer } from "ts-pkg";\nexport function hi(): void {\n  console.log(answer);\n}\n`,
    });
    const run = await runRunner(["hi"], { cwd: dir });
    expect([run.stdout, run.stderr, run.code]).toEqual(["42\n", "", 0]);
  });

  it("follows tsconfig paths aliases to .ts files", async () => {
    const dir = project({
      "tsconfig.json": JSON.stringify({ compilerOptions: { baseUrl: ".", paths: { "@lib/*": ["src/lib/*"] } } }),
      "src/lib/math.ts": `export const add = (a: number, b: number): number => a + b;\n`,
      "tasks.ts": `import { add } from "@lib/math";\nexport function sum(): void {\n  console.log(add(2, 3));\n}\n`,
    });
    const run = await runRunner(["sum"], { cwd: dir });
    expect([run.stdout, run.stderr, run.code]).toEqual(["5\n", "", 0]);
  });

  it("leaves ordinary packages in node_modules to Node", async () => {
    const dir = project({
      "node_modules/plain/package.json": JSON.stringify({ name: "plain", main: "index.js" }),
      "node_modules/plain/index.js": `exports.where = __filename;\n`,
      "tasks.ts": `import { where } from "plain";\nexport function hi(): void {\n  console.log(where);\n}\n`,
    });
    const run = await runRunner(["hi"], { cwd: dir });
    expect([run.stdout, run.code]).toEqual([`${join(realpathSync(dir), "node_modules/plain/index.js")}\n`, 0]);
  });
});

describe("an import() of something missing", () => {
  const TASKS = [
    `export async function fancy(): Promise<void> {`,
    `  try {`,
    `    const { name } = await import("optional-pkg");`,
    `    console.log("using", name);`,
    `  } catch (error) {`,
    `    console.log("without it:", (error as { code?: string }).code);`,
    `  }`,
    `}`,
    `export async function needs(): Promise<void> {`,
    `  await import("./missing-helper");`,
    `}`,
    `export function plain(): void {`,
    `  console.log("plain ran");`,
    `}`,
    ``,
  ].join("\n");

  it("fails only when it runs, as Node's ERR_MODULE_NOT_FOUND, and works once the package is installed", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const plain = await runRunner(["plain"], { cwd: dir });
    expect([plain.stdout, plain.stderr, plain.code]).toEqual(["plain ran\n", "", 0]);
    const fancy = await runRunner(["fancy"], { cwd: dir });
    expect([fancy.stdout, fancy.stderr, fancy.code]).toEqual(["without it: ERR_MODULE_NOT_FOUND\n", "", 0]);
    const needs = await runRunner(["needs"], { cwd: dir });
    expect(needs.stderr).toContain(
      `✖ needs: Cannot find module './missing-helper' imported from ${join(realpathSync(dir), "tasks.ts")}`,
    );
    expect(needs.code).toBe(1);
    // Installing it changes what the import means: the cached bundle is not used again.
    writeFiles(dir, {
      "node_modules/optional-pkg/package.json": JSON.stringify({ name: "optional-pkg", main: "index.js" }),
      "node_modules/optional-pkg/index.js": `exports.name = "optional-pkg";\n`,
    });
    const installed = await runRunner(["fancy"], { cwd: dir });
    expect([installed.stdout, installed.stderr, installed.code]).toEqual(["using optional-pkg\n", "", 0]);
    rmSync(join(dir, "node_modules"), { recursive: true });
  });

  it("is still a load error, exit 2, as a static import", async () => {
    const dir = project({ "tasks.ts": `import { x } from "optional-pkg";\nexport const go = (): unknown => x;\n` });
    const run = await runRunner(["go"], { cwd: dir });
    expect(run.stderr.split("\n")[0]).toBe(`tasks.ts:1:19: Could not resolve "optional-pkg"`);
    expect(run.code).toBe(2);
  });
});

describe("an error thrown by task code", () => {
  const TASKS = [
    `import { parseConfig } from "./lib/config";`, // 1
    ``, // 2
    `/** Deploy */`, // 3
    `export function deploy(): void {`, // 4
    `  const target: string = "prod";`, // 5
    `  if (target === "prod") throw new Error("no credentials for " + target);`, // 6
    `}`, // 7
    ``, // 8
    `export async function configure(): Promise<void> {`, // 9
    `  await Promise.resolve();`, // 10
    `  parseConfig("{");`, // 11
    `}`, // 12
    ``,
  ].join("\n");
  const LIB = [`export function parseConfig(text: string): unknown {`, `  return JSON.parse(text);`, `}`, ``].join(
    "\n",
  );

  it("shows where it was thrown, at the tasks file's line and column", async () => {
    const dir = project({ "tasks.ts": TASKS, "lib/config.ts": LIB });
    for (const _ of ["transpiled", "from the cache"]) {
      const run = await runRunner(["deploy"], { cwd: dir });
      expect(run.stderr.split("\n")[0]).toBe("✖ deploy: no credentials for prod (tasks.ts:6:32)");
      expect(run.stderr).not.toMatch(/^ {4}at /m);
      expect(run.code).toBe(1);
    }
  });

  it("shows the first frame in the user's files: a helper it imports, past JSON.parse", async () => {
    const dir = project({ "tasks.ts": TASKS, "lib/config.ts": LIB });
    const run = await runRunner(["configure"], { cwd: dir });
    expect(run.stderr.split("\n")[0]).toMatch(/^✖ configure: .*JSON.* \(lib\/config\.ts:2:15\)$/);
    // From a subdirectory: the path as the syntax errors show it, absolute outside the current directory.
    mkdirSync(join(dir, "sub"));
    const deeper = await runRunner(["deploy"], { cwd: join(dir, "sub") });
    expect(deeper.stderr.split("\n")[0]).toBe(
      `✖ deploy: no credentials for prod (${join(realpathSync(dir), "tasks.ts")}:6:32)`,
    );
  });

  it("shows the whole stack with -v, mapped to the sources", async () => {
    const dir = project({ "tasks.ts": TASKS, "lib/config.ts": LIB });
    const real = realpathSync(dir);
    const run = await runRunner(["-v", "configure"], { cwd: dir });
    const lines = run.stderr.split("\n");
    const at = lines.findIndex((line) => line.startsWith("✖ configure: "));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "    at JSON.parse (<anonymous>)",
      `    at parseConfig (${join(real, "lib/config.ts")}:2:15)`,
      `    at configure (${join(real, "tasks.ts")}:11:3)`,
    ]);
    expect(run.stderr).not.toMatch(/runner-cache|\.cjs:\d+:\d+\)\n.*tasks\.ts/);
  });

  it("has its stack mapped for task code that prints it", async () => {
    const dir = project({
      "tasks.ts": `export function show(): void {\n  const error = new Error("look");\n  console.log(error.stack?.split("\\n")[1]);\n}\n`,
    });
    const run = await runRunner(["show"], { cwd: dir });
    expect(run.stdout).toBe(`    at show (${join(realpathSync(dir), "tasks.ts")}:2:17)\n`);
  });

  it("says nothing of a location for a failed command", async () => {
    const dir = project({
      "tasks.ts": `export async function fail(ctx: { run(cmd: string): Promise<unknown> }): Promise<void> {\n  await ctx.run("exit 3");\n}\n`,
    });
    const run = await runRunner(["fail"], { cwd: dir });
    expect(run.stderr.split("\n")[0]).not.toContain("tasks.ts:");
    expect(run.code).toBe(3);
  });
});
