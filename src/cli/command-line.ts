// The command line, matched once: core options wherever they stand (after a task name only
// when that task has no option of that name), task invocations with their options and
// positionals, and `--`. The part before the first task name is read first (it may choose
// the tasks file); the rest, once the tasks are known, continues from there.
import { closest, didYouMean, kebabCase } from "../common/names.ts";
import { showText } from "../common/show-value.ts";
import { UserError } from "../common/user-error.ts";
import type { Collection } from "../loader/collection.ts";
import { isFlag, type OptionDef } from "../loader/option-declarations.ts";
import { coerceValue } from "../plan/option-values.ts";
import type { Invocation } from "../plan/plan.ts";
import type { CoreMatch, CoreOptionShape } from "./grammar.ts";

/** The core options before the first task name, and where the rest of the line starts. */
export interface Leading {
  readonly matches: readonly CoreMatch[];
  readonly next: number;
}

export interface SplitArgs {
  /** The core options after the leading ones. */
  readonly matches: readonly CoreMatch[];
  readonly invocations: readonly Invocation[];
  /** Words after `--` when no task was named (for the default task). */
  readonly rest: readonly string[];
}

/** The options that choose the tasks file: they must come before the first task name. */
const LOAD_OPTIONS = new Set(["--file", "--cwd"]);

function mustComeFirst(long: string): UserError {
  return new UserError(`Option ${long} must come before the first task name.`);
}

/** Core options before the first bare word: enough to find and load the tasks file. */
export function readLeading(argv: readonly string[], shapes: readonly CoreOptionShape[]): Leading {
  const matches: CoreMatch[] = [];
  let i = 0;
  for (let token = argv[i]; token !== undefined; token = argv[++i]) {
    if (token === "--" || !token.startsWith("-") || token === "-") break;
    const found = matchCore(token, shapes);
    if (found === undefined) break;
    i += takeCoreValue(found, token, argv, i, shapes, (flag) => unknownOption(flag, undefined, shapes), matches);
  }
  return { matches, next: i };
}

/**
 * When the tasks file could not be found: a --file or --cwd given after a task name (where
 * it is too late to choose the tasks file) is the likelier mistake to report.
 */
export function misplacedLoadOption(
  argv: readonly string[],
  from: number,
  shapes: readonly CoreOptionShape[],
  /** Those given before the first task name. */
  given: ReadonlySet<string>,
): UserError | undefined {
  for (const token of argv.slice(from)) {
    if (token === "--") break;
    const long = token.startsWith("-") ? matchCore(token, shapes)?.shape.long : undefined;
    if (long !== undefined && LOAD_OPTIONS.has(long) && !given.has(long)) return mustComeFirst(long);
  }
  return undefined;
}

interface Found {
  readonly shape: CoreOptionShape;
  /** Value written into the same token (`--jobs=4`, `-j4`). */
  readonly attached: string | undefined;
}

function matchCore(token: string, shapes: readonly CoreOptionShape[]): Found | undefined {
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    const long = eq === -1 ? token : token.slice(0, eq);
    const shape = shapes.find((s) => s.long === long);
    if (shape === undefined) return undefined;
    return { shape, attached: eq === -1 ? undefined : token.slice(eq + 1) };
  }
  const shape = shapes.find((s) => s.short === token.slice(0, 2));
  if (shape === undefined) return undefined;
  return { shape, attached: token.length > 2 ? token.slice(2) : undefined };
}

/** Adds the core option `token` (and what it combines with) to `matches`; returns how many extra words it ate. */
function takeCoreValue(
  found: Found,
  token: string,
  argv: readonly string[],
  i: number,
  shapes: readonly CoreOptionShape[],
  unknown: (flag: string) => UserError,
  matches: CoreMatch[],
): number {
  const { shape } = found;
  // `-j=4` is `-j4`, as `--jobs=4` is `--jobs 4`.
  const short = !token.startsWith("--");
  const attached = short && found.attached?.startsWith("=") === true ? found.attached.slice(1) : found.attached;
  if (shape.value === "none") {
    if (attached === undefined) {
      matches.push({ shape, value: true });
      return 0;
    }
    if (!short || attached !== found.attached) throw new UserError(`Option ${shape.long} takes no value.`);
    // Combined short flags: -kq → -k -q; the last one may take a value (-qj4, -qj 4).
    matches.push({ shape, value: true });
    const rest = `-${attached}`;
    const next = matchCore(rest, shapes);
    if (next === undefined) throw unknown(rest.slice(0, 2));
    return takeCoreValue(next, rest, argv, i, shapes, unknown, matches);
  }
  if (attached !== undefined) {
    if (shape.value === "optional" && shape.choices !== undefined && !shape.choices.includes(attached)) {
      throw invalidChoice(shape, attached);
    }
    matches.push({ shape, value: attached });
    return 0;
  }
  const next = argv[i + 1];
  const nextIsValue =
    next !== undefined &&
    next !== "--" &&
    !next.startsWith("-") &&
    // `--graph test`: a word that is not one of the choices is the next task's name.
    (shape.value !== "optional" || shape.choices === undefined || shape.choices.includes(next));
  if (shape.value === "required") {
    // `-j -1`: a negative number is a (wrong) value, for the value's check to explain.
    if (next !== undefined && /^-\d/.test(next)) {
      matches.push({ shape, value: next });
      return 1;
    }
    if (!nextIsValue) throw new UserError(`Option ${shape.long} needs a value.`);
    matches.push({ shape, value: next });
    return 1;
  }
  matches.push({ shape, value: nextIsValue ? next : true });
  return nextIsValue ? 1 : 0;
}

/** `Invalid value "svg" for --graph: expected one of mermaid, dot.` */
function invalidChoice(shape: CoreOptionShape, value: string): UserError {
  const choices = shape.choices?.join(", ") ?? "";
  return new UserError(`Invalid value ${showText(value)} for ${shape.long}: expected one of ${choices}.`);
}

/**
 * After `--graph svg`, where `svg` is neither a format nor a task: the likelier mistake is
 * the format, unless the word is close to a task's name (`--graph tset`).
 */
function choiceMistake(
  argv: readonly string[],
  i: number,
  word: string,
  collection: Collection,
  shapes: readonly CoreOptionShape[],
): UserError | undefined {
  const before = argv[i - 1];
  const shape = shapes.find((s) => s.long === before || (s.short !== undefined && s.short === before));
  if (shape?.value !== "optional" || shape.choices === undefined) return undefined;
  if (closest(word, collection.names) !== undefined) return undefined;
  return invalidChoice(shape, word);
}

/** The rest of the line, from `leading.next`, now that the tasks are known. */
export function splitArgs(
  argv: readonly string[],
  from: number,
  collection: Collection,
  shapes: readonly CoreOptionShape[],
): SplitArgs {
  const matches: CoreMatch[] = [];
  const invocations: Invocation[] = [];
  let current: Invocation | undefined;
  let rest: string[] = [];
  const help = shapes.find((shape) => shape.long === "--help");

  for (let i = from, token = argv[i]; token !== undefined; token = argv[++i]) {
    if (token === "--") {
      rest = argv.slice(i + 1);
      if (current !== undefined) current.rest = rest;
      break;
    }
    if (token.startsWith("-") && token !== "-" && !(current !== undefined && isNegativeNumberFor(current, token))) {
      const unknown = (flag: string): UserError => unknownOption(flag, current, shapes);
      const addCore = (taken: readonly CoreMatch[]): void => {
        for (const match of taken) {
          if (current !== undefined && LOAD_OPTIONS.has(match.shape.long)) throw mustComeFirst(match.shape.long);
          // `runner build --help` (or `-qh`) is `runner --help build`.
          const value =
            current !== undefined && match.shape === help && match.value === true ? current.task.name : match.value;
          matches.push({ shape: match.shape, value });
        }
      };
      if (current !== undefined) {
        const consumed = token.startsWith("--")
          ? takeLongTaskOption(current, token, argv, i)
          : takeShortCluster(current, token, argv, i, { shapes, help, unknown, addCore });
        if (consumed !== undefined) {
          i += consumed;
          continue;
        }
      }
      const found = matchCore(token, shapes);
      if (found === undefined) throw unknown(token);
      if (current !== undefined && found.shape === help && found.attached === undefined) {
        // The next word is not its value.
        addCore([{ shape: found.shape, value: true }]);
        continue;
      }
      const taken: CoreMatch[] = [];
      i += takeCoreValue(found, token, argv, i, shapes, unknown, taken);
      addCore(taken);
      continue;
    }
    if (current !== undefined && fillPositional(current, token)) continue;
    const task = collection.find(token);
    if (task === undefined) {
      if (current !== undefined && current.task.kind === "function") {
        current.args.push(token);
        continue;
      }
      throw choiceMistake(argv, i, token, collection, shapes) ?? unknownTask(token, collection);
    }
    current = { task, given: new Map(), args: [], rest: [] };
    invocations.push(current);
  }
  return { matches, invocations, rest };
}

/** `Unknown task "biuld". Did you mean "build"?`, or what a namespace with no default holds. */
export function unknownTask(word: string, collection: Collection): UserError {
  const name = word.split(".").map(kebabCase).join(".");
  const inside = collection.tasks.filter((task) => !task.hidden && task.name.startsWith(`${name}.`));
  if (inside.length > 0) {
    const names = inside.map((task) => task.name).join(", ");
    return new UserError(`${showText(word)} is a namespace with no default task; run one of its tasks: ${names}.`);
  }
  // Names users may see: visible tasks and their namespaces, not the `docs.default` spelling of `docs`.
  const names = collection.names.filter((n) => collection.find(n)?.hidden === false && !n.endsWith(".default"));
  const namespaces = collection.tasks.filter((task) => !task.hidden).flatMap((task) => namespacesOf(task.name));
  // `runner build` where only `docs.build` exists: the task of that name in a namespace.
  const inNamespaces = [...new Set(names.filter((n) => n.endsWith(`.${name}`)))].sort();
  if (inNamespaces.length > 0) {
    const listed = inNamespaces.map((n) => `"${n}"`);
    const which = listed.length === 1 ? listed[0] : `one of ${listed.join(", ")}`;
    return new UserError(`Unknown task ${showText(word)}. Did you mean ${which ?? ""}?`);
  }
  return new UserError(`Unknown task ${showText(word)}.${didYouMean(word, new Set([...names, ...namespaces]))}`);
}

/** `docs.api.build` → `docs`, `docs.api`. */
function namespacesOf(name: string): string[] {
  const parts = name.split(".");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."));
}

function isNegativeNumberFor(invocation: Invocation, token: string): boolean {
  if (!/^-\d/.test(token)) return false;
  const next = nextPositional(invocation);
  return next !== undefined && next.type === "number";
}

function nextPositional(invocation: Invocation): OptionDef | undefined {
  return invocation.task.options.find((def) => def.positional && (def.multiple || !invocation.given.has(def.key)));
}

function fillPositional(invocation: Invocation, word: string): boolean {
  const def = nextPositional(invocation);
  if (def === undefined) return false;
  setValue(invocation, def, coerceValue(word, def, invocation.task.name));
  return true;
}

function setValue(invocation: Invocation, def: OptionDef, value: string | number | boolean): void {
  if (def.multiple) {
    const list = (invocation.given.get(def.key) as (string | number | boolean)[] | undefined) ?? [];
    invocation.given.set(def.key, [...list, value]);
  } else {
    invocation.given.set(def.key, value);
  }
}

/** A flag given once more: a boolean is set, a count goes up by one (from its default, as argparse counts). */
function setFlag(invocation: Invocation, def: OptionDef): void {
  const count = invocation.given.get(def.key) ?? def.default;
  setValue(invocation, def, def.type === "count" ? (typeof count === "number" ? count : 0) + 1 : true);
}

/** How many words after `token` a long task option (`--target esnext`) used, or undefined when it is not one. */
function takeLongTaskOption(
  invocation: Invocation,
  token: string,
  argv: readonly string[],
  i: number,
): number | undefined {
  const defs = invocation.task.options;
  const taskName = invocation.task.name;
  const eq = token.indexOf("=");
  const name = kebabCase(eq === -1 ? token.slice(2) : token.slice(2, eq));
  const attached = eq === -1 ? undefined : token.slice(eq + 1);
  let def = defs.find((d) => d.flag === name && !d.positional) ?? defs.find((d) => d.flag === name);
  let negated = false;
  if (def === undefined && name.startsWith("no-")) {
    def = defs.find((d) => d.flag === name.slice(3) && isFlag(d));
    negated = def !== undefined;
  }
  if (def === undefined) return undefined;
  if (negated) {
    if (attached !== undefined) throw new UserError(`Option --no-${def.flag} of task "${taskName}" takes no value.`);
    setValue(invocation, def, def.type === "count" ? 0 : false);
    return 0;
  }
  if (def.type === "count") {
    if (attached !== undefined) throw new UserError(`Option --${def.flag} of task "${taskName}" takes no value.`);
    setFlag(invocation, def);
    return 0;
  }
  if (def.type === "boolean") {
    setValue(invocation, def, attached === undefined ? true : coerceValue(attached, def, taskName));
    return 0;
  }
  return takeTaskValue(invocation, def, attached, argv, i);
}

/** The value of a task option that takes one: `attached` to its flag, else the next word. */
function takeTaskValue(
  invocation: Invocation,
  def: OptionDef,
  attached: string | undefined,
  argv: readonly string[],
  i: number,
): number {
  const taskName = invocation.task.name;
  if (attached !== undefined) {
    setValue(invocation, def, coerceValue(attached, def, taskName));
    return 0;
  }
  const next = argv[i + 1];
  const looksLikeValue =
    next !== undefined && next !== "--" && (!next.startsWith("-") || (def.type === "number" && /^-\d/.test(next)));
  if (!looksLikeValue) throw new UserError(`Option --${def.flag} of task "${taskName}" needs a value.`);
  setValue(invocation, def, coerceValue(next, def, taskName));
  return 1;
}

interface CoreHandling {
  readonly shapes: readonly CoreOptionShape[];
  readonly help: CoreOptionShape | undefined;
  readonly unknown: (flag: string) => UserError;
  /** Takes core options found in the cluster. */
  readonly addCore: (taken: readonly CoreMatch[]) => void;
}

/**
 * Short flags after a task name, read as getopt reads them: `-vx` is `-v -x`, `-vvv` counts
 * three, and a letter that takes a value takes the rest of the word (`-vj8`, `-f=pdf`: a
 * leading `=` is dropped) or else the next word (`-vj 8`). Each letter is the task's option
 * of that letter, else runner's own. How many more words it used.
 */
function takeShortCluster(
  invocation: Invocation,
  token: string,
  argv: readonly string[],
  i: number,
  core: CoreHandling,
): number {
  const taskName = invocation.task.name;
  for (let at = 1; at < token.length; at++) {
    const letter = token.charAt(at);
    const rest = token.slice(at + 1);
    const value = rest === "" ? undefined : rest.replace(/^=/, "");
    const def = invocation.task.options.find((d) => d.short === letter);
    if (def !== undefined) {
      if (!isFlag(def)) return takeTaskValue(invocation, def, value, argv, i);
      if (rest.startsWith("=")) {
        // `-w=false`, as `--watch=false`; a count takes no value.
        if (def.type === "count") throw new UserError(`Option -${letter} of task "${taskName}" takes no value.`);
        setValue(invocation, def, coerceValue(rest.slice(1), def, taskName));
        return 0;
      }
      setFlag(invocation, def);
      continue;
    }
    const shape = core.shapes.find((s) => s.short === `-${letter}`);
    if (shape === undefined) throw core.unknown(`-${letter}`);
    if (shape.value === "none" || (shape === core.help && rest === "")) {
      if (rest.startsWith("=")) throw new UserError(`Option ${shape.long} takes no value.`);
      core.addCore([{ shape, value: true }]);
      continue;
    }
    const taken: CoreMatch[] = [];
    const used = takeCoreValue(
      { shape, attached: rest === "" ? undefined : rest },
      `-${letter}${rest}`,
      argv,
      i,
      core.shapes,
      core.unknown,
      taken,
    );
    core.addCore(taken);
    return used;
  }
  return 0;
}

function unknownOption(token: string, current: Invocation | undefined, shapes: readonly CoreOptionShape[]): UserError {
  const name = token.includes("=") ? token.slice(0, token.indexOf("=")) : token;
  const core = shapes.filter((s) => !s.hidden).map((s) => s.long);
  if (current === undefined) return new UserError(`Unknown option ${showText(name)}.${didYouMean(name, core)}`);
  const own = current.task.options.flatMap((d) =>
    isFlag(d) ? [`--${d.flag}`, `--no-${d.flag}`] : d.positional ? [] : [`--${d.flag}`],
  );
  const suggestion = closest(name, own) ?? closest(name, core);
  const hint = suggestion === undefined ? "" : ` Did you mean "${suggestion}"?`;
  return new UserError(`Unknown option ${showText(name)} for task "${current.task.name}".${hint}`);
}
