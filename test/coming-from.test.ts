// The README's "Coming from invoke / just / go-task / npm-run-all": each tool's common idioms,
// ported to one tasks file per tool, run through the real CLI. A row of those tables that
// stops working fails here.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";

// Each waits for the other to have started: only tasks run at once can finish.
const MEET = `const meet = (me: string, other: string) =>
  task({ timeout: "10s", run: (ctx) => ctx.run(\`touch \${me}.up; while [ ! -f \${other}.up ]; do sleep 0.02; done\`) });
export const lint = meet("lint", "test");
export const test = meet("test", "lint");
`;

describe("coming from invoke", () => {
  const TASKS = `import { task } from "runner-ts";
import type { Context } from "runner-ts";

/** Remove build output */
export const clean = task({ run: (ctx) => (ctx.dryRun ? ctx.log("would remove dist") : ctx.run("rm -rf dist")) });
export const notify = task({ run: (ctx: Context) => ctx.log("notified") });
/** Compile */
export const build = task({
  deps: [clean],
  post: [notify],
  options: {
    target: { type: "string", default: "es2022", help: "language level" },
    verbose: { type: "count", short: "v" },
  },
  run: (ctx, opts) => ctx.run(\`mkdir -p dist && echo \${opts.target} \${opts.verbose} > dist/out\`, { echo: true }),
});
export const release = task({ deps: [[build, { target: "esnext" }]], run: (ctx) => ctx.run("cat dist/out") });
export const exit3 = task({ run() { throw Object.assign(new Error("not today"), { exitCode: 3 }); } });
export const login = task({
  run: (ctx) => ctx.run("printf 'Password: '; read p; echo got $p", { responders: [{ pattern: /Password:/, response: "pw\\n" }] }),
});
export const docs = { build: task({ run: (ctx) => ctx.run("pwd", { cwd: "site" }) }) };
`;

  it("pre/post, typed and incrementable options, call() in pre, Exit, responders, cd, collections, --dry", async () => {
    const dir = project({ "tasks.ts": TASKS });
    mkdirSync(join(dir, "site"));

    const build = await runRunner(["build", "-vvv", "--target", "es2020"], { cwd: dir });
    expect(build.code, build.stderr).toBe(0);
    expect(readFileSync(join(dir, "dist", "out"), "utf8")).toBe("es2020 3\n");
    expect(build.stdout + build.stderr).toContain("notified");

    const release = await runRunner(["release"], { cwd: dir });
    expect([release.code, release.stdout]).toEqual([0, expect.stringContaining("esnext 0\n")]);

    expect((await runRunner(["exit3"], { cwd: dir })).code).toBe(3);
    expect((await runRunner(["login"], { cwd: dir })).stdout).toContain("got pw\n");
    expect((await runRunner(["docs.build"], { cwd: dir })).stdout).toContain(`${join(dir, "site")}\n`);

    const dry = await runRunner(["-n", "clean"], { cwd: dir });
    expect([dry.code, existsSync(join(dir, "dist", "out"))]).toEqual([0, true]);
    expect(dry.stdout + dry.stderr).toContain("would remove dist");
  });
});

describe("coming from just", () => {
  const TASKS = `import { task } from "runner-ts";
${MEET}
/** Both at once */
export const ci = task({ deps: [lint, test], parallel: true });
export const greet = task({
  aliases: ["hi"],
  options: { who: { type: "string", positional: true, default: "world" } },
  run: (ctx, opts) => ctx.log(\`hello \${opts.who} \${ctx.rest.join(" ")}\`.trim()),
});
export const where = task({ run: (ctx) => ctx.log(\`from \${ctx.invocationDir} in \${process.cwd()}\`) });
export const secret = task({ run: (ctx) => ctx.log(\`token=\${process.env.TOKEN ?? "unset"}\`) });
export const _helper = task({ run() {} });
`;

  it("[parallel] deps, a positional with a default, rest args, aliases, private, dotenv, invocation_directory()", async () => {
    const dir = project({ "tasks.ts": TASKS, ".env": "TOKEN=from-dotenv\n", ".runnerrc.json": `{ "dotenv": ".env" }` });
    mkdirSync(join(dir, "sub"));

    const ci = await runRunner(["ci"], { cwd: dir });
    expect([ci.code, ci.stderr]).toEqual([0, expect.stringContaining("3 tasks: 3 passed")]);

    expect((await runRunner(["hi"], { cwd: dir })).stdout).toContain("hello world");
    expect((await runRunner(["greet", "you", "--", "and", "more"], { cwd: dir })).stdout).toContain(
      "hello you and more",
    );

    const where = await runRunner(["where"], { cwd: join(dir, "sub") });
    expect(where.stdout).toContain(`from ${join(dir, "sub")} in ${dir}`);
    expect((await runRunner(["secret"], { cwd: dir })).stdout).toContain("token=from-dotenv");

    const list = await runRunner(["--list"], { cwd: dir });
    expect(list.stdout).toContain("greet, hi");
    expect(list.stdout).not.toContain("helper");
  });
});

describe("coming from go-task", () => {
  const TASKS = `import { task } from "runner-ts";
export const other = task({
  options: { x: { type: "string", default: "none" }, y: { type: "number", default: 1 } },
  run: (ctx, opts) => { ctx.log(\`other x=\${opts.x} y=\${opts.y}\`); return opts.x; },
});
export const caller = task({
  async run(ctx) {
    const got = await ctx.call(other, { x: "set" });
    ctx.log(\`returned \${String(got)}\`);
  },
});
export const tidy = task({
  async run(ctx) {
    ctx.defer(() => ctx.run("rm -f tmp.txt"));
    await ctx.run("touch tmp.txt");
    await ctx.run("exit 4", { warn: true, hide: true });
    await ctx.run("exit 5");
  },
});
export const deploy = task({
  options: { env: { type: "string", required: true } },
  run: (ctx, opts) => ctx.log(\`deploy \${opts.env} \${ctx.rest.join(" ")}\`),
});
`;

  it("task: with vars, defer:, ignore_error:, requires:, CLI_ARGS", async () => {
    const dir = project({ "tasks.ts": TASKS });

    const caller = await runRunner(["caller"], { cwd: dir });
    expect([caller.code, caller.stdout]).toEqual([0, expect.stringContaining("other x=set y=1")]);
    expect(caller.stdout).toContain("returned set");

    const tidy = await runRunner(["tidy"], { cwd: dir });
    expect([tidy.code, existsSync(join(dir, "tmp.txt"))]).toEqual([5, false]);

    const missing = await runRunner(["deploy"], { cwd: dir });
    expect([missing.code, missing.stderr.trim().split("\n").length]).toEqual([2, 1]);
    const deploy = await runRunner(["deploy", "--env", "prod", "--", "-x", "1"], { cwd: dir });
    expect(deploy.stdout).toContain("deploy prod -x 1");
  });
});

describe("coming from npm-run-all", () => {
  const TASKS = `import { task } from "runner-ts";
${MEET}
export const bad = task({ run: (ctx) => ctx.run("exit 7") });
export const good = task({ run: (ctx) => ctx.run("touch good.done") });
export const watch = { default: task({ deps: [lint, test], parallel: true }), lint, test };
`;

  it("run-p --max-parallel, run-p -c, a glob of scripts as a namespace group", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const capped = await runRunner(["-j2", "lint", "test"], { cwd: dir });
    expect(capped.code, capped.stderr).toBe(0);

    const keepGoing = await runRunner(["-p", "-k", "bad", "good"], { cwd: dir });
    expect([keepGoing.code, existsSync(join(dir, "good.done"))]).toEqual([7, true]);

    const group = await runRunner(["watch"], { cwd: project({ "tasks.ts": TASKS }) });
    expect(group.code, group.stderr).toBe(0);
  });
});
