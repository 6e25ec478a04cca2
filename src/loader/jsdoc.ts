// Leading JSDoc comments of declarations, found by a light scan of the source text (esbuild
// drops comments, and a full TypeScript parse would cost more than the rest of a cold load).
// As in TypeScript, line comments between the JSDoc and its declaration do not detach it.
const DECLARATION =
  /\/\*\*((?:[^*]|\*(?!\/))*)\*\/(?:\s|\/\/[^\n]*\n)*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let|var)\s+([A-Za-z_$][\w$]*))/g;

/** Declared name → the comment's text, leading `*` removed, trimmed. */
export function scanDocs(source: string): Map<string, string> {
  const docs = new Map<string, string>();
  for (const match of source.matchAll(DECLARATION)) {
    const name = match[2] ?? match[3];
    if (name === undefined) continue;
    const text = (match[1] ?? "")
      .split("\n")
      .map((line) => line.replace(/^\s*\*? ?/, "").trimEnd())
      .join("\n")
      .trim();
    if (text !== "") docs.set(name, text);
  }
  return docs;
}

/** The first line of a comment: what `--list` shows. */
export function firstLine(doc: string): string {
  return doc.split("\n")[0]?.trim() ?? "";
}
