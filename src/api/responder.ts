// A responder: what `ctx.run` writes to a command's stdin when its output asks for it.

/**
 * An answer to a prompt: when a command's output (stdout or stderr) matches `pattern`,
 * `response` is written to its stdin, once for every match.
 *
 * @example
 * ```ts
 * await ctx.run("npm publish", { responders: [{ pattern: /one-time password:/, response: "123456\n" }] });
 * ```
 */
export interface Responder {
  /** What to look for in the output: a RegExp, or a string matched as literal text (not as a pattern). */
  readonly pattern: RegExp | string;
  /** The text written to stdin, exactly as given: end it with `"\n"` to press Enter. */
  readonly response: string;
}
