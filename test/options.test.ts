// Task options beyond the basics (SPEC §1 "Composing tasks", §2): `count` options, short
// flags combined as getopt combines them, `-f=pdf`, `secret: true` masked in everything
// runner prints and writes, and an error's `exitCode` as its task's status.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const TASKS = `import { task } from "runner";
export const show = task({
  options: {
    verbose: { type: "count", short: "v", help: "say more" },
    level: { type: "count", default: 1 },
    dry: { type: "boolean", short: "x" },
    jobs: { type: "number", short: "j", default: 1 },
    format: { type: "string", short: "f", default: "html" },
  },
  run: (ctx, opts) => {
    const verbose: number = opts.verbose; // typed as a number
    console.log(JSON.stringify({ ...opts, verbose }));
  },
});
export const plain = (ctx: { args: readonly string[] }) => console.log(ctx.args.join(","));
`;

/** `runner show <args>` in-process: what the task got, or the error. */
async function show(dir: string, args: readonly string[]) {
  const run = await runInProcess(["show", ...args], { cwd: dir });
  if (run.code !== 0) return { code: run.code, stderr: run.stderr };
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe("count options", () => {
  const dir = project({ "tasks.ts": TASKS });

  it("count how often their flag is given: -v -v, -vvv, --verbose --verbose; 0 (or the default) unless given", async () => {
    expect(await show(dir, [])).toMatchObject({ verbose: 0, level: 1 });
    expect(await show(dir, ["-v", "-v"])).toMatchObject({ verbose: 2 });
    expect(await show(dir, ["-vvv"])).toMatchObject({ verbose: 3 });
    expect(await show(dir, ["--verbose", "--verbose"])).toMatchObject({ verbose: 2 });
    expect(await show(dir, ["-vv", "--verbose", "--level"])).toMatchObject({ verbose: 3, level: 2 });
    expect(await show(dir, ["-vv", "--no-verbose", "-v"])).toMatchObject({ verbose: 1 });
  });

  it("take no value", async () => {
    expect(await show(dir, ["--verbose=2"])).toEqual({
      code: 2,
      stderr: 'Option --verbose of task "show" takes no value.\n',
    });
    expect(await show(dir, ["-v=2"])).toEqual({ code: 2, stderr: 'Option -v of task "show" takes no value.\n' });
  });

  it("show in --help and --list --json, and in the plan as the flags that give them", async () => {
    const help = await runRunner(["--help", "show"], { cwd: dir });
    expect(help.stdout).toContain("  -v, --verbose          say more (count; counts each time it is given)\n");
    expect(help.stdout).toContain("      --level            (count; counts each time it is given; default: 1)\n");
    const list = JSON.parse((await runRunner(["--list", "--json"], { cwd: dir })).stdout) as {
      tasks: { options: { name: string; type: string }[] }[];
    };
    expect(list.tasks[1]?.options[0]).toMatchObject({ name: "verbose", type: "count" });
    const plan = await runRunner(["--plan", "show", "-vvv", "--level", "--level", "show", "--no-level"], { cwd: dir });
    expect(plan.stdout).toBe("1. show -vvv --level --level\n2. show --no-level\n");
    expect(await show(dir, ["-vvv", "--level", "--level"])).toMatchObject({ verbose: 3, level: 3 });
  });

  it("are checked when the tasks file loads", async () => {
    const bad = async (spec: string) => {
      const dir = project({
        "tasks.ts": `import { task } from "runner";\nexport const t = task({ options: { n: ${spec} }, run() {} });\n`,
      });
      const run = await runInProcess(["t"], { cwd: dir });
      expect(run.code).toBe(2);
      return run.stderr.replace(/^.*tasks\.ts: /, "");
    };
    expect(await bad(`{ type: "count", positional: true }`)).toBe(
      'task "t": option "n" is a count and cannot be positional.\n',
    );
    expect(await bad(`{ type: "count", multiple: true }`)).toContain("is a count and cannot be multiple");
    expect(await bad(`{ type: "count", required: true }`)).toContain("is a count and cannot be required");
    expect(await bad(`{ type: "count", default: 1.5 }`)).toContain(
      "has default 1.5, which is not a whole number ≥ 0 (a count)",
    );
  });
});

describe("short flags", () => {
  const dir = project({ "tasks.ts": TASKS });

  it("combine as getopt combines them: -vx, and a value-taking letter last takes the rest or the next word", async () => {
    expect(await show(dir, ["-vx"])).toMatchObject({ verbose: 1, dry: true });
    expect(await show(dir, ["-xvv"])).toMatchObject({ verbose: 2, dry: true });
    expect(await show(dir, ["-vj8"])).toMatchObject({ verbose: 1, jobs: 8 });
    expect(await show(dir, ["-vxj", "8"])).toMatchObject({ verbose: 1, dry: true, jobs: 8 });
    expect(await show(dir, ["-vfpdf"])).toMatchObject({ verbose: 1, format: "pdf" });
  });

  it("take a value after `=` as they would without it: -f=pdf, -j=8, -x=false", async () => {
    expect(await show(dir, ["-f=pdf"])).toMatchObject({ format: "pdf" });
    expect(await show(dir, ["-j=8", "-vf=a=b"])).toMatchObject({ jobs: 8, verbose: 1, format: "a=b" });
    expect(await show(dir, ["-x=false"])).toMatchObject({ dry: false });
    expect(await show(dir, ["--format=pdf"])).toMatchObject({ format: "pdf" });
  });

  it("mix with runner's own where the task has no such letter: -vk is -v (the task's) and -k (keep going)", async () => {
    const run = await runRunner(["--plan", "--json", "show", "-vk"], { cwd: dir });
    expect(JSON.parse(run.stdout)).toMatchObject({ steps: [{ name: "show", options: { verbose: 1 } }] });
    // -vq: the task's -v, runner's -q; and a runner option taking a value ends the cluster.
    const quiet = await runRunner(["show", "-vqj", "3"], { cwd: dir });
    expect([quiet.code, quiet.stderr]).toEqual([0, ""]);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ verbose: 1, jobs: 3 });
    // runner's own -j=2 before any task.
    expect(JSON.parse((await runRunner(["-j=2", "--plan", "--json", "plain"], { cwd: dir })).stdout)).toHaveProperty(
      "steps",
    );
  });

  it("name each letter that is no option in one line", async () => {
    expect(await show(dir, ["-vz"])).toEqual({ code: 2, stderr: 'Unknown option "-z" for task "show".\n' });
    const boolean = await show(dir, ["-xtrue"]);
    expect(boolean).toEqual({ code: 2, stderr: 'Unknown option "-t" for task "show".\n' });
    const core = await runInProcess(["-p=1", "plain"], { cwd: dir });
    expect([core.code, core.stderr]).toEqual([2, "Option --parallel takes no value.\n"]);
  });
});

const SECRET = "hunter2-s3cr3t";

const SECRET_TASKS = `import { task } from "runner";
export const deploy = task({
  options: {
    token: { type: "string", secret: true, required: true, help: "the API token" },
    region: { type: "string", default: "eu" },
  },
  async run(ctx, opts) {
    console.log("token has", opts.token.length, "characters");
    // The value printed in two writes, a moment apart: still masked.
    await ctx.run(\`printf '%s' "\${opts.token.slice(0, 5)}"; sleep 0.1; printf '%s\\\\n' "\${opts.token.slice(5)}"\`);
    await ctx.run(\`echo "using \${opts.token}" >&2\`);
    await ctx.run(\`test "\${opts.token}" = nope\`, { hide: true });
  },
});
export const other = task({ run: () => console.log("other ran") });
export const login = task({
  options: { password: { type: "string", secret: true, choices: ["a", "b"] } },
  run() {},
});
export const broken = task({
  options: { key: { type: "string", secret: true, default: "${SECRET}" } },
  run(ctx, opts) {
    throw new Error("the key " + opts.key + " was refused");
  },
});
`;

describe("secret options", () => {
  it("never show their value: not in headers, echo, errors, summary, output, --report, --junit, annotations", async () => {
    const dir = project({ "tasks.ts": SECRET_TASKS });
    for (const mode of [[], ["-p", "--output", "grouped"], ["-p", "--output", "prefixed"]]) {
      const run = await runRunner(
        ["-e", "-k", ...mode, "--report", "run.json", "--junit", "junit.xml", "deploy", "--token", SECRET, "other"],
        { cwd: dir, env: { GITHUB_ACTIONS: "true" } },
      );
      expect(run.code).toBe(1);
      const report = readFileSync(join(dir, "run.json"), "utf8");
      const junit = readFileSync(join(dir, "junit.xml"), "utf8");
      for (const text of [run.stdout, run.stderr, report, junit]) {
        expect(text).not.toContain(SECRET);
      }
      // What was masked is there, as ***.
      expect(run.stdout).toContain("token has 14 characters\n");
      expect(run.all).toContain('$ test "***" = nope\n');
      // The value printed in two writes came out masked (serial: the two writes are adjacent in stdout).
      expect(run.stdout.split("\n").some((line) => line.endsWith("***") && !line.includes("printf"))).toBe(true);
      expect(run.stderr).toContain("using ***\n");
      expect(run.stderr).toContain('✖ deploy: Command failed with exit code 1: test "***" = nope\n');
      expect(run.stderr).toContain("  ✖ deploy --token ***  failed (exit 1)");
      expect(run.stdout).toContain("::error title=deploy --token *** failed::");
      const parsed = JSON.parse(report) as { tasks: { options: unknown; commands: { command: string }[] }[] };
      expect(parsed.tasks[0]?.options).toEqual({ token: "***", region: "eu" });
      expect(parsed.tasks[0]?.commands[2]?.command).toBe('test "***" = nope');
      expect(junit).toContain('<testcase name="deploy --token ***"');
    }
  });

  it("are masked for a task that ctx.call runs with a secret value, and in --trace", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
export const deploy = task({
  options: { token: { type: "string", secret: true, default: "none" } },
  run: (ctx, opts) => ctx.run(\`echo deploying with \${opts.token}\`, { echo: true }),
});
export const release = task({ run: (ctx) => ctx.call(deploy, { token: "called-${SECRET}" }) });
`,
    });
    const run = await runRunner(["-e", "--report", "run.json", "--trace", "trace.json", "release"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("deploying with ***\n");
    for (const text of [
      run.stdout,
      run.stderr,
      readFileSync(join(dir, "run.json"), "utf8"),
      readFileSync(join(dir, "trace.json"), "utf8"),
    ]) {
      expect(text).not.toContain(SECRET);
    }
  });

  it("mask a thrown error's message and a secret default", async () => {
    const dir = project({ "tasks.ts": SECRET_TASKS });
    const run = await runRunner(["broken"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(normalize(run.stderr)).toBe(
      "✖ broken: the key *** was refused (tasks.ts:23:11)\n\n  ✖ broken  failed <time>\n1 task: 1 failed in <time>\n",
    );
    const help = await runRunner(["--help", "broken"], { cwd: dir });
    expect(help.stdout).not.toContain(SECRET);
    expect(help.stdout).toContain("(string; default: ***; secret)");
    const list = await runRunner(["--list", "--json"], { cwd: dir });
    expect(list.stdout).not.toContain(SECRET);
  });

  it("are masked in --plan and --plan --json, and in the error for a wrong value", async () => {
    const dir = project({ "tasks.ts": SECRET_TASKS });
    const plan = await runRunner(["--plan", "other", "deploy", "--token", SECRET], { cwd: dir });
    expect(plan.stdout).toBe("1. other\n2. deploy --token ***\n");
    const json = await runRunner(["--plan", "--json", "deploy", `--token=${SECRET}`], { cwd: dir });
    expect(json.stdout).not.toContain(SECRET);
    expect(JSON.parse(json.stdout)).toMatchObject({ steps: [{ options: { token: "***" } }] });
    const wrong = await runRunner(["login", "--password", SECRET], { cwd: dir });
    expect([wrong.code, wrong.stderr]).toEqual([
      2,
      'Invalid value *** for --password of task "login": expected one of a, b.\n',
    ]);
  });

  it("reach task code as they are", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
import { writeFileSync } from "node:fs";
export const t = task({
  options: { token: { type: "string", secret: true } },
  run: (ctx, opts) => writeFileSync("seen", String(opts.token) + " " + String(ctx.options.token)),
});
`,
    });
    const run = await runRunner(["t", "--token", SECRET], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "seen"), "utf8")).toBe(`${SECRET} ${SECRET}`);
  });

  it("cannot be declared on a flag", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";\nexport const t = task({ options: { b: { type: "boolean", secret: true } }, run() {} });\n`,
    });
    const run = await runInProcess(["t"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('option "b" is a boolean and cannot be secret: only values are.');
  });
});

describe("an error with a numeric exitCode", () => {
  const dir = project({
    "tasks.ts": `import { task } from "runner";
const exit = (code: unknown, message = "bad") => Object.assign(new Error(message), { exitCode: code });
export const three = task({ run() { throw exit(3); } });
export const fine = task({ run() { throw exit(0, "done early"); } });
export const odd = task({ run() { throw exit(300); } });
export const text = task({ run() { throw exit("4"); } });
export const later = task({ run: () => new Promise((_, reject) => setTimeout(() => reject(exit(5)), 10)) });
export const plainObject = task({ run() { throw { exitCode: 6 }; } });
export const next = task({ run: () => console.log("next ran") });
`,
  });

  it("ends its task with that status, and runner exits with it", async () => {
    const run = await runRunner(["three"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(normalize(run.stderr)).toBe(
      "✖ three: bad (tasks.ts:2:64)\n\n  ✖ three  failed (exit 3) <time>\n1 task: 1 failed in <time>\n",
    );
    expect((await runRunner(["later"], { cwd: dir })).code).toBe(5);
    expect((await runRunner(["plain-object"], { cwd: dir })).code).toBe(6);
  });

  it("is the status of the first task that failed, with -k", async () => {
    const run = await runRunner(["-k", "--report", "r.json", "next", "three", "later"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("next ran\n");
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { tasks: { exitCode: number }[] };
    expect(report.tasks.map((task) => task.exitCode)).toEqual([0, 3, 5]);
  });

  it("0 passes its task, as process.exit(0) would", async () => {
    const run = await runRunner(["fine", "next"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("next ran\n");
    expect(normalize(run.stderr)).toContain("  ✔ fine  passed <time>\n");
  });

  it("outside 0–255, or not a number, is status 1 and said so", async () => {
    const odd = await runRunner(["odd"], { cwd: dir });
    expect(odd.code).toBe(1);
    expect(odd.stderr).toContain(
      "✖ odd: bad (its exitCode 300 is not a whole number from 0 to 255, so the task's status is 1) (tasks.ts:2:64)\n",
    );
    const text = await runRunner(["text"], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('(its exitCode "4" is not a whole number from 0 to 255');
  });
});
