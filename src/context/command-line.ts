// Commands as argument lists: quoting one for display, and ctx.$'s template tag, which
// follows execa's rules (no shell: literal text splits on whitespace, each value is one
// argument), so no quoting is needed and nothing can be injected.

/** A shell-safe rendering of an argument list, for echo and error texts. */
export function quoteArgs(parts: readonly string[]): string {
  return parts.map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** execa's template semantics: literal text splits on whitespace, each value is one argument. */
export function templateToArgs(strings: TemplateStringsArray, values: readonly unknown[]): string[] {
  const args: string[] = [];
  let open = false;
  const append = (piece: string): void => {
    if (open) args.push(`${args.pop() ?? ""}${piece}`);
    else args.push(piece);
    open = true;
  };
  strings.forEach((literal, index) => {
    literal.split(/\s+/).forEach((piece, k) => {
      if (k > 0) open = false;
      if (piece !== "") append(piece);
    });
    if (index >= values.length) return;
    const value = values[index];
    const items = Array.isArray(value) ? value.map(valueToArg) : [valueToArg(value)];
    items.forEach((item, k) => {
      if (k > 0) open = false;
      append(item);
    });
  });
  return args;
}

function valueToArg(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (typeof value === "object" && value !== null && "stdout" in value && typeof value.stdout === "string") {
    return value.stdout.replace(/\r?\n$/, "");
  }
  throw new TypeError(`ctx.$: cannot use ${value === null ? "null" : typeof value} as a command argument`);
}
