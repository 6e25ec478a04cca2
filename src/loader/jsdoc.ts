// Leading JSDoc comments of declarations, found in the token stream of the source text.
// esbuild drops comments and a TypeScript parse would cost more than the rest of a cold
// load; a tokenizer (js-tokens) is enough, and it is what keeps `"src/**/*.ts"`, a
// template or a regular expression holding `/**` from being read as a comment. This runs
// when the cache is built, never when the tasks come from the cache.
//
// As in TypeScript, line comments between the JSDoc and its declaration do not detach it;
// anything else (another comment, code) does.
import type { Token } from "js-tokens";

/**
 * Declared name → the comment's text, leading `*` removed, trimmed. The tokenizer is loaded
 * here, on first use: its setup (a score of regular expressions) is no part of a cached start.
 */
export async function scanDocs(source: string): Promise<Map<string, string>> {
  const { default: jsTokens } = await import("js-tokens");
  const docs = new Map<string, string>();
  const tokens = [...jsTokens(source)];
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at];
    if (token?.type !== "MultiLineComment" || !isJsdoc(token.value)) continue;
    const name = declaredName(tokens, at + 1);
    if (name === undefined) continue;
    const text = jsdocText(token.value);
    if (text !== "") docs.set(name, text);
  }
  return docs;
}

/** `/** … *\/`, closed, and not the empty comment `/**\/`. */
function isJsdoc(comment: string): boolean {
  return comment.startsWith("/**") && comment.length > 4 && comment.endsWith("*/");
}

function jsdocText(comment: string): string {
  return comment
    .slice(3, -2)
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*\*? ?/, "").trimEnd())
    .join("\n")
    .trim();
}

/** Tokens that may stand between a JSDoc comment and its declaration. */
const BETWEEN = new Set<Token["type"]>(["WhiteSpace", "LineTerminatorSequence", "SingleLineComment"]);

/**
 * The name declared right after `tokens[from]`: `[export] [default] [async] function [*]
 * name` or `[export] (const | let | var) name`; undefined for anything else.
 */
function declaredName(tokens: readonly Token[], from: number): string | undefined {
  const words = significant(tokens, from, 5);
  let at = 0;
  const skip = (value: string): void => {
    if (words[at]?.value === value) at++;
  };
  skip("export");
  skip("default");
  skip("async");
  const keyword = words[at++]?.value;
  if (keyword === "function") skip("*");
  else if (keyword !== "const" && keyword !== "let" && keyword !== "var") return undefined;
  const name = words[at];
  return name?.type === "IdentifierName" ? name.value : undefined;
}

/** Up to `count` tokens from `tokens[from]` on, skipping what may stand between a comment and its declaration. */
function significant(tokens: readonly Token[], from: number, count: number): Token[] {
  const words: Token[] = [];
  for (let at = from; at < tokens.length && words.length < count; at++) {
    const token = tokens[at];
    if (token !== undefined && !BETWEEN.has(token.type)) words.push(token);
  }
  return words;
}

/** The first line of a comment: what `--list` shows. */
export function firstLine(doc: string): string {
  return doc.split("\n")[0]?.trim() ?? "";
}
