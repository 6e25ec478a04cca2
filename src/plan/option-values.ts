// Option values: command-line words turned into typed values of a task's declared options,
// with defaults filled in and required ones checked (the exact error texts of the CLI).
import { UserError } from "../common/user-error.ts";
import { showText } from "../common/show-value.ts";
import { SECRET_MASK } from "../common/secrets.ts";
import { isFlag, type OptionDef, type OptionValue } from "../loader/option-declarations.ts";

/** One command-line word as a value of the option, or the CLI's documented error. */
export function coerceValue(word: string, def: OptionDef, taskName: string): string | number | boolean {
  const invalid = (expected: string): UserError =>
    // A secret's value is not repeated, even when it is wrong.
    new UserError(
      `Invalid value ${def.secret ? SECRET_MASK : showText(word)} for --${def.flag} of task "${taskName}": expected ${expected}.`,
    );
  let value: string | number | boolean = word;
  if (def.type === "number") {
    // Plain decimals: `-2`, `1.5`; not `0x10`, `1e3`, ` 4 ` or `Infinity`.
    value = Number(word);
    if (!/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(word) || !Number.isFinite(value)) throw invalid("a number");
  } else if (def.type === "boolean") {
    if (!["true", "false", "1", "0", "yes", "no"].includes(word)) throw invalid("true or false");
    value = word === "true" || word === "1" || word === "yes";
  }
  if (def.choices !== undefined && !def.choices.includes(value as string | number)) {
    throw invalid(`one of ${def.choices.join(", ")}`);
  }
  return value;
}

/** `<entry>`, `[files...]`: a positional as usage lines show it. */
export function positionalLabel(def: OptionDef): string {
  const name = def.multiple ? `${def.flag}...` : def.flag;
  return def.required ? `<${name}>` : `[${name}]`;
}

/** `runner deploy --env <prod|staging> [options] <files...>`: required options are spelt out. */
export function usage(taskName: string, defs: readonly OptionDef[]): string {
  const required = defs
    .filter((def) => def.required && !def.positional)
    .map((def) => (isFlag(def) ? `--${def.flag}` : `--${def.flag} <${def.choices?.join("|") ?? def.type}>`));
  const positionals = defs.filter((def) => def.positional).map(positionalLabel);
  const hasOthers = defs.some((def) => !def.positional && !def.required);
  return ["runner", taskName, ...required, ...(hasOthers ? ["[options]"] : []), ...positionals].join(" ");
}

/** Fills in defaults and checks required options; `given` holds what the command line set. */
export function finishOptions(
  taskName: string,
  defs: readonly OptionDef[],
  given: ReadonlyMap<string, OptionValue>,
): Record<string, OptionValue | undefined> {
  const values: Record<string, OptionValue | undefined> = {};
  for (const def of defs) {
    let value = given.get(def.key) ?? (def.default as OptionValue | undefined);
    if (value === undefined && def.type === "boolean" && !def.required) value = false;
    if (value === undefined && def.type === "count") value = 0;
    if (value === undefined && def.multiple && !def.required) value = [];
    const missing = value === undefined || (def.multiple && Array.isArray(value) && value.length === 0);
    if (def.required && missing) {
      const what = def.positional ? positionalLabel({ ...def, required: true }) : `--${def.flag}`;
      throw new UserError(`Task "${taskName}" needs ${what}. Usage: ${usage(taskName, defs)}`);
    }
    values[def.key] = value;
  }
  return values;
}
