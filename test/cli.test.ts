// The command line of SPEC §2: core options, task options in every spelling, several
// tasks in one line, `--`, and every bad-input error (one line, exit 2, nothing run).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, repoRoot, type RunResult } from "./helpers.ts";
import { runInProcess } from "./world.ts";

/** SPEC §1's build task and friends; each prints `<name> <JSON of what it received>`. */
const TASKS = `import { writeFileSync } from "node:fs";
import { task } from "runner-ts";

const show = (name: string, value: unknown): void => console.log(\`\${name} \${JSON.stringify(value)}\`);

export const clean = task({ description: "Remove build output", run: () => show("clean", {}) });

export const build = task({
  description: "Compile the project",
  aliases: ["b"],
  deps: [clean],
  options: {
    target: { type: "string", choices: ["es2022", "esnext"], default: "es2022", help: "language level" },
    jobs: { type: "number", default: 4, short: "j" },
    watch: { type: "boolean", default: false },
    entry: { type: "string", positional: true, required: true },
    define: { type: "string", multiple: true },
  },
  run: (ctx, opts) => show("build", { ...opts, rest: ctx.rest }),
});

/** Run the tests */
export const test = task({
  options: {
    files: { type: "string", positional: true, multiple: true, help: "only these files" },
    quiet: { type: "boolean", short: "q", help: "the task's own -q" },
  },
  run: (ctx, opts) => show("test", { ...opts, rest: ctx.rest }),
});

/** Lint, with extra words */
export function lint(ctx: { args: readonly string[]; rest: readonly string[] }): void {
  show("lint", { args: ctx.args, rest: ctx.rest });
}

export const mark = task({
  description: "Write a marker file, to prove a run started",
  run: () => {
    writeFileSync("marker", "");
    console.log("mark ran");
  },
});

/** Run a command (to see --dry-run) */
export const hello = task({ run: (ctx) => ctx.run("echo hi > hello.txt") });
`;

const dir = project({ "tasks.ts": TASKS });

const LIST = `Available tasks:

  build, b    Compile the project (deps: clean)
  clean       Remove build output
  hello       Run a command (to see --dry-run)
  lint        Lint, with extra words
  mark        Write a marker file, to prove a run started
  test        Run the tests
`;

const BUILD_HELP = `Usage: runner build [options] <entry>

Compile the project

Aliases: b
Runs first: clean

Arguments:
  <entry>  (string; required)

Options:
      --target <string>    language level (string; one of: es2022, esnext; default: "es2022")
  -j, --jobs <number>      (number; default: 4)
      --watch, --no-watch  (boolean; default: false)
      --define <string>    (string; repeatable)
`;

const run = (args: readonly string[]): Promise<RunResult> => runInProcess(args, { cwd: dir });

/** What a task printed as `<name> <json>`, parsed. */
function received(result: RunResult, name: string): unknown {
  const line = result.stdout.split("\n").find((l) => l.startsWith(`${name} `));
  expect(line, `${name} did not run:\n${result.all}`).toBeDefined();
  return JSON.parse(line!.slice(name.length + 1));
}

const BUILD_DEFAULTS = { target: "es2022", jobs: 4, watch: false, define: [], rest: [] };

function expectNoStack(result: RunResult): void {
  expect(result.all.split("\n").filter((line) => line.startsWith("    at "))).toEqual([]);
}

describe("--list, --help, --version", () => {
  it("--list and -l print every task with aliases, description and deps", async () => {
    for (const args of [["--list"], ["-l"]]) {
      const result = await run(args);
      expect(result.stdout).toBe(LIST);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
  });

  it("--list --json gives each task's name, aliases, description, deps and typed options", async () => {
    const result = await run(["--list", "--json"]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { file: string; tasks: Record<string, unknown>[] };
    expect(json.file).toBe(join(dir, "tasks.ts"));
    expect(json.tasks.map((t) => t.name)).toEqual(["build", "clean", "hello", "lint", "mark", "test"]);
    const build = json.tasks[0]!;
    expect(build).toEqual({
      name: "build",
      aliases: ["b"],
      description: "Compile the project",
      deps: ["clean"],
      default: false,
      options: [
        {
          name: "target",
          key: "target",
          type: "string",
          choices: ["es2022", "esnext"],
          default: "es2022",
          help: "language level",
          multiple: false,
          positional: false,
          required: false,
        },
        {
          name: "jobs",
          key: "jobs",
          type: "number",
          short: "j",
          default: 4,
          multiple: false,
          positional: false,
          required: false,
        },
        {
          name: "watch",
          key: "watch",
          type: "boolean",
          default: false,
          multiple: false,
          positional: false,
          required: false,
        },
        { name: "entry", key: "entry", type: "string", multiple: false, positional: true, required: true },
        { name: "define", key: "define", type: "string", multiple: true, positional: false, required: false },
      ],
    });
    expect(json.tasks[3]).toEqual({
      name: "lint",
      aliases: [],
      description: "Lint, with extra words",
      deps: [],
      default: false,
      options: [],
    });
  });

  it("--list <namespace> and --list --json <namespace> show one namespace", async () => {
    const ns = project({
      "tasks.ts": `export const docs = { build: () => {}, serve: () => {} };\nexport function lint(): void {}\n`,
    });
    const text = await runInProcess(["--list", "docs"], { cwd: ns });
    expect(text.stdout).toBe("Tasks in docs:\n\n  docs.build\n  docs.serve\n");
    const json = await runInProcess(["--json", "--list", "docs"], { cwd: ns });
    expect((JSON.parse(json.stdout) as { tasks: { name: string }[] }).tasks.map((t) => t.name)).toEqual([
      "docs.build",
      "docs.serve",
    ]);
    const wrong = await runInProcess(["--list", "dosc"], { cwd: ns });
    expect(wrong.stderr).toBe('Unknown namespace "dosc". Did you mean "docs"?\n');
    expect(wrong.stdout).toBe("");
    expect(wrong.code).toBe(2);
  });

  it("--help prints the core help, then the task list", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.startsWith("Usage: runner [core options] [task [task options]]... [-- rest]\n")).toBe(true);
    for (const line of [
      "  -V, --version ",
      "  -l, --list [namespace] ",
      "  -h, --help [task] ",
      "  -f, --file <path> ",
      "  -C, --cwd <dir> ",
      "  -j, --jobs <n> ",
      "  -k, --keep-going ",
      "  -n, --dry-run ",
      "  -B, --force ",
      "  --plan ",
      "  --completion <shell> ",
    ]) {
      expect(result.stdout).toContain(`\n${line}`);
    }
    expect(result.stdout).not.toContain("--complete ");
    expect(result.stdout.endsWith(`\n\n${LIST}`)).toBe(true);
    expect((await run(["-h"])).stdout).toBe(result.stdout);
  });

  it("--help <task>, <task> --help and -h show usage and every option with type, default, choices and help", async () => {
    for (const args of [
      ["--help", "build"],
      ["-h", "build"],
      ["--help=build"],
      ["build", "--help"],
      ["build", "-h"],
      ["b", "--help"],
      ["build", "--target", "esnext", "--help"],
    ]) {
      const result = await run(args);
      expect(result.stdout, args.join(" ")).toBe(BUILD_HELP);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(existsSync(join(dir, "marker"))).toBe(false);
    }
  });

  it("--help <task> shows optional and variadic positionals and short boolean options", async () => {
    const result = await run(["test", "--help"]);
    expect(result.stdout).toBe(`Usage: runner test [options] [files...]

Run the tests

Arguments:
  [files...]  only these files (string; repeatable)

Options:
  -q, --quiet, --no-quiet  the task's own -q (boolean)
`);
  });

  it("--help with an unknown task suggests the right one", async () => {
    const result = await run(["--help", "biuld"]);
    expect(result.stderr).toBe('Unknown task "biuld". Did you mean "build"?\n');
    expect(result.stdout).toBe("");
    expect(result.code).toBe(2);
  });

  it("-V and --version print package.json's version, also after a task name", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    for (const args of [["-V"], ["--version"], ["mark", "-V"]]) {
      const result = await run(args);
      expect(result.stdout).toBe(`${version}\n`);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
    expect(existsSync(join(dir, "marker"))).toBe(false);
  });

  it("--version works where there is no tasks file", async () => {
    const result = await runInProcess(["--version"], { cwd: project() });
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect(result.code).toBe(0);
  });
});

describe("task options", () => {
  it("fills a declared positional and applies the defaults", async () => {
    const result = await run(["build", "src/main.ts"]);
    expect(result.code).toBe(0);
    expect(received(result, "clean")).toEqual({});
    expect(received(result, "build")).toEqual({ ...BUILD_DEFAULTS, entry: "src/main.ts" });
  });

  it("accepts --target esnext, --target=esnext, -j 8, -j8, --jobs=8, --watch, --no-watch, repeated --define", async () => {
    const cases: [string[], Record<string, unknown>][] = [
      [["--target", "esnext"], { target: "esnext" }],
      [["--target=esnext"], { target: "esnext" }],
      [["-j", "8"], { jobs: 8 }],
      [["-j8"], { jobs: 8 }],
      [["--jobs=8"], { jobs: 8 }],
      [["--jobs", "-3"], { jobs: -3 }],
      [["--watch"], { watch: true }],
      [["--watch", "--no-watch"], { watch: false }],
      [["--watch=false"], { watch: false }],
      [["--define", "A", "--define", "B"], { define: ["A", "B"] }],
      [["--define=A=1"], { define: ["A=1"] }],
    ];
    for (const [words, changed] of cases) {
      const result = await run(["build", "src", ...words]);
      expect(result.code, words.join(" ")).toBe(0);
      expect(received(result, "build"), words.join(" ")).toEqual({ ...BUILD_DEFAULTS, entry: "src", ...changed });
    }
  });

  it("takes options before, between and after positionals, in any order", async () => {
    const result = await run(["b", "-j2", "--define", "X", "src", "--target=esnext", "--watch"]);
    expect(received(result, "build")).toEqual({
      ...BUILD_DEFAULTS,
      entry: "src",
      jobs: 2,
      define: ["X"],
      target: "esnext",
      watch: true,
    });
  });

  it("gives a variadic positional every later bare word, even one that names a task", async () => {
    const result = await run(["test", "a.ts", "clean", "b.ts"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('test {"files":["a.ts","clean","b.ts"],"quiet":false,"rest":[]}\n');
  });

  it("gives a plain exported function its extra words in ctx.args", async () => {
    const result = await run(["lint", "src", "--", "--fix"]);
    expect(result.stdout).toBe('lint {"args":["src"],"rest":["--fix"]}\n');
    expect(result.code).toBe(0);
  });
});

describe("several tasks in one line", () => {
  it("runs `clean build --target esnext test` in order, each with its own options, deps once", async () => {
    const result = await run(["clean", "build", "src", "--target", "esnext", "test", "a.ts"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "clean {}",
        'build {"target":"esnext","jobs":4,"watch":false,"entry":"src","define":[],"rest":[]}',
        'test {"files":["a.ts"],"quiet":false,"rest":[]}',
        "",
      ].join("\n"),
    );
    expect(normalize(result.stderr)).toBe(`▶ clean
✔ clean <time>
▶ build --target esnext src
✔ build --target esnext src <time>
▶ test a.ts
✔ test a.ts <time>

  ✔ clean                      passed <time>
  ✔ build --target esnext src  passed <time>
  ✔ test a.ts                  passed <time>
3 tasks: 3 passed in <time>
`);
  });

  it("fills the current task's free positional before looking for a task: `build test` builds test", async () => {
    const result = await run(["clean", "build", "--target", "esnext", "test"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'clean {}\nbuild {"target":"esnext","jobs":4,"watch":false,"entry":"test","define":[],"rest":[]}\n',
    );
  });

  it("gives what follows -- to the last task only, as ctx.rest", async () => {
    const result = await run(["-q", "build", "src", "test", "-q", "--", "--watch", "x"]);
    expect(result.code).toBe(0);
    expect(received(result, "build")).toEqual({ ...BUILD_DEFAULTS, entry: "src" });
    expect(received(result, "test")).toEqual({ files: [], quiet: true, rest: ["--watch", "x"] });
  });
});

describe("core options after a task name", () => {
  it("takes -q after a task as the core --quiet when the task has no option of that name", async () => {
    for (const args of [
      ["build", "src", "-q"],
      ["build", "-q", "src"],
      ["-q", "build", "src"],
      ["build", "src", "--quiet"],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(" ")).toBe(0);
      expect(result.stderr, args.join(" ")).toBe("");
      expect(result.stdout).toBe(
        'clean {}\nbuild {"target":"es2022","jobs":4,"watch":false,"entry":"src","define":[],"rest":[]}\n',
      );
    }
  });

  it("gives -q to a task that declares it, and only to that task", async () => {
    const result = await run(["test", "-q", "clean"]);
    expect(result.stdout).toBe('test {"files":["clean"],"quiet":true,"rest":[]}\n');
    const both = await run(["clean", "-q", "test", "-q"]);
    expect(both.stderr).toBe("");
    expect(both.stdout).toBe('clean {}\ntest {"files":[],"quiet":true,"rest":[]}\n');
  });

  it("takes -n after a task as --dry-run (the command is printed, not run)", async () => {
    rmSync(join(dir, "hello.txt"), { force: true });
    const result = await run(["hello", "-n"]);
    expect(result.code).toBe(0);
    expect(result.all).toContain("echo hi > hello.txt");
    expect(existsSync(join(dir, "hello.txt"))).toBe(false);
  });

  it("takes -j after a task that has no -j as the core --jobs, value and all", async () => {
    // -j 3 implies -p: the plan is in waves.
    const result = await run(["clean", "-j", "3", "--plan"]);
    expect(result.stdout).toBe("wave 1: clean\n");
    const bad = await run(["clean", "-j", "x"]);
    expect(bad.stderr).toBe('Invalid value "x" for --jobs: expected a whole number ≥ 1.\n');
    expect(bad.code).toBe(2);
  });

  it("takes -f and -C before the first task name", async () => {
    const elsewhere = project();
    const byCwd = await runInProcess(["-C", dir, "--list"], { cwd: elsewhere });
    expect(byCwd.stdout).toBe(LIST);
    const byFile = await runInProcess(["--file", join(dir, "tasks.ts"), "-q", "build", "src"], { cwd: elsewhere });
    expect(received(byFile, "build")).toEqual({ ...BUILD_DEFAULTS, entry: "src" });
    expect(byFile.code).toBe(0);
  });

  it("expands combined short core flags (-qn) after a task", async () => {
    rmSync(join(dir, "hello.txt"), { force: true });
    const result = await run(["hello", "-qn"]);
    expect(result.code).toBe(0);
    expect(result.all).toContain("echo hi > hello.txt");
    expect(existsSync(join(dir, "hello.txt"))).toBe(false);
  });
});

describe("bad input: one line, exit status 2, nothing run", () => {
  // Each starts with `mark`, which would print and create a file if anything ran.
  const cases: [string[], string][] = [
    [["mark", "biuld"], 'Unknown task "biuld". Did you mean "build"?'],
    [["mark", "tset"], 'Unknown task "tset". Did you mean "test"?'],
    [["mark", "deploy"], 'Unknown task "deploy".'],
    [
      ["mark", "build", "src", "--tagret", "esnext"],
      'Unknown option "--tagret" for task "build". Did you mean "--target"?',
    ],
    [["mark", "build", "src", "--wacth"], 'Unknown option "--wacth" for task "build". Did you mean "--watch"?'],
    [
      ["mark", "build", "src", "--no-wacth"],
      'Unknown option "--no-wacth" for task "build". Did you mean "--no-watch"?',
    ],
    [["mark", "build", "src", "-x"], 'Unknown option "-x" for task "build".'],
    [["mark", "build", "src", "--jobs", "abc"], 'Invalid value "abc" for --jobs of task "build": expected a number.'],
    [["mark", "build", "src", "-jabc"], 'Invalid value "abc" for --jobs of task "build": expected a number.'],
    [["mark", "build", "src", "--jobs="], 'Invalid value "" for --jobs of task "build": expected a number.'],
    [
      ["mark", "build", "src", "--target", "es5"],
      'Invalid value "es5" for --target of task "build": expected one of es2022, esnext.',
    ],
    [
      ["mark", "build", "src", "--target=es5"],
      'Invalid value "es5" for --target of task "build": expected one of es2022, esnext.',
    ],
    [
      ["mark", "build", "src", "--watch=maybe"],
      'Invalid value "maybe" for --watch of task "build": expected true or false.',
    ],
    [["mark", "build", "src", "--no-watch=true"], 'Option --no-watch of task "build" takes no value.'],
    [["mark", "build"], 'Task "build" needs <entry>. Usage: runner build [options] <entry>'],
    [["mark", "build", "--target", "esnext"], 'Task "build" needs <entry>. Usage: runner build [options] <entry>'],
    [["mark", "build", "src", "extra"], 'Unknown task "extra".'],
    [["mark", "build", "src", "--target"], 'Option --target of task "build" needs a value.'],
    [["mark", "build", "src", "--define", "--watch"], 'Option --define of task "build" needs a value.'],
    [["mark", "build", "src", "-j"], 'Option --jobs of task "build" needs a value.'],
    [["--lsit"], 'Unknown option "--lsit". Did you mean "--list"?'],
    [["--bogus", "mark"], 'Unknown option "--bogus".'],
    [["mark", "--lsit"], 'Unknown option "--lsit" for task "mark". Did you mean "--list"?'],
    [["mark", "-kz"], 'Unknown option "-z" for task "mark".'],
    [["-kz", "mark"], 'Unknown option "-z".'],
    [["--timeout"], "Option --timeout needs a value."],
    [["mark", "--timeout"], "Option --timeout needs a value."],
    [["mark", "--retries", "--quiet"], "Option --retries needs a value."],
    [["mark", "-f", "tasks.ts"], "Option --file must come before the first task name."],
    [["mark", "-C", "."], "Option --cwd must come before the first task name."],
    [["mark", "--plan=yes"], "Option --plan takes no value."],
  ];

  it.each(cases)("runner %j → %s", async (args, message) => {
    rmSync(join(dir, "marker"), { force: true });
    const result = await run(args);
    expect(result.stderr).toBe(`${message}\n`);
    expect(result.stdout).toBe("");
    expect(result.code).toBe(2);
    expect(existsSync(join(dir, "marker"))).toBe(false);
    expectNoStack(result);
  });
});

describe("required options", () => {
  const deploy = project({
    "tasks.ts": `import { task } from "runner-ts";
export const deploy = task({
  options: {
    env: { type: "string", required: true, choices: ["prod", "staging"] },
    files: { type: "string", positional: true, multiple: true, required: true },
    dryRun: { type: "boolean", help: "only show what would change" },
  },
  run: (ctx, opts) => console.log(JSON.stringify({ ...opts, rest: ctx.rest })),
});
export default deploy;
`,
  });
  const usage = "Usage: runner deploy --env <prod|staging> [options] <files...>";

  it("names the missing option or positional and spells required options out in the usage", async () => {
    for (const [args, missing] of [
      [["deploy", "a"], "--env"],
      [["deploy", "--env", "prod"], "<files...>"],
      [["deploy", "--dry-run"], "--env"],
    ] as const) {
      const result = await runInProcess(args, { cwd: deploy });
      expect(result.stderr).toBe(`Task "deploy" needs ${missing}. ${usage}\n`);
      expect(result.stdout).toBe("");
      expect(result.code).toBe(2);
    }
  });

  it("shows required options in --help", async () => {
    const result = await runInProcess(["deploy", "--help"], { cwd: deploy });
    expect(result.stdout).toBe(`${usage}

Arguments:
  <files...>  (string; required; repeatable)

Options:
      --env <string>           (string; required; one of: prod, staging)
      --dry-run, --no-dry-run  only show what would change (boolean)
`);
  });

  it("runs with everything given; -- after no task gives ctx.rest to the default task", async () => {
    const named = await runInProcess(["deploy", "--env=staging", "a", "b", "--dryRun", "--", "x"], { cwd: deploy });
    expect(named.stdout).toBe('{"env":"staging","files":["a","b"],"dryRun":true,"rest":["x"]}\n');
    const bare = await runInProcess(["--", "x"], { cwd: deploy });
    expect(bare.stderr).toBe(`Task "deploy" needs --env. ${usage}\n`);
    expect(bare.code).toBe(2);
  });
});

describe("a new user in this repository", () => {
  const here = { cwd: repoRoot };

  it("`runner` with no default task prints the list, as `runner --list` does", async () => {
    const bare = await runInProcess([], here);
    expect(bare.code).toBe(0);
    expect(bare.stderr).toBe("");
    expect(bare.stdout.startsWith("Available tasks:\n\n")).toBe(true);
    for (const name of ["build", "check", "lint", "mytime", "test", "typecheck"]) {
      expect(bare.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    }
    expect(bare.stdout).toMatch(/^ {2}mytime +Print the local time$/m);
    const list = await runInProcess(["--list"], here);
    expect(list.stdout).toBe(bare.stdout);
  });

  it("`runner --help build` shows the build task's usage and its --types option", async () => {
    const result = await runInProcess(["--help", "build"], here);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: runner build \[options\]\n\nBuild dist\/ from src\//);
    expect(result.stdout).toMatch(
      /^ +--types, --no-types +also emit \.d\.ts declarations \(boolean; default: true\)$/m,
    );
  });

  it("`runner tset` suggests test, runs nothing", async () => {
    const result = await runInProcess(["tset"], here);
    expect(result.stderr).toBe('Unknown task "tset". Did you mean "test"?\n');
    expect(result.stdout).toBe("");
    expect(result.code).toBe(2);
    expectNoStack(result);
  });
});
