// Core flags that change how a serial run behaves or what it prints (SPEC §2, §5):
// -e, -w, -n, --plan, colours, -q and -v.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const TASKS = `import { task } from "runner-ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
export const a = task({ run: (ctx) => ctx.run("echo a") });
export const b = task({
  deps: [a],
  run: async (ctx) => {
    writeFileSync(join(ctx.cwd, "ran-b"), "yes");
    const r = await ctx.run("touch made && echo made it");
    ctx.log("b got", JSON.stringify(r.stdout), r.ok);
  },
});
export const fails = task({
  run: async (ctx) => {
    await ctx.run("echo first; exit 9");
    await ctx.run("echo second");
  },
});
export const quietly = task({
  run: async (ctx) => {
    await ctx.run("echo shown");
    await ctx.run("echo not echoed", { echo: false });
  },
});
export const say = task({
  options: { word: { type: "string", default: "hi" } },
  run: (ctx, o) => ctx.log("say", o.word),
});
export function fn(ctx: { args: readonly string[] }) {
  console.log(ctx.args.join(","));
}
`;

const ESC = "\u001b[";

describe("-e, --echo", () => {
  const dir = project({ "tasks.ts": TASKS });

  it("prints each command before it runs", async () => {
    for (const flag of ["-e", "--echo"]) {
      const run = await runInProcess([flag, "b"], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('$ echo a\na\n$ touch made && echo made it\nmade it\nb got "made it\\n" true\n');
    }
  });

  it("leaves out a command that says echo: false", async () => {
    const run = await runInProcess(["-e", "quietly"], { cwd: dir });
    expect(run).toMatchObject({ code: 0, stdout: "$ echo shown\nshown\nnot echoed\n", stderr: "" });
  });

  it("prints nothing extra without the flag", async () => {
    const run = await runInProcess(["quietly"], { cwd: dir });
    expect(run).toMatchObject({ code: 0, stdout: "shown\nnot echoed\n", stderr: "" });
  });
});

describe("-w, --warn-only", () => {
  const dir = project({ "tasks.ts": TASKS });

  it("lets a task go on past a failing command, and pass", async () => {
    for (const flag of ["-w", "--warn-only"]) {
      const run = await runInProcess([flag, "fails"], { cwd: dir });
      expect(run).toMatchObject({ code: 0, stdout: "first\nsecond\n", stderr: "" });
    }
  });

  it("is needed: without it the first failing command fails the task", async () => {
    const run = await runInProcess(["fails"], { cwd: dir });
    expect(run.code).toBe(9);
    expect(run.stdout).toBe("first\n");
  });
});

describe("-n, --dry-run", () => {
  it("runs the task code but prints commands instead of running them", async () => {
    for (const flag of ["-n", "--dry-run"]) {
      const dir = project({ "tasks.ts": TASKS });
      const run = await runInProcess([flag, "b"], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('[dry-run] echo a\n[dry-run] touch made && echo made it\nb got "" true\n');
      expect(normalize(run.stderr)).toContain("\n2 tasks: 2 passed in <time>\n");
      expect(existsSync(join(dir, "ran-b"))).toBe(true);
      expect(existsSync(join(dir, "made"))).toBe(false);
    }
  });
});

describe("ctx.dryRun", () => {
  const CLEAN = `import { task } from "runner";
import { rmSync } from "node:fs";
export const clean = task({
  run: async (ctx) => {
    ctx.defer(() => ctx.run("rm -f cleanup-marker"));
    const r = await ctx.run("echo would-print; exit 7");
    ctx.log("dryRun", ctx.dryRun, "exitCode", r.exitCode, "stdout", JSON.stringify(r.stdout));
    if (!ctx.dryRun) rmSync("dist", { recursive: true, force: true });
  },
});
`;

  it("is true with -n, so task code can skip its own side effects; a command gives exit 0 and no output", async () => {
    const dir = project({ "tasks.ts": CLEAN, "dist/keep.js": "", "cleanup-marker": "" });
    const run = await runRunner(["-n", "clean"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      '[dry-run] echo would-print; exit 7\ndryRun true exitCode 0 stdout ""\n[dry-run] rm -f cleanup-marker\n',
    );
    expect(existsSync(join(dir, "dist", "keep.js"))).toBe(true);
    expect(existsSync(join(dir, "cleanup-marker"))).toBe(true);
  });

  it("is false without -n", async () => {
    const dir = project({ "tasks.ts": CLEAN.replace("; exit 7", ""), "dist/keep.js": "", "cleanup-marker": "" });
    const run = await runRunner(["clean"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('would-print\ndryRun false exitCode 0 stdout "would-print\\n"\n');
    expect(existsSync(join(dir, "dist"))).toBe(false);
    expect(existsSync(join(dir, "cleanup-marker"))).toBe(false);
  });
});

describe("--plan", () => {
  it("prints the order, deps first and deduped, and runs nothing", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["--plan", "b", "a", "say", "--word", "x", "say", "fn", "p", "q", "--", "r"], {
      cwd: dir,
    });
    expect(run).toMatchObject({
      code: 0,
      stdout: "1. a\n2. b\n3. say --word x\n4. say\n5. fn p q -- r\n",
      stderr: "",
    });
    expect(existsSync(join(dir, "ran-b"))).toBe(false);
    expect(existsSync(join(dir, "made"))).toBe(false);
  });

  it("prints the plan as JSON with --json", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const run = await runInProcess(["--plan", "--json", "b", "say", "--word", "x"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      steps: [
        { name: "a", options: {}, args: [], rest: [], deps: [] },
        { name: "b", options: {}, args: [], rest: [], deps: [0] },
        { name: "say", options: { word: "x" }, args: [], rest: [], deps: [] },
      ],
    });
    expect(existsSync(join(dir, "ran-b"))).toBe(false);
  });
});

describe("colours", () => {
  const dir = project({ "tasks.ts": TASKS });
  const colourRun = (args: readonly string[], env: Readonly<Record<string, string>> = {}) =>
    runInProcess([...args, "a", "fails"], { cwd: dir, env });

  it("are off when output is not a terminal and nothing forces them", async () => {
    const run = await colourRun([]);
    expect(run.code).toBe(9);
    expect(run.stderr).toContain("▶ a\n");
    expect(run.stderr).not.toContain(ESC);
  });

  it("are on with --color or FORCE_COLOR, in the runner's own lines", async () => {
    const plain = await colourRun([]);
    for (const [args, env] of [
      [["--color"], {}],
      [[], { FORCE_COLOR: "1" }],
      [["--color"], { NO_COLOR: "1" }],
    ] as const) {
      const run = await colourRun(args, env);
      expect(run.code).toBe(9);
      expect(run.stderr).toContain(ESC);
      expect(normalize(stripVTControlCharacters(run.stderr))).toBe(normalize(plain.stderr));
      // Task output is the task's own: not coloured by the runner.
      expect(run.stdout).toBe("a\nfirst\n");
    }
  });

  it("are off with --no-color, NO_COLOR or FORCE_COLOR=0", async () => {
    for (const [args, env] of [
      [["--no-color"], {}],
      [["--no-color"], { FORCE_COLOR: "1" }],
      [[], { NO_COLOR: "1" }],
      [[], { FORCE_COLOR: "0" }],
    ] as const) {
      const run = await colourRun(args, env);
      expect(run.code).toBe(9);
      expect(run.stderr).toContain("✖ fails: Command failed with exit code 9: echo first; exit 9\n");
      expect(run.stderr).not.toContain(ESC);
    }
  });
});

describe("-q, --quiet", () => {
  const dir = project({ "tasks.ts": TASKS });

  it("drops headers, status lines and the summary when all went well", async () => {
    for (const flag of ["-q", "--quiet"]) {
      const run = await runInProcess([flag, "b"], { cwd: dir });
      expect(run).toMatchObject({ code: 0, stdout: 'a\nmade it\nb got "made it\\n" true\n', stderr: "" });
    }
  });

  it("still says what failed", async () => {
    const run = await runInProcess(["-q", "a", "fails"], { cwd: dir });
    expect(run.code).toBe(9);
    expect(run.stdout).toBe("a\nfirst\n");
    expect(normalize(run.stderr)).toBe(
      [
        "✖ fails: Command failed with exit code 9: echo first; exit 9",
        "",
        "  ✔ a      passed <time>",
        "  ✖ fails  failed (exit 9) <time>",
        "2 tasks: 1 passed, 1 failed in <time>",
        "",
      ].join("\n"),
    );
  });
});

describe("-v, --verbose", () => {
  const dir = project({ "tasks.ts": TASKS });

  it("says where the tasks came from and echoes every command", async () => {
    for (const flag of ["-v", "--verbose"]) {
      const run = await runInProcess([flag, "quietly"], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^runner: tasks from tasks\.ts \((transpiled|from the cache)\)\n$/);
      expect(run.stdout).toBe("$ echo shown\nshown\nnot echoed\n");
    }
  });
});
