// Responders (as invoke's): when a command's output matches a pattern, the response is
// written to its stdin — auto-answering prompts.
import type { Responder } from "../api/responder.ts";

/** Watches output for responder patterns and writes each answer once per match. */
export function respond(responders: readonly Responder[], write: (text: string) => void): (chunk: Buffer) => void {
  if (responders.length === 0) return () => {};
  const watchers = responders.map((responder) => ({
    pattern:
      typeof responder.pattern === "string"
        ? new RegExp(responder.pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        : new RegExp(responder.pattern.source, responder.pattern.flags.replace("g", "")),
    response: responder.response,
    /** The end of the output so far, so that a prompt split across chunks still matches. */
    seen: "",
  }));
  return (chunk) => {
    const text = chunk.toString("utf8");
    for (const watcher of watchers) {
      const { pattern } = watcher;
      let window = watcher.seen + text;
      pattern.lastIndex = 0;
      let match = pattern.exec(window);
      while (match !== null) {
        write(watcher.response);
        window = window.slice(match.index + Math.max(match[0].length, 1));
        match = pattern.exec(window);
      }
      watcher.seen = window.slice(-4096);
    }
  };
}
