// The types a tasks file sees (SPEC §1): `opts` in `run(ctx, opts)` is typed from the
// declared options. Checked by vitest's typecheck mode and by `tsc --noEmit -p .`; every
// `@ts-expect-error` line is a wrong use that must not compile.
import { describe, expectTypeOf, it } from "vitest";
import {
  task,
  type Context,
  type OptionValues,
  type Result,
  type TaskDefinition,
  type TaskRef,
  type AnyTaskDefinition,
  type GroupDefinition,
  type OptionsInput,
} from "runner-ts";
import { mockContext, type MockContext, type MockTaskCall } from "runner-ts/testing";

describe("opts is typed from the option declarations", () => {
  it("gives the SPEC's build task its exact opts type", () => {
    task({
      options: {
        target: { type: "string", choices: ["es2022", "esnext"], default: "es2022", help: "language level" },
        jobs: { type: "number", default: 4, short: "j" },
        watch: { type: "boolean", default: false },
        entry: { type: "string", positional: true, required: true },
        define: { type: "string", multiple: true },
      },
      run(_ctx, opts) {
        expectTypeOf(opts).toEqualTypeOf<{
          readonly target: "es2022" | "esnext";
          readonly jobs: number;
          readonly watch: boolean;
          readonly entry: string;
          readonly define: string[];
        }>();
      },
    });
  });

  it("string with choices → the union of the choices; without → string", () => {
    task({
      options: {
        target: { type: "string", choices: ["es2022", "esnext"], default: "esnext" },
        name: { type: "string", default: "x" },
      },
      run(_ctx, opts) {
        expectTypeOf(opts.target).toEqualTypeOf<"es2022" | "esnext">();
        expectTypeOf(opts.name).toEqualTypeOf<string>();
        // @ts-expect-error a string option is not a number
        const n: number = opts.target;
        // @ts-expect-error "es5" is not one of the choices
        const es5: typeof opts.target = "es5";
        void n;
        void es5;
      },
    });
  });

  it("number → number, number with choices → the union of those numbers", () => {
    task({
      options: { jobs: { type: "number", default: 1 }, level: { type: "number", choices: [1, 2, 3], default: 1 } },
      run(_ctx, opts) {
        expectTypeOf(opts.jobs).toEqualTypeOf<number>();
        expectTypeOf(opts.level).toEqualTypeOf<1 | 2 | 3>();
        // @ts-expect-error a number option is not a string
        const s: string = opts.jobs;
        void s;
      },
    });
  });

  it("boolean → boolean, always set (false unless given)", () => {
    task({
      options: { watch: { type: "boolean" }, force: { type: "boolean", default: true } },
      run(_ctx, opts) {
        expectTypeOf(opts.watch).toEqualTypeOf<boolean>();
        expectTypeOf(opts.force).toEqualTypeOf<boolean>();
        expectTypeOf(opts).toEqualTypeOf<{ readonly watch: boolean; readonly force: boolean }>();
      },
    });
  });

  it("count → number, always set (0 unless given); secret does not change the type", () => {
    task({
      options: {
        verbose: { type: "count", short: "v" },
        level: { type: "count", default: 1 },
        token: { type: "string", secret: true },
      },
      run(_ctx, opts) {
        expectTypeOf(opts.verbose).toEqualTypeOf<number>();
        expectTypeOf(opts).toEqualTypeOf<{
          readonly verbose: number;
          readonly level: number;
          readonly token?: string;
        }>();
      },
    });
  });

  it("multiple → an array, always set (empty unless given); positional multiple too", () => {
    task({
      options: {
        define: { type: "string", multiple: true },
        port: { type: "number", multiple: true },
        mode: { type: "string", choices: ["a", "b"], multiple: true },
        files: { type: "string", positional: true, multiple: true },
      },
      run(_ctx, opts) {
        expectTypeOf(opts.define).toEqualTypeOf<string[]>();
        expectTypeOf(opts.port).toEqualTypeOf<number[]>();
        expectTypeOf(opts.mode).toEqualTypeOf<("a" | "b")[]>();
        expectTypeOf(opts.files).toEqualTypeOf<string[]>();
        // @ts-expect-error a multiple option is a list, not one string
        const one: string = opts.define;
        void one;
      },
    });
  });

  it("required or default → present; otherwise optional (may be undefined)", () => {
    task({
      options: {
        entry: { type: "string", positional: true, required: true },
        out: { type: "string", default: "dist" },
        tag: { type: "string" },
        retries: { type: "number" },
        env: { type: "string", choices: ["dev", "prod"] },
      },
      run(_ctx, opts) {
        expectTypeOf(opts.entry).toEqualTypeOf<string>();
        expectTypeOf(opts.out).toEqualTypeOf<string>();
        expectTypeOf(opts.tag).toEqualTypeOf<string | undefined>();
        expectTypeOf(opts.retries).toEqualTypeOf<number | undefined>();
        expectTypeOf(opts.env).toEqualTypeOf<"dev" | "prod" | undefined>();
        expectTypeOf(opts).toEqualTypeOf<{
          readonly entry: string;
          readonly out: string;
          readonly tag?: string;
          readonly retries?: number;
          readonly env?: "dev" | "prod";
        }>();
        // @ts-expect-error an optional option may be undefined
        const tag: string = opts.tag;
        // @ts-expect-error an optional number may be undefined
        const retries: number = opts.retries;
        void tag;
        void retries;
      },
    });
  });

  it("opts is read-only, and has no options that were not declared", () => {
    task({
      options: { target: { type: "string", default: "x" } },
      run(_ctx, opts) {
        // @ts-expect-error opts is read-only
        opts.target = "y";
        // @ts-expect-error "tagret" is not a declared option
        void opts.tagret;
      },
    });
    task({
      run(_ctx, opts) {
        expectTypeOf(opts).toEqualTypeOf<{}>(); // eslint-disable-line @typescript-eslint/no-empty-object-type
        // @ts-expect-error a task without options has none
        void opts.anything;
      },
    });
  });

  it("OptionValues gives the same type outside run", () => {
    type Specs = {
      readonly target: { readonly type: "string"; readonly choices: readonly ["a", "b"] };
      readonly n: { readonly type: "number"; readonly default: 1 };
    };
    expectTypeOf<OptionValues<Specs>>().toEqualTypeOf<{ readonly n: number; readonly target?: "a" | "b" }>();
  });
});

describe("declarations that must not compile", () => {
  it("rejects an unknown option type and wrongly typed fields", () => {
    task({
      options: {
        // @ts-expect-error "text" is not an option type
        target: { type: "text" },
      },
      run() {},
    });
    task({
      options: {
        // @ts-expect-error multiple must be a boolean
        define: { type: "string", multiple: "yes" },
      },
      run() {},
    });
    // @ts-expect-error a task needs run (or, as a group, deps)
    task({ description: "no run" });
  });
});

describe("the task definition and ctx", () => {
  it("keeps the options type on the definition, so tests call run with typed opts", () => {
    const build = task({
      options: {
        target: { type: "string", choices: ["a", "b"], default: "a" },
        files: { type: "string", multiple: true },
      },
      run: async (ctx, opts) => {
        await ctx.run(`tsc --target ${opts.target} ${opts.files.join(" ")}`);
      },
    });
    expectTypeOf(build).toEqualTypeOf<TaskDefinition<typeof build.options & {}, Promise<void>>>();
    expectTypeOf(build).toExtend<AnyTaskDefinition>();
    const ctx = mockContext();
    void build.run(ctx, { target: "b", files: [] });
    // @ts-expect-error "c" is not one of target's choices
    void build.run(ctx, { target: "c", files: [] });
    // @ts-expect-error files is always set, so it is required
    void build.run(ctx, { target: "a" });
  });

  it("accepts task()s and plain functions as deps", () => {
    const clean = task({ run: (ctx) => ctx.run("rm -rf dist") });
    function lint(ctx: Context) {
      return ctx.run("eslint .");
    }
    const all = task({ deps: [clean, lint], run() {} });
    expectTypeOf(all.deps).toEqualTypeOf<readonly TaskRef[] | undefined>();
    // @ts-expect-error a dep is a task, not a name
    task({ deps: [clean, "lint"], run() {} });
  });

  it("types ctx.run and a mock context like the real one", () => {
    expectTypeOf<Context["run"]>().returns.resolves.toEqualTypeOf<Result>();
    expectTypeOf<MockContext>().toExtend<Context>();
    expectTypeOf<MockContext["commands"]>().toEqualTypeOf<string[]>();
    const ctx = mockContext({ a: "b" });
    // @ts-expect-error run takes a command string, not an argument list
    void ctx.run(["git", "status"]);
    // @ts-expect-error hide is a boolean or a stream name
    void ctx.run("ls", { hide: "all" });
  });

  it("types ctx.dryRun, ctx.invocationDir and ctx.defer", () => {
    expectTypeOf<Context["dryRun"]>().toEqualTypeOf<boolean>();
    expectTypeOf<Context["invocationDir"]>().toEqualTypeOf<string>();
    const ctx = mockContext();
    ctx.defer(() => ctx.run("docker rm -f db"));
    ctx.defer(() => {});
    // @ts-expect-error defer takes a function, not a command
    ctx.defer("docker rm -f db");
    expectTypeOf(ctx.runDeferred()).toEqualTypeOf<Promise<void>>();
  });
});

describe("composing tasks (SPEC §1)", () => {
  const clean = task({ run: () => {} });
  const build = task({
    options: {
      target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
      entry: { type: "string", required: true },
      jobs: { type: "number", default: 4 },
    },
    run: (_ctx, opts) => `dist/${opts.entry}`,
  });

  it("types a dep's options against the dep's declarations", () => {
    task({ deps: [clean, [build, { target: "esnext", entry: "a.ts" }]], run() {} });
    task({ post: [[build, { entry: "a.ts", jobs: 2 }]], run() {} });
    // @ts-expect-error "es5" is not one of target's choices
    task({ deps: [[build, { target: "es5", entry: "a.ts" }]], run() {} });
    // @ts-expect-error jobs is a number
    task({ deps: [[build, { jobs: "2", entry: "a.ts" }]], run() {} });
    // @ts-expect-error tagret is no option of build
    task({ deps: [[build, { tagret: "esnext", entry: "a.ts" }]], run() {} });
    // @ts-expect-error entry is required and has no default, so a dep must give it
    task({ deps: [[build, { target: "esnext" }]], run() {} });
    expectTypeOf<OptionsInput<NonNullable<typeof build.options>>>().toEqualTypeOf<{
      readonly entry: string;
      readonly target?: "es2022" | "esnext";
      readonly jobs?: number;
    }>();
  });

  it("makes a task with deps and no run a group, which takes no options", () => {
    const ci = task({ deps: [clean, build], parallel: true, post: [clean], name: "ci" });
    expectTypeOf(ci).toEqualTypeOf<GroupDefinition>();
    expectTypeOf(ci).toExtend<AnyTaskDefinition>();
    task({ deps: [ci], run() {} });
    // @ts-expect-error a group has no options (it has no run to give them to)
    task({ deps: [clean], options: { a: { type: "number" } } });
    // @ts-expect-error parallel is a boolean
    task({ deps: [clean], parallel: "yes" });
  });

  it("types ctx.call: partial options, and what the task's run returns", () => {
    task({
      async run(ctx) {
        const out = await ctx.call(build, { target: "esnext", entry: "a.ts" });
        expectTypeOf(out).toEqualTypeOf<string>();
        expectTypeOf(ctx.call(clean)).resolves.toBeVoid();
        expectTypeOf(await ctx.call(() => 42)).toEqualTypeOf<number>();
        await ctx.call(build, {});
        // @ts-expect-error "es5" is not one of target's choices
        await ctx.call(build, { target: "es5" });
        // @ts-expect-error tagret is no option of build
        await ctx.call(build, { tagret: "esnext" });
        // @ts-expect-error a group has no run to call
        await ctx.call(task({ deps: [clean] }));
      },
    });
  });

  it("gives mockContext a typed call and a record of calls", () => {
    const ctx = mockContext({}, { runCalls: true });
    expectTypeOf(ctx.called).toEqualTypeOf<MockTaskCall[]>();
    expectTypeOf(ctx.call(build, { entry: "a.ts" })).resolves.toEqualTypeOf<string>();
  });
});
