// Splitting the command line (SPEC §2): core options wherever they stand (after a task
// name only when that task has no option of that name), task invocations with their
// options and positionals, and `--`.
import type { Collection, Task } from "./collection.ts";
import type { CoreOptionShape } from "./core-options.ts";
import { UserError } from "./errors.ts";
import { closest, didYouMean, kebabCase } from "./names.ts";
import { coerceValue, type OptionDef, type OptionValue } from "./options.ts";

export interface Invocation {
  readonly task: Task;
  /** Option key → value, only what the command line set. */
  readonly given: Map<string, OptionValue>;
  readonly args: string[];
  rest: string[];
}

export interface SplitArgs {
  readonly coreTokens: readonly string[];
  readonly invocations: readonly Invocation[];
  /** Words after `--` when no task was named (for the default task). */
  readonly rest: readonly string[];
}

/** Core options before the first bare word: enough to find and load the tasks file. */
export function scanLeadingCore(argv: readonly string[], shapes: readonly CoreOptionShape[]): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--" || !token.startsWith("-") || token === "-") break;
    const match = matchCore(token, shapes);
    if (match === undefined) break;
    const taken = takeCoreValue(match, token, argv, i, shapes, (flag) => unknownOption(flag, undefined, shapes));
    tokens.push(...taken.tokens);
    i += taken.consumed;
  }
  return tokens;
}

interface CoreMatch {
  readonly shape: CoreOptionShape;
  /** Value written into the same token (`--jobs=4`, `-j4`). */
  readonly attached: string | undefined;
}

function matchCore(token: string, shapes: readonly CoreOptionShape[]): CoreMatch | undefined {
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

/**
 * The tokens to hand to commander for one core option, and how many extra words it ate.
 * Every token is checked here: commander must never see an option it would reject.
 */
function takeCoreValue(
  match: CoreMatch,
  token: string,
  argv: readonly string[],
  i: number,
  shapes: readonly CoreOptionShape[],
  unknown: (flag: string) => UserError,
): { tokens: string[]; consumed: number } {
  const { shape, attached } = match;
  if (shape.value === "none") {
    if (attached === undefined) return { tokens: [shape.long], consumed: 0 };
    if (token.startsWith("--")) throw new UserError(`Option ${shape.long} takes no value.`);
    // Combined short flags: -kq → -k -q; the last one may take a value (-qj4, -qj 4).
    const rest = `-${attached}`;
    const next = matchCore(rest, shapes);
    if (next === undefined) throw unknown(rest.slice(0, 2));
    const taken = takeCoreValue(next, rest, argv, i, shapes, unknown);
    return { tokens: [shape.long, ...taken.tokens], consumed: taken.consumed };
  }
  if (attached !== undefined) return { tokens: [`${shape.long}=${attached}`], consumed: 0 };
  const next = argv[i + 1];
  const nextIsValue = next !== undefined && next !== "--" && !next.startsWith("-");
  if (shape.value === "required") {
    if (!nextIsValue) throw new UserError(`Option ${shape.long} needs a value.`);
    return { tokens: [`${shape.long}=${next}`], consumed: 1 };
  }
  return nextIsValue ? { tokens: [`${shape.long}=${next}`], consumed: 1 } : { tokens: [shape.long], consumed: 0 };
}

export function splitArgs(
  argv: readonly string[],
  collection: Collection,
  shapes: readonly CoreOptionShape[],
): SplitArgs {
  const coreTokens: string[] = [];
  const invocations: Invocation[] = [];
  let current: Invocation | undefined;
  let rest: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      rest = argv.slice(i + 1);
      if (current !== undefined) current.rest = rest;
      break;
    }
    if (token.startsWith("-") && token !== "-" && !(current !== undefined && isNegativeNumberFor(current, token))) {
      if (current !== undefined) {
        const consumed = takeTaskOption(current, token, argv, i);
        if (consumed !== undefined) {
          i += consumed;
          continue;
        }
      }
      const match = matchCore(token, shapes);
      if (match === undefined) throw unknownOption(token, current, shapes);
      if (current !== undefined && match.shape.long === "--help" && match.attached === undefined) {
        // `runner build --help` is `runner --help build`; the next word is not its value.
        coreTokens.push(`--help=${current.task.name}`);
        continue;
      }
      const taken = takeCoreValue(match, token, argv, i, shapes, (flag) => unknownOption(flag, current, shapes));
      for (const core of taken.tokens) {
        const long = core.replace(/=.*$/s, "");
        if (current !== undefined && (long === "--file" || long === "--cwd")) {
          throw new UserError(`Option ${long} must come before the first task name.`);
        }
        coreTokens.push(current !== undefined && core === "--help" ? `--help=${current.task.name}` : core);
      }
      i += taken.consumed;
      continue;
    }
    if (current !== undefined && fillPositional(current, token)) continue;
    const task = collection.find(token);
    if (task === undefined) {
      if (current !== undefined && current.task.kind === "function") {
        current.args.push(token);
        continue;
      }
      throw unknownTask(token, collection);
    }
    current = { task, given: new Map(), args: [], rest: [] };
    invocations.push(current);
  }
  return { coreTokens, invocations, rest };
}

/** `Unknown task "biuld". Did you mean "build"?`, or what a namespace with no default holds. */
export function unknownTask(word: string, collection: Collection): UserError {
  const name = word.split(".").map(kebabCase).join(".");
  const inside = collection.tasks.filter((task) => !task.hidden && task.name.startsWith(`${name}.`));
  if (inside.length > 0) {
    const names = inside.map((task) => task.name).join(", ");
    return new UserError(`"${word}" is a namespace with no default task; run one of its tasks: ${names}.`);
  }
  // Names users may see: visible tasks and their namespaces, not the `docs.default` spelling of `docs`.
  const names = collection.names.filter((n) => collection.find(n)?.hidden === false && !n.endsWith(".default"));
  const namespaces = collection.tasks.filter((task) => !task.hidden).flatMap((task) => namespacesOf(task.name));
  return new UserError(`Unknown task "${word}".${didYouMean(word, new Set([...names, ...namespaces]))}`);
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

/** How many words after `token` a task option used, or undefined when it is not one. */
function takeTaskOption(invocation: Invocation, token: string, argv: readonly string[], i: number): number | undefined {
  const defs = invocation.task.options;
  const taskName = invocation.task.name;
  let def: OptionDef | undefined;
  let attached: string | undefined;
  let negated = false;
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    const name = kebabCase(eq === -1 ? token.slice(2) : token.slice(2, eq));
    attached = eq === -1 ? undefined : token.slice(eq + 1);
    def = defs.find((d) => d.flag === name && !d.positional) ?? defs.find((d) => d.flag === name);
    if (def === undefined && name.startsWith("no-")) {
      def = defs.find((d) => d.flag === name.slice(3) && d.type === "boolean");
      negated = def !== undefined;
    }
  } else {
    def = defs.find((d) => d.short !== undefined && d.short === token[1]);
    attached = token.length > 2 ? token.slice(2) : undefined;
  }
  if (def === undefined) return undefined;
  const flag = `--${def.flag}`;
  if (def.type === "boolean") {
    if (negated) {
      if (attached !== undefined) throw new UserError(`Option --no-${def.flag} of task "${taskName}" takes no value.`);
      setValue(invocation, def, false);
    } else {
      setValue(invocation, def, attached === undefined ? true : coerceValue(attached, def, taskName));
    }
    return 0;
  }
  if (attached !== undefined) {
    setValue(invocation, def, coerceValue(attached, def, taskName));
    return 0;
  }
  const next = argv[i + 1];
  const looksLikeValue =
    next !== undefined && next !== "--" && (!next.startsWith("-") || (def.type === "number" && /^-\d/.test(next)));
  if (!looksLikeValue) throw new UserError(`Option ${flag} of task "${taskName}" needs a value.`);
  setValue(invocation, def, coerceValue(next, def, taskName));
  return 1;
}

function unknownOption(token: string, current: Invocation | undefined, shapes: readonly CoreOptionShape[]): UserError {
  const name = token.includes("=") ? token.slice(0, token.indexOf("=")) : token;
  const core = shapes.filter((s) => s.long !== "--complete").map((s) => s.long);
  if (current === undefined) return new UserError(`Unknown option "${name}".${didYouMean(name, core)}`);
  const own = current.task.options.flatMap((d) =>
    d.type === "boolean" ? [`--${d.flag}`, `--no-${d.flag}`] : d.positional ? [] : [`--${d.flag}`],
  );
  const suggestion = closest(name, own) ?? closest(name, core);
  const hint = suggestion === undefined ? "" : ` Did you mean "${suggestion}"?`;
  return new UserError(`Unknown option "${name}" for task "${current.task.name}".${hint}`);
}
