// Names for tasks that are not exported (a dep made by a factory, a task held in a `const`):
// the variable the `task()` call was assigned to, found from where it was called. task()
// keeps its call site's stack, unformatted; it is read here only for such a task, so the
// stack's formatting (mapped to the user's file by the bundle's source map) costs nothing
// in the common case. Where no variable can be seen (`deps: [task({...})]`, a factory's
// `return task(...)`), the caller falls back to a name of its own.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CALL_SITE } from "../api/task.ts";

/** `const tsc = task(…)`, `let tsc: AnyTask = task(…)`, `tsc = task(…)`, `{ tsc: task(…) }`: the name before the call. */
const ASSIGNED = /(?:(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=;]*)?=|([A-Za-z_$][\w$]*)\s*[:=])\s*$/;

/** The variable (or property) a `task()` call was assigned to, when its source shows one. */
export function variableNameOf(definition: object, read: (path: string) => string = readSource): string | undefined {
  const site = (definition as Record<symbol, unknown>)[CALL_SITE];
  const stack = typeof site === "object" && site !== null ? (site as { stack?: unknown }).stack : undefined;
  if (typeof stack !== "string") return undefined;
  const frame = /^\s+at (?:.*? \()?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/m.exec(stack);
  if (frame === null) return undefined;
  const [, where = "", line, column] = frame;
  let text: string;
  try {
    text = read(where.startsWith("file:") ? fileURLToPath(where) : where);
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  const at = Number(line) - 1;
  const current = lines[at];
  if (current === undefined) return undefined;
  // The call's own line up to the call, after the two lines above it (`const tsc =\n  task(…)`).
  const before = [...lines.slice(Math.max(0, at - 2), at), current.slice(0, Number(column) - 1)].join("\n");
  // The position is the callee's: `task`, or `task` in `runner.task`, whose object goes too.
  // (In a bundle that was not mapped back to its source, the callee reads `(0, import_runner.task)`.)
  const head = before
    .replace(/\(\s*0\s*,\s*[\w$.\s]+\)\s*$/, "")
    .replace(/(?:[A-Za-z_$][\w$]*\s*\.\s*)+$/, "")
    .replace(/\(\s*0\s*,\s*$/, "");
  const match = ASSIGNED.exec(head);
  const name = match?.[1] ?? match?.[2];
  return name === "default" || name === "export" ? undefined : name;
}

const sources = new Map<string, string>();

function readSource(path: string): string {
  let text = sources.get(path);
  if (text === undefined) {
    text = readFileSync(path, "utf8");
    sources.set(path, text);
  }
  return text;
}
