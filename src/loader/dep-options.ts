// Option values a tasks file gives a task in code — a dep or post task written
// `[build, { target: "esnext" }]` — checked once at load, as the command line's words are
// when it is parsed: an unknown option or a value of the wrong type or outside the choices
// is a one-line error naming both tasks.
import { showText, showValue } from "../common/show-value.ts";
import { didYouMean, kebabCase } from "../common/names.ts";
import { UserError } from "../common/user-error.ts";
import type { OptionDef, OptionValue } from "./option-declarations.ts";

function fits(value: unknown, def: OptionDef): boolean {
  const ok =
    def.type === "string"
      ? typeof value === "string"
      : def.type === "boolean"
        ? typeof value === "boolean"
        : typeof value === "number" && Number.isFinite(value);
  return ok && (def.choices === undefined || def.choices.includes(value as string | number));
}

function expected(def: OptionDef): string {
  const one = def.choices === undefined ? `a ${def.type}` : `one of ${def.choices.map(String).join(", ")}`;
  return def.multiple ? `a list of ${def.choices === undefined ? `${def.type}s` : `values each ${one}`}` : one;
}

/**
 * `values` as option values of the task `defs` belongs to, by option key; `what` says who
 * gives them, for error texts: `tasks.ts: task "ci" gives "build"`.
 */
export function checkGivenOptions(values: unknown, defs: readonly OptionDef[], what: string): Map<string, OptionValue> {
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new UserError(`${what} options that are not an object like { target: "esnext" }.`);
  }
  const given = new Map<string, OptionValue>();
  for (const [key, value] of Object.entries(values)) {
    const def = defs.find((d) => d.key === key) ?? defs.find((d) => d.flag === kebabCase(key));
    if (def === undefined) {
      const hint = didYouMean(
        key,
        defs.map((d) => d.key),
      );
      throw new UserError(`${what} an unknown option ${showText(key)}.${hint}`);
    }
    if (value === undefined) continue;
    const ok = def.multiple ? Array.isArray(value) && value.every((v) => fits(v, def)) : fits(value, def);
    if (!ok) {
      throw new UserError(`${what} an invalid value ${showValue(value)} for --${def.flag}: expected ${expected(def)}.`);
    }
    given.set(def.key, value as OptionValue);
  }
  return given;
}
