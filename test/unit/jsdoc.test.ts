// Descriptions from JSDoc comments, with generated sources: strings, templates (nested),
// regular expressions, divisions and comments full of `/**`, `*/`, `//`, quotes and
// backticks, between documented tasks. Every task's description must be exactly the one
// written. Seeded and bounded; the seed is in the test name of any failure, to replay it.
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { scanDocs } from "../../src/loader/jsdoc.ts";
import { random } from "../random.ts";

type Pick = <T>(items: readonly T[]) => T;

/** Text that looks like comments and quotes, for inside strings, templates and comments. */
const TRICKY = ["/**", "*/", "//", "/*", "**", "`", "'", '"', "${", "}", "{", "src/**/*.ts", " ", "x", "\\n", "*"];

function trickyText(pick: Pick, next: () => number): string {
  return Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(TRICKY)).join("");
}

/** A string literal holding tricky text, in either quote, escaped as it must be. */
function stringLiteral(pick: Pick, next: () => number): string {
  const quote = pick(["'", '"']);
  const body = trickyText(pick, next).replaceAll("\\n", "\\\\n").replaceAll(quote, `\\${quote}`);
  return `${quote}${body}${quote}`;
}

/** A template literal, its `${}` holding strings, objects and further templates. */
function templateLiteral(pick: Pick, next: () => number, depth: number): string {
  const text = (): string =>
    trickyText(pick, next).replaceAll("\\n", "\\\\n").replaceAll("`", "\\`").replaceAll("${", "\\${");
  const parts = [text()];
  for (let i = Math.floor(next() * 3); i > 0; i--) {
    const inner =
      depth > 0 && next() < 0.4
        ? templateLiteral(pick, next, depth - 1)
        : pick([stringLiteral(pick, next), `{ a: ${stringLiteral(pick, next)} }.a`, "1 / 2", `[/\\/\\*\\*/].length`]);
    parts.push(`\${${inner}}`, text());
  }
  return `\`${parts.join("")}\``;
}

const REGEX_PARTS = ["\\/\\*\\*", "\\*\\/", "\\/\\/", "[*/]", "[`'\"]", "a*", "(?:x|\\/)", "\\*+", "[/]"];

/** Code that is no task: what a real tasks file holds between its tasks. */
function noise(pick: Pick, next: () => number, n: number): string {
  const forms = [
    () => `const s${n} = ${stringLiteral(pick, next)};`,
    () => `const t${n} = ${templateLiteral(pick, next, 2)};`,
    () => `const r${n} = /${Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(REGEX_PARTS)).join("")}/g;`,
    () => `const d${n}: number = ${n} / 2 / (1 as number) /${1 + n};`,
    () => `// ${trickyText(pick, next).replaceAll("\n", " ")}`,
    () => `/* ${trickyText(pick, next).replaceAll("*/", "* /")} */`,
    () =>
      `/** Not a task ${n} */\nconst c${n}: Array<string> = [${stringLiteral(pick, next)}] as const satisfies readonly string[];`,
    () => `const e${n} = (x: number): RegExp => (x > 1 ? /\\/\\*\\*/ : /[*/]/);`,
    () => `if (${n} > 1) /\\/\\*\\*\\//.test("x");`,
    () => `const run${n} = (ctx: { run(c: string): void }) => ctx.run("eslint 'src/**/*.ts'");`,
  ];
  return pick(forms)();
}

/** A description: words, with marks that are harmless inside a JSDoc comment. */
function description(pick: Pick, next: () => number, n: number): string {
  const words = [
    "Build",
    "the",
    "docs",
    "src/**",
    "*.ts",
    "`code`",
    "'quoted'",
    '"double"',
    "// not a comment",
    "a/b",
    "${x}",
    "**bold**",
  ];
  return [`Task ${n}:`, ...Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(words))].join(" ");
}

function documentedTask(pick: Pick, next: () => number, n: number, doc: string): string {
  const body = Array.from({ length: Math.floor(next() * 3) }, (_, i) => `  ${noise(pick, next, n * 100 + i)}`).join(
    "\n",
  );
  const comment =
    next() < 0.5
      ? `/** ${doc} */`
      : `/**\n * ${doc}\n *\n * More about ${stringLiteral(pick, next).replaceAll("/", "|")}.\n */`;
  const between = next() < 0.3 ? "\n// eslint-disable-next-line" : "";
  const form = pick([
    `export function task${n}(): void {\n${body}\n}`,
    `export async function task${n}(): Promise<void> {\n${body}\n}`,
    `export const task${n} = task({ run: () => {\n${body}\n} });`,
    `export const task${n} = async (): Promise<void> => {\n${body}\n};`,
  ]);
  return `${comment}${between}\n${form}`;
}

/** A tasks file: noise and documented tasks, interleaved; and the description of each task. */
function generate(seed: number): { source: string; expected: Map<string, string> } {
  const next = random(seed);
  const pick: Pick = (items) => items[Math.floor(next() * items.length)] as (typeof items)[number];
  const expected = new Map<string, string>();
  const chunks = [`declare function task(definition: { run: () => unknown }): unknown;`];
  for (let n = 0; n < 12; n++) {
    chunks.push(noise(pick, next, n));
    if (next() < 0.5) {
      const doc = description(pick, next, n);
      expected.set(`task${n}`, doc);
      chunks.push(documentedTask(pick, next, n, doc));
    }
  }
  return { source: `${chunks.join("\n")}\n`, expected };
}

describe("scanDocs on generated sources", () => {
  const seeds = Array.from({ length: 300 }, (_, i) => 1000 + i);
  it.each(seeds)("seed %i: every task has exactly the description written", async (seed) => {
    const { source, expected } = generate(seed);
    // The generator makes valid TypeScript, or the test would prove nothing.
    expect(() => transformSync(source, { loader: "ts" })).not.toThrow();
    const docs = await scanDocs(source);
    const found = new Map(
      [...docs].filter(([name]) => /^task\d+$/.test(name)).map(([name, doc]) => [name, doc.split("\n")[0]]),
    );
    expect(found).toEqual(expected);
  });
});

describe("scanDocs", () => {
  it("reads past the examples of issue 10", async () => {
    const source = [
      `const SRC = "src/**/*.ts";`,
      `export const lint = task({ run: (ctx) => ctx.run("eslint 'src/**/*.ts'") });`,
      `/** Run the tests */`,
      `export function test() {}`,
    ].join("\n");
    expect(await scanDocs(source)).toEqual(new Map([["test", "Run the tests"]]));
  });

  it("keeps the rules: line comments between, no other code between, the last JSDoc wins", async () => {
    const source = [
      `/** Kept */`,
      `// eslint-disable-next-line`,
      `export default async function kept() {}`,
      `/** Detached */`,
      `/* another comment */`,
      `export function detached() {}`,
      `/** Too early */`,
      `/** Last */`,
      `export function* last() {}`,
      `/** Anonymous */`,
      `export default function () {}`,
      `/**/`,
      `export function empty() {}`,
    ].join("\n");
    expect(await scanDocs(source)).toEqual(
      new Map([
        ["kept", "Kept"],
        ["last", "Last"],
      ]),
    );
  });
});
