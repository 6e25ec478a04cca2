// Composing tasks (SPEC §1 "Composing tasks"): group tasks, names for unexported deps, deps
// with options, `parallel: true`, `post`, `ctx.call`, global aliases of namespaced tasks and
// the suggestion of a namespaced task. Runs go through the real CLI; what is only text
// (lists, plans, load errors) runs in process.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { task } from "runner";
import { mockContext } from "runner/testing";
import { normalize, project, runRunner } from "./helpers.ts";
import { waitUntilGone } from "./process-helpers.ts";
import { runInProcess } from "./world.ts";

/** The summary: the lines after the last blank line of stderr. */
function summary(stderr: string): string {
  const text = normalize(stderr);
  return text.slice(text.lastIndexOf("\n\n") + 2);
}

describe("group tasks", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner";
export const lint = task({ run: (ctx) => ctx.log("lint ran") });
export const test = task({ run: (ctx) => ctx.log("test ran") });
/** Everything CI checks */
export const ci = task({ deps: [lint, test] });
`,
  });

  it("runs its deps, passes itself, and keeps a line in the summary", async () => {
    const run = await runRunner(["ci"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("lint ran\ntest ran\n");
    expect(summary(run.stderr)).toBe(
      "  ✔ lint  passed <time>\n  ✔ test  passed <time>\n  ✔ ci    passed <time>\n3 tasks: 3 passed in <time>\n",
    );
  });

  it("is listed with its deps", async () => {
    const run = await runInProcess(["--list"], { cwd: dir });
    expect(run.stdout).toContain("  ci      Everything CI checks (deps: lint, test)\n");
  });

  it("with neither run nor deps is a load error", async () => {
    const bad = project({ "tasks.ts": `import { task } from "runner";\nexport const x = task({} as never);\n` });
    const run = await runInProcess(["x"], { cwd: bad });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tasks.ts: task "x" has no run function (and no deps, so it is no group either).\n');
  });
});

describe("names of tasks that are not exported", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner";
const tsc = task({ run: (ctx) => ctx.log("tsc ran") });
const lint = () => console.log("lint ran");
function generator(n: number) {
  return task({ name: \`gen-\${n}\`, run: (ctx) => ctx.log("gen", n) });
}
function unnamed() {
  return task({ run: (ctx) => ctx.log("unnamed ran") });
}
export const build = task({ deps: [tsc, lint, generator(1), unnamed()], run: (ctx) => ctx.log("build ran") });
`,
  });

  it("takes its variable's name, its own `name`, or <task>.dep-N — never x[dep 2]", async () => {
    const run = await runInProcess(["--plan", "build"], { cwd: dir });
    expect(run.stdout).toBe("1. tsc\n2. lint\n3. gen-1\n4. build.dep-4\n5. build\n");
  });

  it("runs by that name", async () => {
    const run = await runRunner(["tsc", "gen-1"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("tsc ran\ngen 1\n");
    expect(summary(run.stderr)).toContain("  ✔ gen-1  passed");
  });

  it("a `name` another task has is a load error", async () => {
    const bad = project({
      "tasks.ts": `import { task } from "runner";
export const build = task({ deps: [task({ name: "build", run() {} })], run() {} });
`,
    });
    const run = await runInProcess(["build"], { cwd: bad });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tasks.ts: duplicate task name "build" (export "build" and a task listed by "build").\n');
  });
});

describe("deps with options", () => {
  const BUILD = `import { task } from "runner";
export const build = task({
  options: {
    target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
    minify: { type: "boolean", default: false },
  },
  run: (ctx, opts) => ctx.log("build", opts.target, opts.minify),
});
`;
  const dir = project({
    "tasks.ts": `${BUILD}export const all = task({ deps: [build, [build, { target: "esnext", minify: true }], build], run: (ctx) => ctx.log("all ran") });\n`,
  });

  it("run with those options, once per task and options", async () => {
    const run = await runRunner(["all"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("build es2022 false\nbuild esnext true\nall ran\n");
    expect(summary(run.stderr)).toBe(
      [
        "  ✔ build                           passed <time>",
        "  ✔ build --target esnext --minify  passed <time>",
        "  ✔ all                             passed <time>",
        "3 tasks: 3 passed in <time>",
        "",
      ].join("\n"),
    );
  });

  it("show their options in --list, --list --json, --help, --plan and --plan --json", async () => {
    const list = await runInProcess(["--list"], { cwd: dir });
    expect(list.stdout).toContain("  all      (deps: build, build --target esnext --minify, build)\n");
    const json = JSON.parse((await runInProcess(["--list", "--json"], { cwd: dir })).stdout);
    expect(json.tasks[0]).toMatchObject({
      name: "all",
      deps: ["build", "build", "build"],
      depOptions: [{}, { target: "esnext", minify: true }, {}],
    });
    const help = await runInProcess(["--help", "all"], { cwd: dir });
    expect(help.stdout).toContain("Runs first: build, build --target esnext --minify, build\n");
    const plan = await runInProcess(["--plan", "all"], { cwd: dir });
    expect(plan.stdout).toBe("1. build\n2. build --target esnext --minify\n3. all\n");
    const planJson = JSON.parse((await runInProcess(["--plan", "--json", "all"], { cwd: dir })).stdout);
    expect(planJson.steps).toEqual([
      { name: "build", options: { target: "es2022", minify: false }, args: [], rest: [], deps: [] },
      { name: "build", options: { target: "esnext", minify: true }, args: [], rest: [], deps: [] },
      { name: "all", options: {}, args: [], rest: [], deps: [0, 1, 0] },
    ]);
  });

  it.each([
    [`[build, { target: "es5" }]`, `an invalid value "es5" for --target: expected one of es2022, esnext.`],
    [`[build, { minify: "yes" }]`, `an invalid value "yes" for --minify: expected a boolean.`],
    [`[build, { tagret: "esnext" }]`, `an unknown option "tagret". Did you mean "target"?`],
  ])("a wrong value is a one-line load error: %s", async (dep, message) => {
    const bad = project({ "tasks.ts": `${BUILD}export const all = task({ deps: [${dep} as never], run() {} });\n` });
    const run = await runInProcess(["--list"], { cwd: bad });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`tasks.ts: task "all" gives "build" ${message}\n`);
  });
});

describe("parallel: true", () => {
  // Each waits for the other's file: they can only both pass when they run at the same time.
  const meet = (mine: string, other: string): string =>
    `(ctx) => ctx.run("touch ${mine}; i=0; until [ -e ${other} ]; do i=$((i+1)); if [ $i -gt 100 ]; then exit 7; fi; sleep 0.1; done")`;
  const dir = project({
    "tasks.ts": `import { task } from "runner";
export const a = task({ run: ${meet("a.started", "b.started")} });
export const b = task({ run: ${meet("b.started", "a.started")} });
export const both = task({ parallel: true, deps: [a, b], run: (ctx) => ctx.log("both ran") });
export const after = () => console.log("after ran");
`,
  });

  it("runs the task's own deps at once without -p, and the rest in order", async () => {
    const run = await runRunner(["both", "after", "--output", "interleaved"], { cwd: dir });
    expect(run.stderr).not.toContain("✖");
    expect(run.code).toBe(0);
    expect(run.stdout.indexOf("both ran")).toBeLessThan(run.stdout.indexOf("after ran"));
  });

  it("--plan says which steps run at once", async () => {
    const run = await runInProcess(["--plan", "both"], { cwd: dir });
    expect(run.stdout).toBe("1. a (at once with 2)\n2. b (at once with 1)\n3. both\n");
  });
});

describe("post tasks", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner";
export const notify = task({ run: (ctx) => ctx.log("notify ran") });
export const failing = task({ post: [notify], run: (ctx) => ctx.run("exit 3") });
export const passing = task({ post: [notify], run: (ctx) => ctx.log("passing ran") });
export const badNotify = task({ run: (ctx) => ctx.run("exit 5") });
export const shipped = task({ post: [badNotify], run: (ctx) => ctx.log("shipped ran") });
export const deploy = task({ deps: [failing], run: (ctx) => ctx.log("deploy ran") });
`,
  });

  it("runs after a task that failed, and the run keeps the task's exit status", async () => {
    const run = await runRunner(["failing"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("notify ran\n");
    expect(summary(run.stderr)).toContain("  ✖ failing  failed (exit 3)");
    expect(summary(run.stderr)).toContain("  ✔ notify   passed");
  });

  it("still runs when a dependent is skipped after the failure (fail-fast)", async () => {
    const run = await runRunner(["deploy"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("notify ran\n");
    expect(summary(run.stderr)).toMatch(/✔ notify +passed/);
    expect(summary(run.stderr)).toMatch(/○ deploy +skipped/);
  });

  it("runs once however many tasks name it", async () => {
    const run = await runRunner(["passing", "failing", "-k"], { cwd: dir });
    expect(run.stdout).toBe("passing ran\nnotify ran\n");
    expect(run.code).toBe(3);
  });

  it("fails the run when it fails itself", async () => {
    const run = await runRunner(["shipped"], { cwd: dir });
    expect(run.stdout).toBe("shipped ran\n");
    expect(run.code).toBe(5);
  });

  it("shows in --plan and --list", async () => {
    const plan = await runInProcess(["--plan", "passing"], { cwd: dir });
    expect(plan.stdout).toBe("1. passing\n2. notify (after 1, passed or not)\n");
    const json = JSON.parse((await runInProcess(["--plan", "--json", "passing"], { cwd: dir })).stdout);
    expect(json.steps[1]).toEqual({ name: "notify", options: {}, args: [], rest: [], deps: [], after: [0] });
    const list = await runInProcess(["--list"], { cwd: dir });
    expect(list.stdout).toMatch(/ {2}passing +\(post: notify\)\n/);
  });

  it("a cycle through post tasks is a load error", async () => {
    const cyclic = project({
      "tasks.ts": `import { task } from "runner";
const later: unknown[] = [];
export const a = task({ post: later as never, run() {} });
export const b = task({ deps: [a], run() {} });
later.push(b);
`,
    });
    const cycle = await runInProcess(["--list"], { cwd: cyclic });
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toBe("tasks.ts: Dependency cycle: a → b → a\n");
  });
});

describe("ctx.call", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner";
export const build = task({
  options: {
    target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
    minify: { type: "boolean", default: true },
  },
  run: (ctx, opts) => {
    ctx.log("build", opts.target, opts.minify);
    return \`dist-\${opts.target}\`;
  },
});
export const release = task({
  run: async (ctx) => {
    const out = await ctx.call(build, { target: "esnext" });
    ctx.log("release got", out);
  },
});
const broken = task({ run: (ctx) => ctx.run("exit 4") });
export const tryBroken = task({
  run: async (ctx) => {
    await ctx.call(broken);
    ctx.log("not reached");
  },
});
export const badValue = task({ run: (ctx) => ctx.call(build, { target: "es5" } as never) });
`,
  });

  it("runs the task now with its defaults filled in, with its own header and result, and returns its value", async () => {
    const run = await runRunner(["release"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("build esnext true\nrelease got dist-esnext\n");
    expect(normalize(run.stderr)).toContain("▶ build --target esnext\n✔ build --target esnext <time>\n");
    expect(summary(run.stderr)).toBe(
      "  ✔ build --target esnext  passed <time>\n  ✔ release                passed <time>\n2 tasks: 2 passed in <time>\n",
    );
  });

  it("fails the caller with the called task's error and exit status", async () => {
    const run = await runRunner(["try-broken"], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stdout).not.toContain("not reached");
    expect(summary(run.stderr)).toMatch(/✖ broken +failed \(exit 4\)/);
    expect(summary(run.stderr)).toMatch(/✖ try-broken +failed \(exit 4\)/);
  });

  it("checks the values it is given as a dep's are", async () => {
    const run = await runRunner(["bad-value"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'ctx.call in task "bad-value" gives "build" an invalid value "es5" for --target: expected one of es2022, esnext.',
    );
  });

  it("stops the called task when its caller's time limit passes", async () => {
    const slow = project({
      "tasks.ts": `import { task } from "runner";
const sleeper = task({ run: (ctx) => ctx.run("echo $$ > pid; exec sleep 30") });
export const caller = task({ timeout: "1s", run: (ctx) => ctx.call(sleeper) });
`,
    });
    const run = await runRunner(["caller"], { cwd: slow });
    expect(run.code).toBe(124);
    expect(summary(run.stderr)).toMatch(/caller +timed out/);
    const pid = Number(readFileSync(join(slow, "pid"), "utf8"));
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it("and group tasks have their entries in --report", async () => {
    const both = project({
      "tasks.ts": `import { task } from "runner";
export const build = task({ run: (ctx) => ctx.run("true") });
export const release = task({ run: (ctx) => ctx.call(build) });
export const ci = task({ deps: [release] });
`,
    });
    const run = await runRunner(["ci", "--report", "report.json"], { cwd: both });
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(both, "report.json"), "utf8"));
    const tasks = report.tasks.map((t: { name: string; status: string; commands: unknown[] }) => [
      t.name,
      t.status,
      t.commands.length,
    ]);
    expect(tasks).toEqual([
      ["build", "passed", 1],
      ["release", "passed", 0],
      ["ci", "passed", 0],
    ]);
  });

  it("mockContext records calls, and runs them with defaults when asked", async () => {
    const build = task({
      options: { target: { type: "string", default: "es2022" }, minify: { type: "boolean", default: true } },
      run: async (ctx, opts) => {
        await ctx.run(`tsc --target ${opts.target}${opts.minify ? " --minify" : ""}`);
        return opts.target;
      },
    });
    const release = task({ run: (ctx) => ctx.call(build, { target: "esnext" }) });
    const recorded = mockContext();
    await release.run(recorded, {});
    expect(recorded.called).toEqual([{ task: build, options: { target: "esnext" } }]);
    expect(recorded.commands).toEqual([]);
    const ran = mockContext({ "tsc --target esnext --minify": "" }, { runCalls: true });
    expect(await release.run(ran, {})).toBe("esnext");
    expect(ran.commands).toEqual(["tsc --target esnext --minify"]);
  });
});

describe("global aliases of namespaced tasks", () => {
  it("make `runner gen` run generate.mocks where no other task has that name", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
export const generate = { mocks: task({ aliases: ["gen"], run: (ctx) => ctx.log("mocks ran") }) };
`,
    });
    const run = await runRunner(["gen"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("mocks ran\n");
    expect((await runInProcess(["generate.gen"], { cwd: dir })).code).toBe(0);
    expect((await runInProcess(["--list"], { cwd: dir })).stdout).toContain("  generate.mocks, gen\n");
  });

  it("leave the name to a top-level task that has it, and to no one when two namespaces share it", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
export const gen = () => console.log("top-level gen ran");
export const generate = { mocks: task({ aliases: ["gen"], run: (ctx) => ctx.log("mocks ran") }) };
export const a = { build: task({ aliases: ["b"], run() {} }) };
export const c = { build: task({ aliases: ["b"], run() {} }) };
`,
    });
    const top = await runRunner(["gen"], { cwd: dir });
    expect(top.stdout).toBe("top-level gen ran\n");
    const shared = await runInProcess(["b"], { cwd: dir });
    expect(shared.code).toBe(2);
    expect(shared.stderr).toBe('Unknown task "b". Did you mean one of "a.b", "c.b"?\n');
    expect(existsSync(join(dir, "nothing"))).toBe(false);
  });
});

describe("a task that exists only in a namespace", () => {
  it("is suggested for its short name", async () => {
    const dir = project({
      "tasks.ts": `export const docs = { build: () => {}, serve: () => {} };\nexport function lint(): void {}\n`,
    });
    const run = await runRunner(["build"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('Unknown task "build". Did you mean "docs.build"?\n');
  });
});
