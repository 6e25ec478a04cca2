// This project's own tasks, run by runner itself: `npm test` is `runner -p lint typecheck test`.
import { task } from "runner-ts";

/** Print the local time */
export function mytime() {
  console.log("Local time is", new Date().toString());
}

/**
 * Build dist/ from src/ (esbuild bundle plus type declarations)
 *
 * `npm install` runs the same build through the prepare script.
 */
export const build = task({
  options: {
    types: { type: "boolean", default: true, help: "also emit .d.ts declarations" },
  },
  // A child process: the build must not see the runner that is running (its dist/runner.cjs
  // is loaded already), and tsc must not freeze runner's event loop.
  run: (ctx, opts) => ctx.exec(process.execPath, ["tasks/bundle.mjs", ...(opts.types ? ["--types"] : [])]),
});

/** Check formatting (prettier) and lint (eslint, type-aware) */
export const lint = task({
  async run(ctx) {
    await ctx.run("./node_modules/.bin/prettier --check --log-level warn .");
    await ctx.run("./node_modules/.bin/eslint --max-warnings 0 .");
  },
});

/** Type-check everything with tsc (strict, noUncheckedIndexedAccess) */
export const typecheck = task({
  run: (ctx) => ctx.run("./node_modules/.bin/tsc --noEmit -p ."),
});

/**
 * Run the test suite (vitest)
 *
 * The tests build the current src/ for themselves (test/global-setup.ts): no `build` first.
 */
export const test = task({
  options: {
    file: { type: "string", positional: true, multiple: true, help: "only these test files" },
  },
  run: (ctx, opts) => ctx.exec("./node_modules/.bin/vitest", ["run", ...opts.file]),
});

/** Format the code with prettier */
export const format = task({
  run: (ctx) => ctx.run("./node_modules/.bin/prettier --write --log-level warn ."),
});

/** Everything CI checks: lint, typecheck, test */
export const check = task({
  deps: [lint, typecheck, test],
  run: () => {},
});

/** Benchmark runner against its peers (SPEC §9); writes bench/RESULTS.md */
export const bench = task({
  options: {
    quick: { type: "boolean", default: false, help: "fewer runs, skip the slowest peers, 100 MB instead of 1 GB" },
    node: { type: "string", help: "run runner and the Node-based peers under this Node binary" },
    append: { type: "boolean", default: false, help: "add a section to bench/RESULTS.md instead of replacing it" },
  },
  run: (ctx, opts) =>
    ctx.exec(process.execPath, [
      "bench/run.mjs",
      ...(opts.quick ? ["--quick"] : []),
      ...(opts.node ? ["--node", opts.node] : []),
      ...(opts.append ? ["--append"] : []),
    ]),
});
