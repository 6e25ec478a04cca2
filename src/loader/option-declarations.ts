// Task option declarations, checked once at load time; plan/option-values.ts turns
// command-line words into values of them.
import type { OptionSpec, OptionSpecs, OptionType } from "../api/task.ts";
import { showText, showValue } from "../common/show-value.ts";
import { kebabCase } from "../common/names.ts";
import { UserError } from "../common/user-error.ts";

export interface OptionDef {
  /** The property name in `opts`. */
  readonly key: string;
  /** The long flag without dashes: `dryRun` → `dry-run`. */
  readonly flag: string;
  readonly type: OptionType;
  readonly choices: readonly (string | number)[] | undefined;
  readonly default: unknown;
  readonly help: string;
  readonly short: string | undefined;
  readonly multiple: boolean;
  readonly positional: boolean;
  readonly required: boolean;
  /** Shown as `***` wherever runner prints or writes it. */
  readonly secret: boolean;
}

export type OptionValue = string | number | boolean | readonly (string | number | boolean)[];

const TYPES: readonly OptionType[] = ["string", "number", "boolean", "count"];

/** Whether the option is a flag (takes no value on the command line). */
export function isFlag(def: Pick<OptionDef, "type">): boolean {
  return def.type === "boolean" || def.type === "count";
}

function fitsType(value: unknown, type: OptionType): boolean {
  if (type === "count") return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
  return type === "number" ? typeof value === "number" && !Number.isNaN(value) : typeof value === type;
}

/** Checks a task's declarations; `where` is `tasks.ts: task "build"` for error texts. */
export function normalizeOptions(specs: OptionSpecs | undefined, where: string): OptionDef[] {
  const defs: OptionDef[] = [];
  const flags = new Map<string, string>();
  const shorts = new Map<string, string>();
  let sawVariadicPositional = false;
  for (const [key, raw] of Object.entries(specs ?? {})) {
    // A tasks file is JavaScript at run time: a declaration may be anything.
    const spec = raw as unknown as OptionSpec | null | undefined;
    const bad = (problem: string): UserError => new UserError(`${where}: option ${showText(key)} ${problem}.`);
    if (typeof spec !== "object" || spec === null) throw bad('must be an object like { type: "string" }');
    if (!TYPES.includes(spec.type)) throw bad(`has type ${showValue(spec.type)}; expected one of ${TYPES.join(", ")}`);
    const flag = kebabCase(key);
    const clash = flags.get(flag) ?? flags.get(flag.replace(/^no-/, ""));
    if (clash !== undefined || (spec.type === "boolean" && flags.has(`no-${flag}`))) {
      throw bad(`is declared twice (as "${clash ?? `no-${flag}`}" and "${key}", both --${flag})`);
    }
    flags.set(flag, key);
    if (spec.short !== undefined) {
      if (typeof spec.short !== "string" || !/^[A-Za-z0-9]$/.test(spec.short)) {
        throw bad(`has short ${showValue(spec.short)}; expected one letter or digit`);
      }
      const other = shorts.get(spec.short);
      if (other !== undefined) throw bad(`has short -${spec.short}, already used by "${other}"`);
      shorts.set(spec.short, key);
    }
    const multiple = spec.multiple === true;
    const positional = spec.positional === true;
    if (positional && isFlag(spec)) throw bad(`is a ${spec.type} and cannot be positional`);
    if (spec.type === "count") {
      // A count says how many times its flag was given: one number, 0 unless given.
      if (multiple) throw bad("is a count and cannot be multiple: it counts its repeats itself");
      if (spec.choices !== undefined) throw bad("is a count and cannot have choices");
      if (spec.required === true) throw bad("is a count and cannot be required: it is 0 unless given");
    }
    const secret = spec.secret === true;
    if (secret && isFlag(spec)) throw bad(`is a ${spec.type} and cannot be secret: only values are`);
    if (positional && sawVariadicPositional) {
      throw bad("is positional after a positional with multiple: true, which takes every remaining word");
    }
    if (positional && multiple) sawVariadicPositional = true;
    if (spec.choices !== undefined) {
      if (!Array.isArray(spec.choices) || spec.choices.length === 0)
        throw bad("has choices that are not a non-empty list");
      for (const choice of spec.choices) {
        if (!fitsType(choice, spec.type)) throw bad(`has choice ${showValue(choice)} that is not a ${spec.type}`);
      }
    }
    if (spec.default !== undefined) {
      const values: unknown[] = multiple && Array.isArray(spec.default) ? spec.default : [spec.default];
      if (multiple && !Array.isArray(spec.default)) throw bad(`has multiple: true but a default that is not a list`);
      for (const value of values) {
        if (!fitsType(value, spec.type)) {
          const what = spec.type === "count" ? "whole number ≥ 0 (a count)" : spec.type;
          throw bad(`has default ${showValue(value)}, which is not a ${what}`);
        }
        if (spec.choices !== undefined && !spec.choices.includes(value)) {
          throw bad(`has default ${showValue(value)}, which is not one of its choices`);
        }
      }
    }
    defs.push({
      key,
      flag,
      type: spec.type,
      choices: spec.choices,
      default: spec.default,
      help: typeof spec.help === "string" ? spec.help : "",
      short: spec.short,
      multiple,
      positional,
      required: spec.required === true,
      secret,
    });
  }
  return defs;
}
