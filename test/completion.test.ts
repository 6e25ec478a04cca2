// Shell completion (SPEC §2, --completion): the scripts, and the bash one for real: sourced
// into bash with a `runner` on PATH, asked for candidates as bash's completion would.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { coreOptionShapes } from "../src/cli/grammar.ts";
import { cacheDir, project, runnerBin } from "./helpers.ts";
import { runInProcess } from "./world.ts";

const run = promisify(execFile);

const TASKS = `import { task } from "runner-ts";

/** Compile */
export const build = task({
  aliases: ["b"],
  options: {
    target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
    level: { type: "number", choices: [1, 2, 3], short: "l" },
    jobs: { type: "number" },
    watch: { type: "boolean" },
    entry: { type: "string", positional: true },
  },
  run() {},
});

export function bundle() {}

export const deploy = task({ options: { env: { type: "string" } }, run() {} });

export function _secret() {}

export const hiddenTask = task({ hidden: true, run() {} });

export const docs = { build: task({ run() {} }), default: task({ run() {} }) };
`;

/** A directory holding a `runner` that runs this checkout's CLI. */
let binDir: string;

beforeAll(() => {
  binDir = mkdtempSync(join(tmpdir(), "runner-test-bin-"));
  const shim = join(binDir, "runner");
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${runnerBin}" "$@"\n`);
  chmodSync(shim, 0o755);
});

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * What bash completion offers for the command line `words` (the last one being typed), as
 * bash would ask: COMP_WORDS and COMP_CWORD set, then the registered function called.
 */
async function complete(cwd: string, words: readonly string[]): Promise<string[]> {
  const script = [
    "source <(runner --completion bash)",
    `COMP_WORDS=(${words.map(quote).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    "_runner_complete",
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join("\n");
  const { stdout, stderr } = await run("bash", ["-c", script], {
    cwd,
    env: { PATH: `${binDir}:${process.env.PATH ?? ""}`, HOME: process.env.HOME, RUNNER_CACHE_DIR: cacheDir },
  });
  expect(stderr).toBe("");
  return stdout.split("\n").filter((line) => line !== "");
}

/** Every core option, as --help lists them; the hidden --complete is never offered. */
const CORE_OPTIONS = coreOptionShapes()
  .map((shape) => shape.long)
  .filter((long) => long !== "--complete");

describe("bash completion", () => {
  let dir: string;
  beforeAll(() => {
    dir = project({
      "tasks.ts": TASKS,
      "ci/tasks.ts": `export function deploy() {}\nexport function destroy() {}\n`,
      "src/lib/keep": "",
    });
  });

  it("registers _runner_complete for runner, falling back to file names", async () => {
    const { stdout } = await run("bash", ["-c", "source <(runner --completion bash); complete -p runner"], {
      env: { PATH: `${binDir}:${process.env.PATH ?? ""}` },
    });
    expect(stdout).toBe("complete -o default -F _runner_complete runner\n");
  });

  it("completes task names by prefix", async () => {
    expect(await complete(dir, ["runner", "bu"])).toEqual(["build", "bundle"]);
    expect(await complete(dir, ["runner", "de"])).toEqual(["deploy"]);
  });

  it("offers every visible task, alias and namespace, sorted; hidden ones are left out", async () => {
    expect(await complete(dir, ["runner", ""])).toEqual([
      "b",
      "build",
      "bundle",
      "deploy",
      "docs",
      "docs.build",
      "docs.default",
    ]);
  });

  it("completes another task name after a task", async () => {
    expect(await complete(dir, ["runner", "bundle", "d"])).toEqual(["deploy", "docs", "docs.build", "docs.default"]);
  });

  it("completes a task's options after the task (or its alias)", async () => {
    expect(await complete(dir, ["runner", "build", "--ta"])).toEqual(["--target"]);
    expect(await complete(dir, ["runner", "b", "--ta"])).toEqual(["--target"]);
    expect(await complete(dir, ["runner", "build", "--w"])).toEqual(["--watch", "--warn-only", "--worker"]);
    expect(await complete(dir, ["runner", "build", "--no-w"])).toEqual(["--no-watch"]);
  });

  it("lists a task's own options first, then core options, each once", async () => {
    const all = await complete(dir, ["runner", "build", "--"]);
    expect(all.slice(0, 5)).toEqual(["--target", "--level", "--jobs", "--watch", "--no-watch"]);
    expect(all.filter((option) => option === "--jobs")).toHaveLength(1);
    // build's own --jobs and --watch come first; the core options of those names are not repeated.
    expect(all.filter((option) => option === "--watch")).toHaveLength(1);
    expect(all.slice(5)).toEqual(CORE_OPTIONS.filter((option) => option !== "--jobs" && option !== "--watch"));
  });

  it("completes the choices of an option that takes a value", async () => {
    expect(await complete(dir, ["runner", "build", "--target", ""])).toEqual(["es2022", "esnext"]);
    expect(await complete(dir, ["runner", "build", "--target", "esn"])).toEqual(["esnext"]);
    expect(await complete(dir, ["runner", "build", "-l", ""])).toEqual(["1", "2", "3"]);
  });

  it("completes choices after `--target=`, which bash splits into three words", async () => {
    expect(await complete(dir, ["runner", "build", "--target", "="])).toEqual(["es2022", "esnext"]);
    expect(await complete(dir, ["runner", "build", "--target", "=", "es2"])).toEqual(["es2022"]);
  });

  it("offers nothing for a free value, so bash falls back to file names", async () => {
    expect(await complete(dir, ["runner", "build", "--jobs", ""])).toEqual([]);
    expect(await complete(dir, ["runner", "--file", ""])).toEqual([]);
    expect(await complete(dir, ["runner", "deploy", "--env", "b"])).toEqual([]);
  });

  it("does not take an option's value for a task name", async () => {
    // "build" is the value of --env here: the options offered are still deploy's.
    expect(await complete(dir, ["runner", "deploy", "--env", "build", "--e"])).toEqual(["--env", "--echo"]);
  });

  it("completes core options, and the values of --completion", async () => {
    expect(await complete(dir, ["runner", "--ver"])).toEqual(["--version", "--verbose"]);
    expect(await complete(dir, ["runner", "--dr"])).toEqual(["--dry-run"]);
    expect(CORE_OPTIONS).toEqual(expect.arrayContaining(["--list", "--help", "--file", "--completion"]));
    expect(await complete(dir, ["runner", "--"])).toEqual(CORE_OPTIONS);
    expect(await complete(dir, ["runner", "bundle", "--l"])).toEqual(["--list"]);
    expect(await complete(dir, ["runner", "--completion", ""])).toEqual(["bash", "zsh", "fish"]);
  });

  it("completes task names after --help and --list, which take an optional one", async () => {
    expect(await complete(dir, ["runner", "--help", "bu"])).toEqual(["build", "bundle"]);
  });

  it("completes from the tasks file that --file names on the line", async () => {
    expect(await complete(dir, ["runner", "-f", "ci/tasks.ts", "de"])).toEqual(["deploy", "destroy"]);
    expect(await complete(dir, ["runner", "--file=ci/tasks.ts", "de"])).toEqual(["deploy", "destroy"]);
  });

  it("completes from the directory that -C names on the line", async () => {
    expect(await complete(join(dir, "ci"), ["runner", "de"])).toEqual(["deploy", "destroy"]);
    expect(await complete(join(dir, "ci"), ["runner", "-C", "..", "bu"])).toEqual(["build", "bundle"]);
  });

  it("completes from a subdirectory, finding the tasks file upward", async () => {
    expect(await complete(join(dir, "src/lib"), ["runner", "bu"])).toEqual(["build", "bundle"]);
  });

  it("offers core options but no tasks where there is no tasks file, and prints no error", async () => {
    const empty = project({});
    expect(await complete(empty, ["runner", ""])).toEqual([]);
    expect(await complete(empty, ["runner", "--he"])).toEqual(["--help"]);
  });
});

describe("--complete (what the scripts call)", () => {
  it("prints nothing, not an error, when the tasks file is broken", async () => {
    const dir = project({ "tasks.ts": "export const = ;\n" });
    const result = await runInProcess(["--complete", "--", ""], { cwd: dir });
    expect([result.code, result.stdout, result.stderr]).toEqual([0, "", ""]);
  });

  it("completes `--option=value` as one word (zsh and fish) with the option kept", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const result = await runInProcess(["--complete", "--", "build", "--target=es"], { cwd: dir });
    expect(result.stdout).toBe("--target=es2022\n--target=esnext\n");
  });
});

describe("--completion <shell>", () => {
  it("prints a bash script that bash accepts", async () => {
    const dir = project({});
    const result = await runInProcess(["--completion", "bash"], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toContain("complete -o default -F _runner_complete runner\n");
    const script = join(dir, "runner.bash");
    writeFileSync(script, result.stdout);
    await expect(run("bash", ["-n", script])).resolves.toMatchObject({ stderr: "" });
  });

  it.each([
    ["zsh", "compdef _runner runner\n"],
    ["fish", "complete -c runner "],
  ])("prints a %s script", async (shell, line) => {
    const dir = project({});
    const result = await runInProcess([`--completion=${shell}`], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toContain(line);
    expect(result.stdout).toContain("--complete --");
  });

  // zsh and fish are not installed everywhere; check their syntax where they are.
  for (const shell of ["zsh", "fish"]) {
    const installed = run("sh", ["-c", `command -v ${shell}`]).then(
      () => true,
      () => false,
    );
    it(`prints a ${shell} script that ${shell} -n accepts (skipped without ${shell})`, async (context) => {
      if (!(await installed)) context.skip();
      const dir = project({});
      const result = await runInProcess(["--completion", shell], { cwd: dir });
      const script = join(dir, `runner.${shell}`);
      writeFileSync(script, result.stdout);
      await expect(run(shell, ["-n", script])).resolves.toMatchObject({ stderr: "" });
    });
  }

  it("is accepted after a task name too, printing the script and running nothing", async () => {
    const dir = project({ "tasks.ts": `export function hello() { console.log("ran"); }\n` });
    const result = await runInProcess(["hello", "--completion", "bash"], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toMatch(/^# runner completion for bash/);
    expect(result.stdout).not.toContain("ran");
  });

  it("rejects an unknown shell: one line, exit status 2", async () => {
    const result = await runInProcess(["--completion", "tcsh"], { cwd: project({}) });
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      "",
      'Invalid value "tcsh" for --completion: expected one of bash, zsh, fish.\n',
    ]);
  });

  it("needs a shell", async () => {
    const result = await runInProcess(["--completion"], { cwd: project({}) });
    expect([result.code, result.stdout, result.stderr]).toEqual([2, "", "Option --completion needs a value.\n"]);
  });
});
