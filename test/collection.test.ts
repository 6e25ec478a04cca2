// The task forms of SPEC §1 (exported functions, task(), namespaces, the default task,
// hidden tasks, ignored exports) and the load-time checks, through the real CLI.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, type RunResult } from "./helpers.ts";
import { runInProcess } from "./world.ts";

/** Every form of SPEC §1 in one tasks file; each task prints what ran. */
const FORMS = `import { task } from "runner-ts";

/**
 * Build the documentation site
 *
 * Renders every page, then the search index.
 */
export function buildDocs(): void {
  console.log("build-docs ran");
}

/** Write the HTML report */
export async function HTMLReport(ctx: { args: readonly string[] }): Promise<void> {
  console.log(\`html-report ran \${JSON.stringify(ctx.args)}\`);
}

export const serve = task({
  description: "Serve the site\\nOn port 8080.",
  aliases: ["s", "startServer"],
  run: () => console.log("serve ran"),
});

const apiBuild = task({ description: "Build the API docs", run: () => console.log("docs.build ran") });

/** Check every link */
function checkLinks(): void {
  console.log("docs.check-links ran");
}

const publish = task({ description: "Publish v1", aliases: ["pub"], run: () => console.log("docs.api.v1.publish ran") });

export const docs = { build: apiBuild, checkLinks, default: apiBuild, api: { v1: { publish } } };

export const tools = { format: () => console.log("tools.format ran"), lint: () => console.log("tools.lint ran") };

export const _private = () => console.log("_private ran");
export const secret = task({ hidden: true, run: () => console.log("secret ran") });
export const _internal = { reset: () => console.log("_internal.reset ran") };

export const version = "1.0";
export const retries = 3;
export const settings = { port: 8080, name: "site" };
export class Server {}

export default serve;
`;

const FORMS_LIST = `Available tasks:

  build-docs                  Build the documentation site
  html-report                 Write the HTML report
  serve, s, start-server      Serve the site (default)

docs: (runner docs runs docs.build)
  docs.build                  Build the API docs
  docs.check-links            Check every link

docs.api.v1:
  docs.api.v1.publish, pub    Publish v1

tools:
  tools.format
  tools.lint
`;

const forms = project({ "tasks.ts": FORMS });

function expectRan(run: RunResult, stdout: string): void {
  expect(run.stderr).toBe("");
  expect(run.stdout).toBe(stdout);
  expect(run.code).toBe(0);
}

describe("task forms (SPEC §1)", () => {
  it("lists every visible task once: kebab-case names, aliases, first JSDoc line, namespaces by group", async () => {
    const run = await runInProcess(["--list"], { cwd: forms });
    expectRan(run, FORMS_LIST);
  });

  it("runs an exported function by its kebab-case name and by its camelCase spelling", async () => {
    expectRan(await runInProcess(["build-docs"], { cwd: forms }), "build-docs ran\n");
    expectRan(await runInProcess(["buildDocs"], { cwd: forms }), "build-docs ran\n");
    expectRan(await runInProcess(["html-report"], { cwd: forms }), "html-report ran []\n");
    expectRan(await runInProcess(["HTMLReport"], { cwd: forms }), "html-report ran []\n");
  });

  it("gives an exported function its extra words in ctx.args", async () => {
    expectRan(await runInProcess(["html-report", "weekly", "--", "x"], { cwd: forms }), 'html-report ran ["weekly"]\n');
    expectRan(await runInProcess(["html-report", "a", "z"], { cwd: forms }), 'html-report ran ["a","z"]\n');
  });

  it("shows the whole JSDoc comment in --help <task>", async () => {
    const run = await runInProcess(["--help", "build-docs"], { cwd: forms });
    expectRan(
      run,
      "Usage: runner build-docs [args...]\n\nBuild the documentation site\n\nRenders every page, then the search index.\n",
    );
  });

  it("runs a task() by its name and by each alias (camelCase aliases are kebab-cased too)", async () => {
    for (const word of ["serve", "s", "start-server", "startServer"]) {
      expectRan(await runInProcess([word], { cwd: forms }), "serve ran\n");
    }
  });

  it("shows a task()'s whole description and its aliases in --help", async () => {
    const run = await runInProcess(["--help", "s"], { cwd: forms });
    expectRan(run, "Usage: runner serve\n\nServe the site\nOn port 8080.\n\nAliases: s, start-server\n");
  });

  it("runs namespaced tasks to any depth, with aliases inside the namespace", async () => {
    expectRan(await runInProcess(["docs.build"], { cwd: forms }), "docs.build ran\n");
    expectRan(await runInProcess(["docs.check-links"], { cwd: forms }), "docs.check-links ran\n");
    expectRan(await runInProcess(["docs.checkLinks"], { cwd: forms }), "docs.check-links ran\n");
    expectRan(await runInProcess(["docs.api.v1.publish"], { cwd: forms }), "docs.api.v1.publish ran\n");
    expectRan(await runInProcess(["docs.api.v1.pub"], { cwd: forms }), "docs.api.v1.publish ran\n");
    expectRan(await runInProcess(["tools.lint"], { cwd: forms }), "tools.lint ran\n");
  });

  it("runs a namespace's default when the namespace is named", async () => {
    expectRan(await runInProcess(["docs"], { cwd: forms }), "docs.build ran\n");
  });

  it("names a namespace's tasks when it has no default", async () => {
    const run = await runInProcess(["tools"], { cwd: forms });
    expect(run.stderr).toBe(
      '"tools" is a namespace with no default task; run one of its tasks: tools.format, tools.lint.\n',
    );
    expect(run.stdout).toBe("");
    expect(run.code).toBe(2);
  });

  it("lists one namespace with --list <namespace>, nested namespaces included", async () => {
    const run = await runInProcess(["--list", "docs"], { cwd: forms });
    expectRan(
      run,
      `Tasks in docs:

  docs.build                  Build the API docs
  docs.check-links            Check every link

docs.api.v1:
  docs.api.v1.publish, pub    Publish v1
`,
    );
  });

  it("runs the default export when no task is named", async () => {
    expectRan(await runInProcess([], { cwd: forms }), "serve ran\n");
  });

  it("prints the list when no task is named and there is no default export", async () => {
    const dir = project({ "tasks.ts": FORMS.replace("export default serve;\n", "") });
    const run = await runInProcess([], { cwd: dir });
    expectRan(run, FORMS_LIST.replace(" (default)", ""));
  });

  it("names a default export that is not otherwise exported after its function", async () => {
    const dir = project({
      "tasks.ts": `/** Say hello */\nexport default function hello(): void {\n  console.log("hello ran");\n}\n`,
    });
    expectRan(await runInProcess(["--list"], { cwd: dir }), "Available tasks:\n\n  hello    Say hello (default)\n");
    expectRan(await runInProcess([], { cwd: dir }), "hello ran\n");
    expectRan(await runInProcess(["hello"], { cwd: dir }), "hello ran\n");
  });

  it("keeps hidden tasks (hidden: true, a leading _, a _namespace) out of the list but runs them by name", async () => {
    const list = await runInProcess(["--list"], { cwd: forms });
    expect(list.stdout).not.toMatch(/secret|private|internal/);
    expectRan(await runInProcess(["secret"], { cwd: forms }), "secret ran\n");
    expectRan(await runInProcess(["_private"], { cwd: forms }), "_private ran\n");
    expectRan(await runInProcess(["_internal.reset"], { cwd: forms }), "_internal.reset ran\n");
  });

  it("does not suggest hidden tasks for a misspelt name", async () => {
    const run = await runInProcess(["secrets"], { cwd: forms });
    expect(run.stderr).toBe('Unknown task "secrets".\n');
    expect(run.code).toBe(2);
  });

  it("ignores exports that are neither tasks nor namespaces (values, plain data objects, classes)", async () => {
    const json = await runInProcess(["--list", "--json"], { cwd: forms });
    expect(json.code).toBe(0);
    const names = (JSON.parse(json.stdout) as { tasks: { name: string }[] }).tasks.map((t) => t.name);
    expect(names).toEqual([
      "build-docs",
      "html-report",
      "serve",
      "docs.build",
      "docs.check-links",
      "docs.api.v1.publish",
      "tools.format",
      "tools.lint",
    ]);
    for (const word of ["version", "retries", "settings", "server", "Server"]) {
      const run = await runInProcess([word], { cwd: forms });
      expect(run.stderr).toMatch(new RegExp(`^Unknown task "${word}"\\.`));
      expect(run.code).toBe(2);
    }
  });

  it("runs deps first, in declared order, once per run; an unexported dep runs under its own name, unlisted", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
function prepare(): void {
  console.log("prepare ran");
}
export const clean = task({ run: () => console.log("clean ran") });
export const build = task({ deps: [clean, prepare], run: () => console.log("build ran") });
export const test = task({ deps: [build, clean], run: () => console.log("test ran") });
`,
    });
    const run = await runInProcess(["test", "build", "-q"], { cwd: dir });
    expectRan(run, "clean ran\nprepare ran\nbuild ran\ntest ran\n");
    const list = await runInProcess(["--list"], { cwd: dir });
    expectRan(
      list,
      "Available tasks:\n\n  build    (deps: clean, prepare)\n  clean\n  test     (deps: build, clean)\n",
    );
    expectRan(await runInProcess(["prepare"], { cwd: dir }), "prepare ran\n");
  });

  it("takes a task's JSDoc from its declaration, not from an unrelated export of the same key", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";
/** Compile the code */
export const build = task({ run() {} });
/** Build the docs */
const docsBuild = task({ run() {} });
/** Serve the docs */
function serve(): void {}
export const docs = { build: docsBuild, serve };
`,
    });
    const run = await runInProcess(["--list"], { cwd: dir });
    expectRan(
      run,
      "Available tasks:\n\n  build         Compile the code\n\ndocs:\n  docs.build\n  docs.serve    Serve the docs\n",
    );
  });
});

/** A load-time check: one line naming the file, exit status 2, nothing run. */
async function expectLoadError(tasks: string, message: string): Promise<void> {
  const dir = project({
    "tasks.ts": `import { writeFileSync } from "node:fs";\nimport { task } from "runner-ts";\n${tasks}\nexport function mark(): void {\n  writeFileSync("marker", "");\n  console.log("mark ran");\n}\n`,
  });
  const run = await runInProcess(["mark"], { cwd: dir });
  expect(run.stderr).toBe(`tasks.ts: ${message}\n`);
  expect(run.stdout).toBe("");
  expect(run.code).toBe(2);
  expect(existsSync(join(dir, "marker"))).toBe(false);
}

describe("load-time checks (SPEC §1)", () => {
  it("rejects two exports with the same name after kebab-casing", async () => {
    await expectLoadError(
      "export function buildDocs(): void {}\nexport const BuildDocs = (): void => {};",
      'duplicate task name "build-docs" (export "BuildDocs" and export "buildDocs").',
    );
  });

  it("rejects two namespace members with the same name after kebab-casing", async () => {
    await expectLoadError(
      'export const docs = { "check-links": () => {}, checkLinks: () => {} };',
      'duplicate task name "docs.check-links" (export "docs.check-links" and export "docs.checkLinks").',
    );
  });

  it("rejects an alias that is another task's name", async () => {
    await expectLoadError(
      'export function lint(): void {}\nexport const build = task({ aliases: ["lint"], run() {} });',
      'duplicate task name "lint" (export "lint" and an alias of "build").',
    );
  });

  it("rejects an alias that kebab-cases to another task's name", async () => {
    await expectLoadError(
      'export function buildDocs(): void {}\nexport const build = task({ aliases: ["build_docs", "BuildDocs"], run() {} });',
      'duplicate task name "build-docs" (export "buildDocs" and an alias of "build").',
    );
  });

  it("rejects the same alias on two tasks", async () => {
    await expectLoadError(
      'export const a = task({ aliases: ["x"], run() {} });\nexport const b = task({ aliases: ["x"], run() {} });',
      'duplicate task name "x" (an alias of "a" and an alias of "b").',
    );
  });

  it("rejects a dependency cycle, naming it in order", async () => {
    await expectLoadError(
      `const deps: unknown[] = [];
export const a = task({ deps: deps as never[], run() {} });
export const c = task({ deps: [a], run() {} });
export const b = task({ deps: [c], run() {} });
deps.push(b);`,
      "Dependency cycle: a → b → c → a",
    );
  });

  it("rejects a task that depends on itself", async () => {
    await expectLoadError(
      "const deps: unknown[] = [];\nexport const a = task({ deps: deps as never[], run() {} });\ndeps.push(a);",
      "Dependency cycle: a → a",
    );
  });

  it("rejects an option declared twice under two spellings", async () => {
    await expectLoadError(
      'export const a = task({ options: { dryRun: { type: "boolean" }, "dry-run": { type: "boolean" } }, run() {} });',
      'task "a": option "dry-run" is declared twice (as "dryRun" and "dry-run", both --dry-run).',
    );
  });

  it("rejects a boolean whose --no- form is another option", async () => {
    await expectLoadError(
      'export const a = task({ options: { cache: { type: "boolean" }, noCache: { type: "boolean" } }, run() {} });',
      'task "a": option "noCache" is declared twice (as "cache" and "noCache", both --no-cache).',
    );
  });

  it("rejects the same short letter on two options", async () => {
    await expectLoadError(
      'export const a = task({ options: { one: { type: "string", short: "x" }, two: { type: "string", short: "x" } }, run() {} });',
      'task "a": option "two" has short -x, already used by "one".',
    );
  });

  it("rejects a default of the wrong type", async () => {
    await expectLoadError(
      'export const a = task({ options: { jobs: { type: "number", default: "4" } }, run() {} });',
      'task "a": option "jobs" has default "4", which is not a number.',
    );
    await expectLoadError(
      'export const a = task({ options: { watch: { type: "boolean", default: "no" } }, run() {} });',
      'task "a": option "watch" has default "no", which is not a boolean.',
    );
    await expectLoadError(
      'export const a = task({ options: { define: { type: "string", multiple: true, default: "A" } }, run() {} });',
      'task "a": option "define" has multiple: true but a default that is not a list.',
    );
  });

  it("rejects bad choices: an empty list, a choice of the wrong type, a default not among them", async () => {
    await expectLoadError(
      'export const a = task({ options: { target: { type: "string", choices: [] } }, run() {} });',
      'task "a": option "target" has choices that are not a non-empty list.',
    );
    await expectLoadError(
      'export const a = task({ options: { level: { type: "number", choices: [1, "2"] } }, run() {} });',
      'task "a": option "level" has choice "2" that is not a number.',
    );
    await expectLoadError(
      'export const a = task({ options: { target: { type: "string", choices: ["es2022", "esnext"], default: "es5" } }, run() {} });',
      'task "a": option "target" has default "es5", which is not one of its choices.',
    );
  });

  it("rejects an unknown option type", async () => {
    await expectLoadError(
      'export const a = task({ options: { n: { type: "int" as "number" } }, run() {} });',
      'task "a": option "n" has type "int"; expected one of string, number, boolean, count.',
    );
  });
});
