// The live status line (SPEC §5), on a real pseudo-terminal (util-linux `script`): shown
// while tasks run in the grouped and quiet modes, out of the way of every block and line,
// gone at the end; never in the prefixed mode, under CI, or without a terminal. Tasks wait
// for a marker file the test writes once it has seen the line, so nothing depends on timing.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalize, project, runRunner } from "./helpers.ts";
import { runInTerminal, screen } from "./output-helpers.ts";
import { statusText } from "../src/display/status-line.ts";

/** alpha and beta wait for `go`; beta ends after alpha (it waits for alpha's marker too). */
const TASKS = `import { writeFileSync } from "node:fs";
const wait = (file: string): string => \`while [ ! -e \${file} ]; do sleep 0.01; done\`;
export const alpha = async (ctx) => {
  await ctx.run(\`echo alpha starts; \${wait("go")}; echo alpha done\`);
  writeFileSync("alpha-ended", "");
};
export const beta = (ctx) => ctx.run(\`echo beta starts; \${wait("go")}; \${wait("alpha-ended")}; echo beta done >&2\`);
export const failing = (ctx) => ctx.run(\`echo failing out; \${wait("go")}; \${wait("alpha-ended")}; exit 4\`);
`;

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

describe("the live status line on a terminal", () => {
  it("shows what runs and for how long in the grouped mode, redrawn, and leaves no trace on the screen", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const term = runInTerminal(["-p", "--output", "grouped", "alpha", "beta"], dir);
    await term.when("2 running: alpha ");
    // A second frame of the spinner: the line is redrawn while the tasks run.
    await term.when("⠙");
    writeFileSync(join(dir, "go"), "");
    const { code, transcript } = await term.ended;
    expect(code).toBe(0);
    expect(transcript).toMatch(new RegExp(`${SPINNER.source}\\x1b\\[39m 2 running: alpha \\d+(ms|\\.\\ds), beta \\d+`));
    expect(normalize(screen(transcript).join("\n"))).toBe(
      [
        "▶ alpha",
        "alpha starts",
        "alpha done",
        "✔ alpha <time>",
        "▶ beta",
        "beta starts",
        "beta done",
        "✔ beta <time>",
        "",
        "  ✔ alpha  passed <time>",
        "  ✔ beta   passed <time>",
        "2 tasks: 2 passed in <time>",
        "",
      ].join("\n"),
    );
    // Nothing is drawn after the summary.
    const afterSummary = transcript.slice(transcript.lastIndexOf("2 tasks:"));
    expect(afterSummary).not.toContain("running");
    expect(afterSummary).not.toContain("\x1b[2K");
  });

  it("shows in the quiet mode too, above the failed task's block", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const term = runInTerminal(["-p", "-k", "--output", "quiet", "alpha", "failing"], dir);
    await term.when("2 running: alpha ");
    writeFileSync(join(dir, "go"), "");
    const { code, transcript } = await term.ended;
    expect(code).toBe(4);
    const [shown, summary] = normalize(screen(transcript).join("\n")).split("\n\n");
    expect(shown).toBe(
      [
        "▶ failing",
        "failing out",
        `✖ failing: Command failed with exit code 4: echo failing out; while [ ! -e go ]; do sleep 0.01; done; while [ ! -e alpha-ended ]; do sleep 0.01; done; exit 4`,
      ].join("\n"),
    );
    expect(summary).toContain("2 tasks: 1 passed, 1 failed in <time>");
    expect(summary).not.toContain("running");
  });

  it("is shown on the terminal when only stdout is redirected, and nothing of it goes to the file", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const term = runInTerminal(["-p", "alpha", "beta"], dir, {}, "out.txt");
    await term.when("2 running: alpha ");
    writeFileSync(join(dir, "go"), "");
    const { code, transcript } = await term.ended;
    expect(code).toBe(0);
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("alpha starts\nalpha done\nbeta starts\n");
    expect(normalize(screen(transcript).join("\n"))).toContain(
      ["▶ alpha", "✔ alpha <time>", "▶ beta", "beta done", "✔ beta <time>", ""].join("\n"),
    );
  });

  it("is not shown in the prefixed mode, the default on a terminal, where each task's prefix has its colour", async () => {
    const dir = project({ "tasks.ts": TASKS });
    writeFileSync(join(dir, "go"), "");
    const { code, transcript } = await runInTerminal(["-p", "alpha", "beta"], dir).ended;
    expect(code).toBe(0);
    expect(transcript).toContain("\x1b[36malpha\x1b[39m \x1b[2m│\x1b[22m alpha starts\r\n");
    expect(transcript).toContain("\x1b[35mbeta\x1b[39m  \x1b[2m│\x1b[22m beta starts\r\n");
    expect(transcript).not.toContain("running:");
    expect(transcript).not.toContain("\x1b[2K");
  });

  it("is not shown under CI (grouped is then the default) nor on a dumb terminal", async () => {
    for (const env of [{ CI: "true" }, { TERM: "dumb" }]) {
      const dir = project({ "tasks.ts": TASKS });
      writeFileSync(join(dir, "go"), "");
      const { code, transcript } = await runInTerminal(["-p", "--output", "grouped", "alpha", "beta"], dir, env).ended;
      expect(code).toBe(0);
      expect(screen(transcript)).toContain("▶ alpha");
      expect(transcript).not.toContain("running:");
      expect(transcript).not.toContain("\x1b[2K");
    }
    const dir = project({ "tasks.ts": TASKS });
    writeFileSync(join(dir, "go"), "");
    const ci = await runInTerminal(["-p", "alpha", "beta"], dir, { CI: "true" }).ended;
    expect(screen(ci.transcript).slice(0, 4)).toEqual([
      "▶ alpha",
      "alpha starts",
      "alpha done",
      expect.stringMatching(/^✔ alpha /),
    ]);
  });

  it("is not shown without a terminal, in any mode, and no escape code is written", async () => {
    const dir = project({ "tasks.ts": TASKS });
    writeFileSync(join(dir, "go"), "");
    for (const mode of ["grouped", "quiet"]) {
      const run = await runRunner(["-p", "-k", "--output", mode, "alpha", "failing"], { cwd: dir });
      expect(run.code).toBe(4);
      expect(run.all).not.toContain("running");
      expect(run.all).not.toContain("\x1b");
    }
  });
});

describe("the status line's text", () => {
  it("names each running task with its time so far, and is cut to the terminal's width", () => {
    const running = [
      { name: "build", since: 0 },
      { name: "test", since: 2100 },
    ];
    expect(statusText(running, 3200, "⠋", 80)).toBe("⠋ 2 running: build 3.2s, test 1.1s");
    expect(statusText(running, 3200, "⠋", 20)).toBe("⠋ 2 running: build…");
    expect(Array.from(statusText(running, 3200, "⠋", 21))).toHaveLength(21);
    expect(statusText(running, 3200, "⠋", 21)).toBe("⠋ 2 running: build 3…");
  });
});
