// A value from a tasks or config file, shown in one line of an error message. Such a value
// can be anything: a BigInt, a cycle, a getter or Proxy that throws, or a YAML alias bomb
// (a few lines whose aliases expand to billions of nodes). So it is shown as JSON would
// show it, but visiting a bounded number of nodes, never expanding a repeat, cut to a
// short line, and never throwing.

const MAX_NODES = 50;

/** `"3"`, `3`, `[1,2]`, `{"a":true}`, `10n`, … — at most `maxLength` characters. */
export function showValue(value: unknown, maxLength = 80): string {
  let nodes = 0;
  const seen = new Set<object>();
  const show = (item: unknown): string => {
    if (++nodes > MAX_NODES) return "…";
    switch (typeof item) {
      case "string":
        return JSON.stringify(item.length > maxLength ? `${item.slice(0, maxLength)}…` : item);
      case "number":
      case "boolean":
        return String(item);
      case "bigint":
        return `${String(item)}n`;
      case "undefined":
        return "undefined";
      case "symbol":
        return item.toString();
      case "function":
        return "a function";
      case "object": {
        if (item === null) return "null";
        if (seen.has(item)) return "…";
        seen.add(item);
        if (Array.isArray(item)) return `[${item.slice(0, MAX_NODES).map(show).join(",")}]`;
        const entries = Object.entries(item).slice(0, MAX_NODES);
        return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${show(entry)}`).join(",")}}`;
      }
      default:
        return "a value";
    }
  };
  let text: string;
  try {
    text = show(value);
  } catch {
    return "a value that cannot be shown";
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/**
 * A word the user gave, in quotes, for an error message: as given, but cut when long and
 * escaped (as JSON would) when it holds a control character (a newline), so that the
 * message stays one line.
 */
export function showText(text: string, maxLength = 80): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return /[\u0000-\u001f\u007f]/.test(cut) ? JSON.stringify(cut) : `"${cut}"`;
}

/** Text as given, with control characters (a newline) escaped as JSON would, so a message stays one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));
}
