// The published types as a consumer project sees them: the declarations are built into a
// package in a temp directory (node_modules/runner-ts, with the fields of package.json that
// matter for types), and a small tasks file using the API the way the README does is
// type-checked against it by tsc under three module resolutions. skipLibCheck is off, so
// the .d.ts files themselves must check too. The tasks file's `@ts-expect-error` lines are
// wrong uses: if the types did not resolve (and everything were `any`), they would be
// unused directives, and the check would fail.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers.ts";

const TSC = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const TIMEOUT = 120_000;

/** The package.json fields a consumer's TypeScript reads; the rest (scripts, deps) do not matter here. */
const TYPE_FIELDS = ["name", "version", "type", "main", "types", "typesVersions", "exports"];

interface Tsc {
  readonly status: number | null;
  readonly output: string;
}

/** Runs this repo's tsc in `cwd`; asynchronous, so that the three checks can run at once. */
function tsc(args: readonly string[], cwd: string): Promise<Tsc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

// Uses the API as the README's Guide does. CommonJS-safe (no top-level await, no
// import.meta), so that the same file checks as an ES module and as CommonJS.
const TASKS_TS = `
import { task, isTaskDefinition, CommandError, type Context, type Duration, type Result, type RunOptions, type RunnerConfig } from "runner-ts";
import { mockContext, type MockContext } from "runner-ts/testing";

/** Print the local time */
export function mytime(ctx: Context): void {
  ctx.log("Local time is", new Date().toString());
}

/** Remove build output */
export const clean = task({ run: (ctx) => ctx.run("rm -rf dist") });

const limit: Duration = "5m";

export const build = task({
  description: "Compile the project",
  aliases: ["b"],
  deps: [clean, mytime],
  options: {
    target: { type: "string", choices: ["es2022", "esnext"], default: "es2022", help: "language level" },
    jobs: { type: "number", default: 4, short: "j" },
    watch: { type: "boolean", default: false },
    entry: { type: "string", positional: true, required: true },
    define: { type: "string", multiple: true },
    level: { type: "number", choices: [1, 2, 3] },
    out: { type: "string" },
  },
  timeout: limit,
  retries: 0,
  async run(ctx, opts) {
    const target: "es2022" | "esnext" = opts.target;
    const jobs: number = opts.jobs;
    const watch: boolean = opts.watch;
    const entry: string = opts.entry;
    const define: string[] = opts.define;
    const level: 1 | 2 | 3 | undefined = opts.level;
    const out: string | undefined = opts.out;
    // @ts-expect-error "es5" is not one of target's choices
    const es5: typeof opts.target = "es5";
    // @ts-expect-error no option "minify" was declared
    const minify: unknown = opts.minify;
    // @ts-expect-error out has no default and is not required: it may be undefined
    const outDir: string = opts.out;
    // @ts-expect-error opts is read-only
    opts.jobs = 8;

    const options: RunOptions = { hide: "stdout", timeout: "2m", env: { CC: "clang" }, cwd: "native", echo: true };
    const r: Result = await ctx.run(\`tsc -p . --target \${target}\`, options);
    // @ts-expect-error hide is a boolean or a stream's name
    await ctx.run("make", { hide: "all" });
    const code: number | null = r.exitCode;
    const text: string = r.stdout + r.stderr + r.all;
    await ctx.run("npm test", { warn: true, input: "", responders: [{ pattern: /password:/, response: "x\\n" }] });
    await ctx.exec("git", ["tag", entry]);
    const { stdout } = await ctx.$\`git log -1 --format=\${"%H"} -n \${jobs}\`;
    try {
      await ctx.run("false");
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const failed: Result = error.result;
      ctx.log(failed.command, failed.signal, failed.timedOut, failed.durationMs, failed.ok, failed.failed);
    }
    const config: RunnerConfig = ctx.config;
    const signal: AbortSignal = ctx.signal;
    const where: string = ctx.cwd;
    ctx.log(ctx.name, ctx.options, ctx.args, ctx.rest, config.jobs, signal.aborted, where);
    ctx.log(watch, define, level, out, code, text, stdout, es5, minify, outDir);
  },
});

export async function testBuild(): Promise<readonly string[]> {
  const ctx: MockContext = mockContext(
    { "rm -rf dist": "", "git status --short": { stdout: "", exitCode: 0 } },
    { name: "build", cwd: "/project", config: { jobs: 2 } },
  );
  await build.run(ctx, { target: "esnext", jobs: 1, watch: false, entry: "src/main.ts", define: [] });
  // @ts-expect-error entry is required
  await build.run(ctx, { target: "esnext", jobs: 1, watch: false, define: [] });
  // @ts-expect-error "es5" is not one of target's choices
  await build.run(ctx, { target: "es5", jobs: 1, watch: false, entry: "src/main.ts", define: [] });
  const byPattern = mockContext(new Map([[/^git tag /, ""]]));
  await clean.run(byPattern, {});
  return [...ctx.commands, ...byPattern.calls.map((call) => call.kind), ...ctx.logs];
}

export const isTask: boolean = isTaskDefinition(build);
`;

/** How each consumer project is set up: its package's module format and its tsconfig's module settings. */
const CONSUMERS = [
  { name: "node16", type: "module", compilerOptions: { module: "node16", moduleResolution: "node16" } },
  { name: "bundler", type: "module", compilerOptions: { module: "esnext", moduleResolution: "bundler" } },
  {
    name: "node10",
    // node10 resolution is for CommonJS projects; it ignores `exports`, so `runner-ts/testing`
    // is found through package.json's typesVersions.
    type: "commonjs",
    // TypeScript 6 deprecates node10 resolution and asks for this to allow it.
    compilerOptions: { module: "commonjs", moduleResolution: "node10", ignoreDeprecations: "6.0" },
  },
] as const;

let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runner-api-types-"));
  const pkgDir = join(dir, "node_modules", "runner-ts");
  const build = await tsc(["-p", "tsconfig.build.json", "--outDir", join(pkgDir, "dist")], repoRoot);
  expect(build.status, `tsc -p tsconfig.build.json failed:\n${build.output}`).toBe(0);
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Record<string, unknown>;
  const published = Object.fromEntries(TYPE_FIELDS.filter((key) => key in pkg).map((key) => [key, pkg[key]]));
  writeFileSync(join(pkgDir, "package.json"), JSON.stringify(published, null, 2));
  for (const consumer of CONSUMERS) {
    const project = join(dir, consumer.name);
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: `consumer-${consumer.name}`, type: consumer.type }),
    );
    const compilerOptions = {
      ...consumer.compilerOptions,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: "ES2022",
      // AbortSignal (ctx.signal) from the DOM library, as TypeScript's default lib has it,
      // rather than from @types/node: with skipLibCheck off tsc would check all of
      // @types/node, several times the work of the rest. runner's declarations need no Node
      // types; if they ever name one (NodeJS.*), this check fails, as a consumer without
      // @types/node would. TypeScript's own lib files are not what is being checked.
      lib: ["ES2022", "DOM"],
      types: [],
      skipDefaultLibCheck: true,
    };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["tasks.ts"] }, null, 2));
    writeFileSync(join(project, "tasks.ts"), TASKS_TS);
  }
}, TIMEOUT);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe.concurrent("a consumer project type-checks against the built declarations", () => {
  for (const consumer of CONSUMERS) {
    const { module, moduleResolution } = consumer.compilerOptions;
    it(
      `module ${module}, moduleResolution ${moduleResolution} (${consumer.type})`,
      async () => {
        const check = await tsc(["-p", "."], join(dir, consumer.name));
        expect(check.status, `tsc (${consumer.name}) failed:\n${check.output}`).toBe(0);
      },
      TIMEOUT,
    );
  }
});
