// What `--graph` prints: the plan's steps as a dependency graph, in Mermaid (GitHub renders
// ```mermaid blocks) or Graphviz DOT. The same plan as `--plan`: one node per step, labelled
// as `--plan` names it (`build --target esnext`), with ids `s1`, `s2`, … numbered as
// `--plan` and `--plan --json` number the steps, so names like `docs.build` or options
// with quotes never reach an id. Edges point from a task to each task it depends on, as
// turbo's, Bazel's and Nx's graphs do; laid out top-down, the tasks named come first. A post
// task's edge to the task it follows is dashed and says "after": it waits for that task to
// end, passed or not, rather than needing it to pass.
import { showText } from "../common/show-value.ts";
import { UserError } from "../common/user-error.ts";
import { describeStep } from "../plan/describe.ts";
import type { Step } from "../plan/plan.ts";
import { unreachable } from "../common/unreachable.ts";
import { GRAPH_FORMATS } from "./grammar.ts";

export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function graphText(steps: readonly Step[], format: string): string {
  if (!isGraphFormat(format)) {
    throw new UserError(`Invalid value ${showText(format)} for --graph: expected one of ${GRAPH_FORMATS.join(", ")}.`);
  }
  const id = new Map(steps.map((step, index) => [step, `s${index + 1}`]));
  const nodes = steps.map((step) => ({ id: id.get(step) ?? "", label: describeStep(step) }));
  const edge = (from: Step, to: Step, after: boolean) => ({ from: id.get(from) ?? "", to: id.get(to) ?? "", after });
  const edges = steps.flatMap((step) => [
    ...step.deps.map((dep) => edge(step, dep, false)),
    ...step.after.map((ended) => edge(step, ended, true)),
  ]);
  switch (format) {
    case "mermaid":
      return [
        "flowchart TD",
        ...nodes.map((node) => `  ${node.id}["${mermaidText(node.label)}"]`),
        ...edges.map(({ from, to, after }) => `  ${from} ${after ? "-. after .->" : "-->"} ${to}`),
        "",
      ].join("\n");
    case "dot":
      return [
        "digraph runner {",
        "  node [shape=box];",
        ...nodes.map((node) => `  ${node.id} [label="${dotText(node.label)}"];`),
        ...edges.map(({ from, to, after }) => `  ${from} -> ${to}${after ? ' [style=dashed, label="after"]' : ""};`),
        "}",
        "",
      ].join("\n");
    default:
      return unreachable("graph format", format);
  }
}

function isGraphFormat(format: string): format is GraphFormat {
  return (GRAPH_FORMATS as readonly string[]).includes(format);
}

/**
 * A Mermaid label inside `"…"`, shown as it is. Mermaid reads `#35;` as the character 35
 * (its way to escape), so `#` itself is written that way, as are `"` (which would end the
 * label), `<`, `>`, `&` (labels are HTML), a backtick (a Markdown label), a backslash
 * (`\n` would break the line) and control characters. Mermaid first rewrites every line that looks like a `style` or `classDef`
 * statement (`style`, then `:`, then `#`, then `;`), which would cut such an escape short:
 * in a label holding those words, `:` is escaped too.
 */
export function mermaidText(text: string): string {
  const special = /style|classDef/.test(text) ? /["#&<>`\\:\p{Cc}]/gu : /["#&<>`\\\p{Cc}]/gu;
  return text.replace(special, (char) => `#${char.codePointAt(0) ?? 0};`);
}

/**
 * A DOT label inside `"…"`: `\"` for a quote, `\\` for a backslash (which would otherwise
 * start one of DOT's label escapes, `\n`, `\l`, `\N`, …), `&amp;` for `&` (Graphviz reads
 * `&#35;` and `&lt;` in any label), line ends as `\n`, no other control characters.
 */
export function dotText(text: string): string {
  return text
    .replace(/[\\"]/g, (char) => `\\${char}`)
    .replace(/&/g, "&amp;")
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(/\p{Cc}/gu, "");
}
