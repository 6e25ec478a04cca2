// --graph (SPEC §2, §5): the plan's dependency graph in Mermaid (the default) or Graphviz
// DOT, printed by the real CLI, nothing run; labels escaped so that any task name or option
// value shows as it is. The Mermaid escapes were checked by rendering with mermaid 12; the DOT
// ones are rendered with Graphviz where it is installed. Here the exact text is pinned.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, runRunner } from "./helpers.ts";
import { dotText, mermaidText } from "../src/cli/graph-output.ts";

const TASKS = `import { writeFileSync } from "node:fs";
import { task } from "runner";
const ran = (name: string) => () => writeFileSync(name + ".ran", "");
export const clean = task({ run: ran("clean") });
export const build = task({
  deps: [clean],
  options: { target: { type: "string", default: "es2022" } },
  run: ran("build"),
});
export const lint = task({ run: ran("lint") });
export const test = task({ deps: [build, lint], run: ran("test") });
export const docs = { build: task({ deps: [build], run: ran("docs") }) };
export const odd = { 'say "hi" <b>': task({ run: ran("odd") }) };
`;

const MERMAID = `flowchart TD
  s1["clean"]
  s2["build"]
  s3["lint"]
  s4["test"]
  s5["docs.build"]
  s2 --> s1
  s4 --> s2
  s4 --> s3
  s5 --> s2
`;

const DOT = `digraph runner {
  node [shape=box];
  s1 [label="clean"];
  s2 [label="build"];
  s3 [label="lint"];
  s4 [label="test"];
  s5 [label="docs.build"];
  s2 -> s1;
  s4 -> s2;
  s4 -> s3;
  s5 -> s2;
}
`;

describe("--graph", () => {
  const dir = project({ "tasks.ts": TASKS });
  const run = (args: readonly string[]) => runRunner(args, { cwd: dir });

  it("prints the Mermaid graph of what would run, edges from a task to its deps, and runs nothing", async () => {
    const result = await run(["--graph", "test", "docs.build"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(MERMAID);
    expect(result.code).toBe(0);
    for (const name of ["clean", "build", "lint", "test", "docs"])
      expect(existsSync(join(dir, `${name}.ran`))).toBe(false);
    // mermaid by name, after the task, with =, and with -p or -k: the same graph.
    for (const args of [
      ["--graph", "mermaid", "test", "docs.build"],
      ["test", "docs.build", "--graph"],
      ["--graph=mermaid", "-p", "-k", "test", "docs.build"],
    ]) {
      expect((await run(args)).stdout, args.join(" ")).toBe(MERMAID);
    }
  });

  it("prints Graphviz DOT with --graph dot", async () => {
    const result = await run(["--graph", "dot", "test", "docs.build"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(DOT);
    expect(result.code).toBe(0);
    expect((await run(["test", "--graph=dot", "docs.build"])).stdout).toBe(DOT);
  });

  it("labels a step as --plan names it, options included; the same task twice is two nodes", async () => {
    const result = await run(["--graph", "build", "--target", "esnext", "build"]);
    expect(result.stdout).toBe(`flowchart TD
  s1["clean"]
  s2["build --target esnext"]
  s3["build"]
  s2 --> s1
  s3 --> s1
`);
  });

  it("escapes quotes and special characters in names and option values, in both formats", async () => {
    const value = 'a"b\\c#x<y>&`z` style u:#f;\nnext';
    const mermaid = await run(["--graph", "build", "--target", value, 'odd.say "hi" <b>']);
    expect(mermaid.stderr).toBe("");
    expect(mermaid.stdout).toBe(`flowchart TD
  s1["clean"]
  s2["build --target a#34;b#92;c#35;x#60;y#62;#38;#96;z#96; style u#58;#35;f;#10;next"]
  s3["odd.say #34;hi#34; #60;b#62;"]
  s2 --> s1
`);
    const dot = await run(["--graph", "dot", "build", "--target", value, 'odd.say "hi" <b>']);
    expect(dot.stdout).toBe(`digraph runner {
  node [shape=box];
  s1 [label="clean"];
  s2 [label="build --target a\\"b\\\\c#x<y>&amp;\`z\` style u:#f;\\nnext"];
  s3 [label="odd.say \\"hi\\" <b>"];
  s2 -> s1;
}
`);
  });

  it("an unknown format is a one-line error, exit 2, nothing run; a misspelt task is still one", async () => {
    for (const args of [
      ["--graph=svg", "test"],
      ["--graph", "svg", "test"],
      ["test", "--graph", "svg"],
    ]) {
      const result = await run(args);
      expect(result.stderr, args.join(" ")).toBe('Invalid value "svg" for --graph: expected one of mermaid, dot.\n');
      expect(result.stdout).toBe("");
      expect(result.code).toBe(2);
    }
    const typo = await run(["--graph", "tset"]);
    expect(typo.stderr).toBe('Unknown task "tset". Did you mean "test"?\n');
    expect(typo.code).toBe(2);
    const both = await run(["--graph", "--plan", "test"]);
    expect(both.stderr).toBe("Options --plan and --graph print different things: use one.\n");
    expect(both.code).toBe(2);
    for (const name of ["clean", "build", "lint", "test"]) expect(existsSync(join(dir, `${name}.ran`))).toBe(false);
  });
});

/** The text lines Graphviz draws for a DOT graph (`dot -Tsvg`), entities decoded. */
function graphvizTexts(dot: string): string[] {
  const svg = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8" });
  expect(svg.stderr).toBe("");
  const decode = (text: string): string =>
    text
      .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&");
  return [...svg.stdout.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => decode(match[1] ?? ""));
}

const hasGraphviz = spawnSync("dot", ["-V"]).status === 0;
// .ci/run installs Graphviz: in CI its absence is a failure, not a skip.
if (!hasGraphviz && process.env.CI === "true") throw new Error("Graphviz (dot) is not installed; .ci/run installs it");

describe("post tasks", () => {
  it("draw a dashed 'after' edge to the task they follow, in both formats", async () => {
    const dir = project({
      "tasks.ts": `import { task } from "runner";
export const notify = task({ run() {} });
export const clean = task({ run() {} });
export const build = task({ deps: [clean], post: [notify], run() {} });
`,
    });
    const mermaid = await runRunner(["--graph", "build"], { cwd: dir });
    expect(mermaid.stdout).toBe(
      'flowchart TD\n  s1["clean"]\n  s2["build"]\n  s3["notify"]\n  s2 --> s1\n  s3 -. after .-> s2\n',
    );
    const dot = await runRunner(["--graph", "dot", "build"], { cwd: dir });
    expect(dot.stdout).toContain('  s3 -> s2 [style=dashed, label="after"];\n');
  });
});

describe("graph labels", () => {
  it.skipIf(!hasGraphviz)("DOT: Graphviz draws every label as typed", async () => {
    const dir = project({ "tasks.ts": TASKS });
    const value = 'a"b\\c#x<y>&#35;&`z` \\n';
    const result = await runRunner(["--graph", "dot", "build", "--target", value, 'odd.say "hi" <b>'], { cwd: dir });
    expect(graphvizTexts(result.stdout)).toEqual(["clean", `build --target ${value}`, 'odd.say "hi" <b>']);
  });

  it("Mermaid: every character that Mermaid would read is written as its #code;", () => {
    expect(mermaidText("plain docs.build --x 1 http://h:1/p")).toBe("plain docs.build --x 1 http://h:1/p");
    expect(mermaidText('"#&<>`\\\t')).toBe("#34;#35;#38;#60;#62;#96;#92;#9;");
    // `style`/`classDef` lines are rewritten by Mermaid before parsing: no `:` left in them.
    expect(mermaidText("style a:b")).toBe("style a#58;b");
  });

  it("DOT: quotes, backslashes, entities and line ends", () => {
    expect(dotText('a"b\\n&lt;\r\nc\u0001')).toBe('a\\"b\\\\n&amp;lt;\\nc');
  });
});

describe("core help", () => {
  it("lists --graph with its formats and --trace", async () => {
    const result = await runRunner(["--help"], { cwd: project({ "tasks.ts": TASKS }) });
    expect(result.stdout).toMatch(
      /\n {2}--graph \[format\] +print the dependency graph [\s\S]*?\(choices: "mermaid", "dot"\)\n/,
    );
    expect(result.stdout).toMatch(/\n {2}--trace <file> +write the run as Chrome trace events/);
  });
});
