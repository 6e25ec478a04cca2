// Parallel output modes (SPEC §5) and attribution (SPEC §4), through the real CLI: what
// each mode prints, byte for byte, with stdout and stderr kept apart; output nobody
// could tell apart if it were misattributed; invalid UTF-8, long lines and big outputs;
// colours; GitHub Actions groups.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { runBytes, runMerged } from "./output-helpers.ts";

/**
 * Two tasks that take turns printing, in one process and with no timing: each step waits
 * for the other task's step before it. `compile` leaves a line half-printed while `lint`
 * prints; `lint` ends without a final newline, after `compile` has ended.
 */
const TURNS = `import { task } from "runner-ts";

let turn = 0;
const waiting: (() => void)[] = [];
function pass(): void {
  turn++;
  for (const wake of waiting.splice(0)) wake();
}
async function until(n: number): Promise<void> {
  while (turn < n) await new Promise<void>((wake) => waiting.push(wake));
}

export const compile = task({
  async run(ctx) {
    console.log("compiling");
    process.stdout.write("half a ");
    pass();
    await until(2);
    process.stdout.write("line\\n");
    ctx.log("compiled 12 files");
    await ctx.run("echo from a command");
    await ctx.run("echo 'warning: on stderr' >&2");
    pass();
  },
});

export const lint = task({
  async run(ctx) {
    await until(1);
    console.log("linting");
    console.error("lint: a warning");
    await ctx.run("printf 'lint command\\\\n'");
    pass();
    await until(3);
    // compile's end is promise callbacks only: one turn of the event loop lets it finish first.
    await new Promise((resolve) => setImmediate(resolve));
    process.stdout.write("no newline at the end");
  },
});

export const ok = task({ run: (ctx) => ctx.run("echo ok output") });
export const bad = task({
  async run(ctx) {
    console.log("bad: before");
    await ctx.run("echo 'bad: on stderr' >&2; exit 3");
  },
});

export const hex = task({
  run: () => {
    process.stdout.write("6869210a", "hex");
  },
});
`;

const dir = project({ "tasks.ts": TURNS });

const SUMMARY = ["", "  ✔ compile  passed <time>", "  ✔ lint     passed <time>", "2 tasks: 2 passed in <time>", ""];

/** For the byte tests: `blob` prints a line with no newline and holds it while `other` prints. */
const BLOB_TASKS = `export const blob = task({
  async run(ctx) {
    await ctx.run("cat blob.bin");
    pass();
    await until(2);
  },
});

export const other = task({
  async run(ctx) {
    await until(1);
    await ctx.run("echo other");
    pass();
  },
});
`;

describe("prefixed", () => {
  it("puts every line under its task's name, padded; a partial line waits for its newline, and gets one at the end", async () => {
    const run = await runMerged(["-p", "--output", "prefixed", "compile", "lint"], dir);
    expect(run.code).toBe(0);
    expect(normalize(run.text)).toBe(
      [
        "compile │ compiling",
        "lint    │ linting",
        "lint    │ lint: a warning",
        "lint    │ lint command",
        "compile │ half a line",
        "compile │ compiled 12 files",
        "compile │ from a command",
        "compile │ warning: on stderr",
        "✔ compile <time>",
        "lint    │ no newline at the end",
        "✔ lint <time>",
        ...SUMMARY,
      ].join("\n"),
    );
  });

  it("keeps task stdout on stdout and task stderr on stderr, runner's lines on stderr", async () => {
    const run = await runRunner(["-p", "--output", "prefixed", "compile", "lint"], { cwd: dir });
    expect(run.stdout).toBe(
      [
        "compile │ compiling",
        "lint    │ linting",
        "lint    │ lint command",
        "compile │ half a line",
        "compile │ compiled 12 files",
        "compile │ from a command",
        "lint    │ no newline at the end",
        "",
      ].join("\n"),
    );
    expect(normalize(run.stderr)).toBe(
      [
        "lint    │ lint: a warning",
        "compile │ warning: on stderr",
        "✔ compile <time>",
        "✔ lint <time>",
        ...SUMMARY,
      ].join("\n"),
    );
  });

  it("names a task that runs more than once by its options", async () => {
    const twice = project({
      "tasks.ts": `import { task } from "runner-ts";
export const say = task({
  options: { word: { type: "string", default: "hi" } },
  run: (ctx, o) => ctx.log(o.word),
});
`,
    });
    const run = await runRunner(["-p", "--output", "prefixed", "say", "say", "--word", "there"], { cwd: twice });
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n").sort()).toEqual(["", "say              │ hi", "say --word there │ there"]);
  });

  it("writes text given in another encoding as the bytes it stands for", async () => {
    const run = await runRunner(["-p", "--output", "prefixed", "hex", "ok"], { cwd: dir });
    expect(run.stdout.split("\n").sort()).toEqual(["", "hex │ hi!", "ok  │ ok output"]);
  });

  it("passes invalid UTF-8 and a 5 MB line through intact, never glued to another task's line", async () => {
    // Bytes 0x80-0xFF alone are never valid UTF-8; no 0x0A, so the whole file is one line.
    const blob = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = i % 7 === 0 ? 0xff : 0x80 + (i % 0x7f);
    const turns = project({ "tasks.ts": TURNS.replace(/export const compile[\s\S]*/, BLOB_TASKS) });
    writeFileSync(join(turns, "blob.bin"), blob);
    const run = await runBytes(["-p", "--output", "prefixed", "blob", "other"], turns);
    expect(run.code).toBe(0);
    const expected = Buffer.concat([Buffer.from("other │ other\nblob  │ "), blob, Buffer.from("\n")]);
    expect(run.stdout.length).toBe(expected.length);
    expect(run.stdout.equals(expected)).toBe(true);
  });

  it("cuts a line longer than 16 MiB into lines of 16 MiB, wherever the chunks fell", async () => {
    const max = 16 * 1024 * 1024;
    const turns = project({
      "tasks.ts": `export const long = (ctx) => ctx.run("cat long.txt; echo; cat long.txt");\n`,
    });
    writeFileSync(join(turns, "long.txt"), "x".repeat(max + 100));
    const run = await runBytes(["-p", "--output", "prefixed", "long"], turns);
    expect(run.code).toBe(0);
    const line = (n: number): string => `long │ ${"x".repeat(n)}\n`;
    const expected = Buffer.from(line(max) + line(100) + line(max) + line(100));
    expect(run.stdout.length).toBe(expected.length);
    expect(run.stdout.equals(expected)).toBe(true);
  });
});

describe("grouped", () => {
  it("prints each task's output as one block when it ends, stdout and stderr parts in the order they came", async () => {
    const run = await runMerged(["-p", "--output", "grouped", "compile", "lint"], dir);
    expect(run.code).toBe(0);
    expect(normalize(run.text)).toBe(
      [
        "▶ compile",
        "compiling",
        "half a line",
        "compiled 12 files",
        "from a command",
        "warning: on stderr",
        "✔ compile <time>",
        "▶ lint",
        "linting",
        "lint: a warning",
        "lint command",
        "no newline at the end",
        "✔ lint <time>",
        ...SUMMARY,
      ].join("\n"),
    );
  });

  it("is the default when stdout is not a terminal, and keeps stdout and stderr apart", async () => {
    const run = await runRunner(["-p", "compile", "lint"], { cwd: dir });
    expect(run.stdout).toBe(
      [
        "compiling",
        "half a line",
        "compiled 12 files",
        "from a command",
        "linting",
        "lint command",
        "no newline at the end",
        "",
      ].join("\n"),
    );
    expect(normalize(run.stderr)).toBe(
      [
        "▶ compile",
        "warning: on stderr",
        "✔ compile <time>",
        "▶ lint",
        "lint: a warning",
        "✔ lint <time>",
        ...SUMMARY,
      ].join("\n"),
    );
  });

  it("wraps blocks in ::group::/::endgroup:: on GitHub Actions", async () => {
    const run = await runMerged(["-p", "compile", "lint"], dir, { GITHUB_ACTIONS: "true", CI: "true" });
    expect(normalize(run.text)).toBe(
      [
        "::group::compile",
        "compiling",
        "half a line",
        "compiled 12 files",
        "from a command",
        "warning: on stderr",
        "::endgroup::",
        "✔ compile <time>",
        "::group::lint",
        "linting",
        "lint: a warning",
        "lint command",
        "no newline at the end",
        "::endgroup::",
        "✔ lint <time>",
        ...SUMMARY,
      ].join("\n"),
    );
  });

  it("shows what task code prints after its task ended in a block of its own at the end", async () => {
    const late = project({
      "tasks.ts": `import { writeFileSync } from "node:fs";
export function leaky() {
  console.log("before it ended");
  setTimeout(() => {
    console.log("after it ended");
    writeFileSync("late", "");
  }, 0);
}
export const waits = (ctx) => ctx.run("while [ ! -e late ]; do sleep 0.01; done; echo waited");
`,
    });
    const run = await runMerged(["-p", "leaky", "waits"], late);
    expect(run.code).toBe(0);
    expect(normalize(run.text)).toMatch(
      /^▶ leaky\nbefore it ended\n✔ leaky <time>\n▶ waits\nwaited\n✔ waits <time>\n▶ leaky\nafter it ended\n\n/,
    );
  });

  it("holds a big output in a temporary file, not in memory, and writes it out intact; the file is gone after", async () => {
    const big = project({
      "tasks.ts": `import { writeFileSync } from "node:fs";
export const big = async (ctx) => {
  await ctx.run("cat big.bin; cat small.bin >&2; touch printed");
  await ctx.run("while [ ! -e go ] || [ ! -e quick-done ]; do sleep 0.01; done");
};
export const quick = async (ctx) => {
  await ctx.run("echo quick");
  writeFileSync("quick-done", "");
};
`,
    });
    const blob = Buffer.alloc(96 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24; // newlines and invalid UTF-8
    blob[blob.length - 1] = 0x0a;
    writeFileSync(join(big, "big.bin"), blob);
    writeFileSync(join(big, "small.bin"), blob.subarray(0, 1000));
    const tmp = join(big, "tmp");
    mkdirSync(tmp);
    let spill: string | undefined;
    let peakKb = 0;
    const run = await runBytes(["-p", "--output", "grouped", "big", "quick"], big, { TMPDIR: tmp }, (pid) => {
      void (async () => {
        while (!existsSync(join(big, "printed"))) await sleep(20);
        // The held output is in an unlinked file under TMPDIR that runner keeps open.
        spill = openFilesUnder(pid, tmp)[0];
        peakKb = Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
        writeFileSync(join(big, "go"), "");
      })();
    });
    expect(run.code).toBe(0);
    expect(spill).toMatch(/runner-output-.* \(deleted\)$/);
    // runner itself takes ~70 MB (~110 MB at its peak while streaming); 96 MB held in
    // memory would come on top of that.
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(150 * 1024);
    const digest = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");
    expect(digest(run.stdout)).toBe(digest(Buffer.concat([Buffer.from("quick\n"), blob])));
    expect(run.stdout.length).toBe(blob.length + 6);
    const small = blob.subarray(0, 1000);
    expect(normalize(run.stderr.toString()).startsWith("▶ quick\n✔ quick <time>\n▶ big\n")).toBe(true);
    expect(run.stderr.includes(Buffer.concat([Buffer.from("▶ big\n"), small, Buffer.from("\n✔ big ")]))).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("spills to temporary files once all tasks together hold too much, though each holds little", async () => {
    const names = ["t1", "t2", "t3", "t4", "t5", "t6"];
    const many = project({
      "tasks.ts": names
        .map(
          (name) =>
            `export const ${name} = (ctx) => ctx.run("cat seven.bin; touch printed-${name}; while [ ! -e go ]; do sleep 0.01; done");\n`,
        )
        .join(""),
    });
    // 7 MB each is under the limit for one task; six of them are over the budget for all.
    const blob = Buffer.alloc(7 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
    blob[blob.length - 1] = 0x0a;
    writeFileSync(join(many, "seven.bin"), blob);
    const tmp = join(many, "tmp");
    mkdirSync(tmp);
    let spills: string[] = [];
    const run = await runBytes(["-p", "-j", "6", "--output", "grouped", ...names], many, { TMPDIR: tmp }, (pid) => {
      void (async () => {
        while (!names.every((name) => existsSync(join(many, `printed-${name}`)))) await sleep(20);
        spills = openFilesUnder(pid, tmp);
        writeFileSync(join(many, "go"), "");
      })();
    });
    expect(run.code).toBe(0);
    expect(spills.length).toBeGreaterThanOrEqual(2);
    expect(run.stdout.equals(Buffer.concat(names.map(() => blob)))).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe("choosing the mode", () => {
  it("takes it from the output setting, and from RUNNER_OUTPUT over that", async () => {
    const configured = project({
      "tasks.ts": TURNS,
      "package.json": JSON.stringify({ runner: { output: "prefixed" } }),
    });
    const fromConfig = await runRunner(["-p", "compile", "lint"], { cwd: configured });
    expect(fromConfig.stdout).toContain("compile │ compiling\n");
    const fromEnv = await runRunner(["-p", "compile", "lint"], { cwd: configured, env: { RUNNER_OUTPUT: "quiet" } });
    expect(fromEnv.stdout).toBe("");
    expect(normalize(fromEnv.stderr)).toBe(SUMMARY.join("\n"));
  });
});

describe("quiet", () => {
  it("prints only the summary when every task passes", async () => {
    const run = await runRunner(["-p", "--output", "quiet", "compile", "lint"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(normalize(run.stderr)).toBe(SUMMARY.join("\n"));
  });

  it("prints the whole output of a failed task, and nothing of those that passed", async () => {
    const run = await runMerged(["-p", "-k", "--output", "quiet", "ok", "bad"], dir);
    expect(run.code).toBe(3);
    const [shown, summary] = normalize(run.text).split("\n\n");
    expect(shown).toBe(
      [
        "▶ bad",
        "bad: before",
        "bad: on stderr",
        "✖ bad: Command failed with exit code 3: echo 'bad: on stderr' >&2; exit 3",
      ].join("\n"),
    );
    expect(summary).toContain("2 tasks: 1 passed, 1 failed in <time>");
    expect(run.text).not.toContain("ok output");
  });
});

describe("interleaved", () => {
  it("passes output through raw, as it comes", async () => {
    const run = await runMerged(["-p", "--output", "interleaved", "compile", "lint"], dir);
    expect(run.code).toBe(0);
    expect(normalize(run.text)).toBe(
      [
        "compiling",
        "half a linting",
        "lint: a warning",
        "lint command",
        "line",
        "compiled 12 files",
        "from a command",
        "warning: on stderr",
        "✔ compile <time>",
        "no newline at the end✔ lint <time>",
        ...SUMMARY,
      ].join("\n"),
    );
  });
});

describe("colours", () => {
  const prefix = (color: number, name: string, pad: string): string =>
    `\x1b[${color}m${name}\x1b[39m${pad} \x1b[2m│\x1b[22m `;

  it("gives each task's prefix its own colour when forced (--color, FORCE_COLOR)", async () => {
    for (const [args, env] of [
      [["--color"], {}],
      [[], { FORCE_COLOR: "1" }],
    ] as const) {
      const run = await runRunner([...args, "-p", "--output", "prefixed", "compile", "lint"], { cwd: dir, env });
      expect(run.stdout).toContain(`${prefix(36, "compile", "")}compiling\n`);
      expect(run.stdout).toContain(`${prefix(35, "lint", "   ")}linting\n`);
    }
  });

  it("prints no escape codes when stdout is not a terminal, or NO_COLOR / --no-color say so", async () => {
    for (const mode of ["prefixed", "grouped", "quiet", "interleaved"]) {
      for (const [args, env] of [
        [[], {}],
        [[], { NO_COLOR: "1", FORCE_COLOR: "1" }],
        [["--no-color"], { FORCE_COLOR: "1" }],
      ] as const) {
        const run = await runRunner([...args, "-p", "-k", "--output", mode, "compile", "lint", "bad"], {
          cwd: dir,
          env,
        });
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("3 tasks:");
        expect(run.all).not.toContain("\x1b");
        expect(run.all).not.toContain("running:");
      }
    }
  });
});

/** The files under `dir` that process `pid` has open. */
function openFilesUnder(pid: number, dir: string): string[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => linkTarget(`/proc/${pid}/fd/${fd}`))
    .filter((target): target is string => target?.startsWith(dir) === true);
}

/** Where a symbolic link points, or undefined if it went away meanwhile. */
function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
