// Responders (as invoke's): when a command's output matches a pattern, the response is
// written to its stdin — auto-answering prompts.
import type { Responder } from "../context/types.ts";

/** Watches output for responder patterns and writes each answer once per match. */
export function respond(responders: readonly Responder[], write: (text: string) => void): (chunk: Buffer) => void {
  if (responders.length === 0) return () => {};
  const patterns = responders.map((responder) =>
    typeof responder.pattern === "string"
      ? new RegExp(responder.pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      : new RegExp(responder.pattern.source, responder.pattern.flags.replace("g", "")),
  );
  const seen = responders.map(() => "");
  return (chunk) => {
    const text = chunk.toString("utf8");
    responders.forEach((responder, index) => {
      const pattern = patterns[index]!;
      let window = (seen[index] ?? "") + text;
      pattern.lastIndex = 0;
      let match = pattern.exec(window);
      while (match !== null) {
        write(responder.response);
        window = window.slice(match.index + Math.max(match[0].length, 1));
        match = pattern.exec(window);
      }
      // Keep a bounded window so a prompt split across chunks still matches.
      seen[index] = window.slice(-4096);
    });
  };
}
