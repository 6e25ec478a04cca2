// What an error says, for one line of runner's: read defensively, since task code can throw
// anything — an object whose `message` getter throws, a Proxy, a value whose toString throws.

/** The error's message (or the thrown value as text), never throwing. */
export function messageOf(error: unknown): string {
  try {
    if (error instanceof Error) return typeof error.message === "string" ? error.message : String(error.message);
    return String(error);
  } catch {
    return "a value that cannot be shown as text";
  }
}

/** The error's stack when it has one, else its message, never throwing. */
export function stackOf(error: unknown): string {
  try {
    if (error instanceof Error && typeof error.stack === "string") return error.stack;
  } catch {
    // Fall through to the message.
  }
  return messageOf(error);
}

/** The first line of what the error says. */
export function firstLineOf(error: unknown): string {
  return messageOf(error).trim().split("\n")[0] ?? "";
}
