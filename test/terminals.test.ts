// Terminals (SPEC §4, §5): commands on a pseudo-terminal (`pty: true`), commands handed
// runner's own terminal (`interactive: true`), "\r" progress in the prefixed mode, and the
// colours of runner's own lines decided by stderr. With the real CLI; where runner itself
// must be on a terminal, under util-linux `script`.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { project, runnerBin, runRunner } from "./helpers.ts";
import { runBytes, runInTerminal, screen, testEnv } from "./output-helpers.ts";
import { killIfAlive, readPid, waitUntilGone } from "./process-helpers.ts";

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) killIfAlive(pid);
});

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `before; runner <args> <redirect>` through a shell on a pseudo-terminal of `script`'s,
 * typing `input` into it once `prompt` has appeared. The terminal's whole transcript.
 */
function inTerminal(
  args: readonly string[],
  cwd: string,
  {
    before = "true",
    redirect = "",
    input,
    prompt = "",
  }: { before?: string; redirect?: string; input?: string; prompt?: string } = {},
): Promise<{ code: number | null; transcript: string }> {
  const runner = [process.execPath, runnerBin, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qfec", `${before}; ${runner} ${redirect}`, "/dev/null"], {
    cwd,
    env: testEnv({ TERM: "xterm" }),
    stdio: ["pipe", "pipe", "inherit"],
  });
  let transcript = "";
  let typed = input === undefined;
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    transcript += text;
    if (!typed && transcript.includes(prompt)) {
      typed = true;
      child.stdin.write(input);
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, transcript });
    });
  });
}

describe("pty: true", () => {
  const TASKS = `
export async function probe(ctx) {
  const r = await ctx.run("test -t 0 && test -t 1 && test -t 2 && echo tty || echo notty; echo to-stderr >&2; stty size; echo TERM=$TERM", { pty: true });
  ctx.log(JSON.stringify({ stdout: r.stdout, stderr: r.stderr, all: r.all, exitCode: r.exitCode }));
}
export async function plain(ctx) {
  const r = await ctx.run("test -t 1 && echo tty || echo notty");
  ctx.log(JSON.stringify(r.stdout));
}
export async function exec(ctx) {
  const r = await ctx.exec("printf", ["%s|", "a b", "c"], { pty: true });
  const missing = await ctx.exec("no-such-program-here", [], { pty: true, warn: true });
  ctx.log(JSON.stringify([r.stdout, missing.exitCode]));
}
export async function colour(ctx) {
  const piped = await ctx.run("ls --color=auto", { hide: true });
  const pty = await ctx.run("ls --color=auto", { pty: true, hide: true });
  ctx.log(JSON.stringify({ piped: piped.stdout.includes("\\x1b["), pty: pty.stdout.includes("\\x1b[") }));
}
export async function input(ctx) {
  const r = await ctx.run("read a; echo got:$a; cat", { pty: true, input: "one\\ntwo" });
  ctx.log("result:" + JSON.stringify(r.stdout));
}
export async function code(ctx) {
  const r = await ctx.run("exit 3", { pty: true, warn: true });
  const k = await ctx.run("kill -USR1 $$", { pty: true, warn: true });
  ctx.log(JSON.stringify([r.exitCode, k.exitCode, k.signal]));
}
`;

  it("runs the command on a terminal, its output captured as stdout (stderr merged into it)", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runRunner(["probe"], { cwd: dir, env: { TERM: undefined } });
    expect(r.code).toBe(0);
    // Shown as it came, and captured: "\r\n" of the terminal back to "\n"; TERM set; 80x24
    // when runner has no terminal to take the size from.
    const text = "tty\nto-stderr\n24 80\nTERM=xterm-256color\n";
    expect(r.stdout).toBe(`${text}${JSON.stringify({ stdout: text, stderr: "", all: text, exitCode: 0 })}\n`);
    // Without pty: no terminal.
    const plain = await runRunner(["plain"], { cwd: dir });
    expect(plain.stdout).toBe(`notty\n${JSON.stringify("notty\n")}\n`);
  });

  it("runs ctx.exec's program with its arguments as given, a missing one as the shell tells (127)", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runRunner(["exec"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not found\n/);
    expect(r.stdout.endsWith(`${JSON.stringify(["a b|c|", 127])}\n`)).toBe(true);
  });

  it("keeps a program's colours (ls --color=auto)", async () => {
    const dir = project({ "tasks.mjs": TASKS, "sub/file": "" });
    const r = await runRunner(["colour"], { cwd: dir });
    expect(r.stdout).toBe(`${JSON.stringify({ piped: false, pty: true })}\n`);
  });

  it("types input into the terminal, then an end of file", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runRunner(["input"], { cwd: dir });
    expect(r.code).toBe(0);
    // The terminal echoes what is typed, as terminals do, and cat ends at the end of file. The
    // shell's "got:one" may come while the echo of "two" is still being written: the echo
    // and the two programs' output are checked apart, not their interleaving.
    const [shown = "", captured] = r.stdout.split("result:");
    expect(shown.split("got:one\n").length - 1, shown).toBe(1);
    expect(shown.replace("got:one\n", "")).toBe("one\ntwo" + "two");
    expect(shown.indexOf("one\n")).toBeLessThan(shown.indexOf("got:one"));
    expect(JSON.parse(captured ?? "")).toBe(shown);
  });

  it("reports exit codes and signals", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runRunner(["code"], { cwd: dir });
    expect(r.stdout).toBe(`${JSON.stringify([3, null, "SIGUSR1"])}\n`);
  });

  it("takes the size of runner's terminal", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await inTerminal(["probe"], dir, { before: "stty cols 123 rows 45" });
    expect(r.code).toBe(0);
    expect(r.transcript).toContain("45 123");
  });

  it("lets a program print its progress as it goes (no buffering until exit)", async () => {
    // Python buffers stdout that is not a terminal. The program prints "first", then waits
    // (up to 20 s) for a file the test writes once it has seen "first" from runner.
    const program = [
      "import os, time",
      "print('first')",
      "for _ in range(400):",
      "    if os.path.exists('go'): break",
      "    time.sleep(0.05)",
      "print('found' if os.path.exists('go') else 'gave up')",
    ].join("\n");
    const dir = project({
      "prog.py": program,
      "tasks.mjs": `export const pty = (ctx) => ctx.run("python3 prog.py", { pty: true });\n`,
    });
    const r = await inTerminalWhen(["pty"], dir, "first", () => writeFileSync(join(dir, "go"), ""));
    expect(r.code).toBe(0);
    expect(r.transcript.replaceAll("\r\n", "\n")).toContain("first\nfound\n");
  });

  it("stops a command on a terminal at its time limit, its whole group with it", async () => {
    const dir = project({
      "tasks.mjs": `export const slow = (ctx) => ctx.run("sleep 300 & echo $! > pid; wait", { pty: true, timeout: "1s" });\n`,
    });
    const r = await runRunner(["slow"], { cwd: dir });
    const pid = readPid(dir);
    leftovers.push(pid);
    expect(r.code).toBe(124);
    expect(r.stderr).toContain("timed out");
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it("cancels a command on a terminal when another task fails, its whole group with it", async () => {
    const dir = project({
      "tasks.mjs": `
export const slow = (ctx) => ctx.run("trap '' HUP; sleep 300 & echo $! > pid; wait", { pty: true });
export const fail = (ctx) => ctx.run("while [ ! -s pid ]; do sleep 0.05; done; exit 3");
`,
    });
    const r = await runRunner(["-p", "slow", "fail"], { cwd: dir });
    const pid = readPid(dir);
    leftovers.push(pid);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/slow +cancelled/);
    expect(await waitUntilGone(pid)).toBe(true);
  });
});

describe("pty: true, what a command leaves behind", () => {
  it("ends with the run: a background job that ignores the terminal's hang-up too", async () => {
    const dir = project({
      "tasks.mjs": `
export const deaf = (ctx) => ctx.run("trap '' HUP; sleep 300 & echo $! > pid", { pty: true });
export const after = (ctx) => ctx.run("kill -0 $(cat pid) && echo still-running");
`,
    });
    const r = await runRunner(["deaf", "after"], { cwd: dir });
    const pid = readPid(dir);
    leftovers.push(pid);
    expect(r.code).toBe(0);
    // Left running for later tasks, as without a pty; stopped when the run is over.
    expect(r.stdout).toContain("still-running");
    expect(await waitUntilGone(pid)).toBe(true);
  });
});

/** As inTerminal, calling `then` once `text` has appeared. */
function inTerminalWhen(
  args: readonly string[],
  cwd: string,
  text: string,
  then: () => void,
): Promise<{ code: number | null; transcript: string }> {
  const run = runInTerminal(args, cwd);
  void run.when(text).then(then);
  return run.ended;
}

describe("interactive: true", () => {
  const TASKS = `
export async function ask(ctx) {
  const r = await ctx.run("test -t 0 && test -t 1 && echo on-a-terminal; printf 'name? '; read name; echo hello $name", { interactive: true });
  ctx.log("captured:" + JSON.stringify([r.stdout, r.stderr, r.all, r.exitCode]));
}
export const other = () => {};
`;

  it("hands the command runner's terminal: it reads what is typed, its output is not captured", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await inTerminal(["ask"], dir, { prompt: "name? ", input: "Ada\n" });
    expect(r.code).toBe(0);
    const text = r.transcript.replaceAll("\r\n", "\n");
    expect(text).toContain("on-a-terminal\n");
    expect(text).toContain("hello Ada\n");
    expect(text).toContain(`captured:${JSON.stringify(["", "", "", 0])}`);
  });

  it("is an error in a parallel run, failing that task with one line", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runRunner(["-p", "ask", "other"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "✖ ask: test -t 0 && test -t 1 && echo on-a-terminal; printf 'name? '; read name; echo hello $name: interactive: true needs runner's terminal to itself, but other tasks may run at the same time (-p with more than one job); run it without -p, or with -j1 (tasks.mjs:3:23)\n",
    );
    expect(r.stdout).not.toContain("captured");
  });

  it("is one line naming the option it cannot take", async () => {
    const dir = project({
      "tasks.mjs": `export const both = (ctx) => ctx.run("true", { interactive: true, pty: true });\n`,
    });
    const r = await runRunner(["both"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "✖ both: true: interactive: true hands over runner's terminal, so it cannot take pty too (tasks.mjs:1:34)\n",
    );
  });
});

describe("carriage returns in the prefixed mode", () => {
  const TASKS = `
export const build = (ctx) => ctx.run("printf '50%%\\\\r60%%\\\\r70%%\\\\n'");
export const lint = (ctx) => ctx.run("printf 'a\\\\rb\\\\n'");
`;

  it("on a terminal, redraws the prefix after each \\r: the line ends as `build │ 70%`", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runInTerminal(["-p", "-j1", "--output", "prefixed", "build", "lint"], dir).ended;
    expect(r.code).toBe(0);
    const colours = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");
    const plain = r.transcript.replace(colours, "");
    expect(plain).toContain("build │ 50%\rbuild │ 60%\rbuild │ 70%\r\n");
    expect(screen(r.transcript)).toContain("build │ 70%");
    expect(screen(r.transcript)).toContain("lint  │ b");
  });

  it("off a terminal, keeps each line's last state; grouped output keeps the bytes as printed", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const prefixed = await runBytes(["-p", "-j1", "--output", "prefixed", "build", "lint"], dir);
    expect(prefixed.stdout.toString()).toBe("build │ 70%\nlint  │ b\n");
    const grouped = await runBytes(["-p", "-j1", "--output", "grouped", "build", "lint"], dir);
    expect(grouped.stdout.toString()).toBe("50%\r60%\r70%\na\rb\n");
  });
});

describe("colours of runner's own lines", () => {
  const TASKS = `
export const a = () => console.log("out");
export const b = () => console.log("out");
`;

  it("follow stderr: coloured on a terminal while stdout is a file", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await runInTerminal(["a", "b"], dir, {}, "out.txt").ended;
    expect(r.code).toBe(0);
    expect(r.transcript).toContain("\x1b[32m✔\x1b[39m");
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("out\nout\n");
  });

  it("follow stderr: plain in a file while stdout is a terminal", async () => {
    const dir = project({ "tasks.mjs": TASKS });
    const r = await inTerminal(["a", "b"], dir, { redirect: "2> err.txt" });
    expect(r.code).toBe(0);
    const err = readFileSync(join(dir, "err.txt"), "utf8");
    expect(err).toContain("✔ a");
    expect(err).not.toContain("\x1b[");
    expect(existsSync(join(dir, "out.txt"))).toBe(false);
  });
});
