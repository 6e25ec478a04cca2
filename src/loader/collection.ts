// The collection: the tasks a tasks file exports, named and checked once right after
// loading (names, aliases, namespaces, deps, cycles, option declarations).
import { isTaskDefinition, type TaskDefinition } from "../api/task.ts";
import { showValue } from "../common/show-value.ts";
import { parseDuration } from "../common/duration.ts";
import { firstLineOf } from "../common/error-text.ts";
import { kebabCase } from "../common/names.ts";
import { UserError } from "../common/user-error.ts";
import type { Context } from "../api/context.ts";
import { firstLine } from "./jsdoc.ts";
import { normalizeOptions, type OptionDef } from "./option-declarations.ts";

export interface Task {
  /** Full dotted name: `docs.build`. */
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** The whole JSDoc comment (or description), for `--help <task>`. */
  readonly doc: string;
  readonly options: readonly OptionDef[];
  readonly deps: readonly Task[];
  readonly timeoutMs: number | undefined;
  readonly retries: number | undefined;
  readonly hidden: boolean;
  /** Exported functions take extra words as `ctx.args`; `task()`s declare positionals. */
  readonly kind: "function" | "task";
  readonly run: (ctx: Context, opts: Record<string, unknown>) => unknown;
}

export interface Collection {
  readonly file: string;
  /** Every task in export order, unexported deps last. */
  readonly tasks: readonly Task[];
  readonly defaultTask: Task | undefined;
  /** By name, camelCase spelling, alias, or namespace (its `default`). */
  find(word: string): Task | undefined;
  /** Every word `find` accepts, for suggestions and completion. */
  readonly names: readonly string[];
}

interface MutableTask extends Omit<Task, "deps" | "aliases" | "hidden"> {
  hidden: boolean;
  deps: Task[];
  aliases: string[];
  source: TaskDefinition | ((ctx: Context) => unknown);
}

type Source = MutableTask["source"];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** An exported class is a function to `typeof`, but not a task: calling it would throw. */
function isClass(fn: object): boolean {
  return /^class\b/.test(Function.prototype.toString.call(fn));
}

/** The name used for an export key or namespace key. */
function segment(key: string): string {
  return kebabCase(key);
}

function normalizeWord(word: string): string {
  return word.split(".").map(segment).join(".");
}

/** A leading `_` on the task's name or on any namespace above it keeps it out of lists. */
function isPrivateName(name: string): boolean {
  return name.split(".").some((part) => part.startsWith("_"));
}

export function buildCollection(
  file: string,
  fileLabel: string,
  exports: Readonly<Record<string, unknown>>,
  docs: ReadonlyMap<string, string>,
): Collection {
  try {
    return collect(file, fileLabel, exports, docs);
  } catch (error) {
    if (error instanceof UserError) throw error;
    // A getter that throws, a Proxy whose traps do, a value that is no object at all.
    throw new UserError(`${fileLabel}: its exports cannot be read: ${firstLineOf(error)}`);
  }
}

function collect(
  file: string,
  fileLabel: string,
  exports: Readonly<Record<string, unknown>>,
  docs: ReadonlyMap<string, string>,
): Collection {
  const bySource = new Map<Source, MutableTask>();
  const tasks: MutableTask[] = [];
  const lookup = new Map<string, { task: MutableTask; what: string }>();

  const claim = (word: string, task: MutableTask, what: string): void => {
    const existing = lookup.get(word);
    if (existing !== undefined && existing.task !== task) {
      throw new UserError(`${fileLabel}: duplicate task name "${word}" (${existing.what} and ${what}).`);
    }
    lookup.set(word, { task, what });
  };

  // Comments are found by declared name. An export or namespace key is usually that name
  // (`export const build`, `{ build, serve }`), but not when a top-level export of that
  // name holds something else (`{ build: docsBuild }` beside `export const build`).
  const docOf = (key: string | undefined, source: Source): string | undefined => {
    if (key === undefined || key === "") return undefined;
    const owner = exports[key];
    return owner === undefined || owner === source ? docs.get(key) : undefined;
  };

  const makeTask = (name: string, source: Source, docKey: string | undefined): MutableTask => {
    const where = `${fileLabel}: task "${name}"`;
    if (isTaskDefinition(source)) {
      if (typeof source.run !== "function") throw new UserError(`${where} has no run function.`);
      const timeoutMs = source.timeout === undefined ? undefined : parseDuration(source.timeout);
      if (source.timeout !== undefined && timeoutMs === undefined) {
        throw new UserError(
          `${where} has timeout ${showValue(source.timeout)}; expected a duration like "90s", "5m" or milliseconds.`,
        );
      }
      if (source.retries !== undefined && !(Number.isInteger(source.retries) && source.retries >= 0)) {
        throw new UserError(`${where} has retries ${showValue(source.retries)}; expected a whole number ≥ 0.`);
      }
      const doc = source.description ?? docOf(docKey, source) ?? "";
      return {
        name,
        aliases: [],
        description: firstLine(doc),
        doc,
        options: normalizeOptions(source.options, where),
        deps: [],
        timeoutMs,
        retries: source.retries,
        hidden: source.hidden === true || isPrivateName(name),
        kind: "task",
        run: source.run as Task["run"],
        source,
      };
    }
    const fn = source;
    const doc = docOf(fn.name, fn) ?? docOf(docKey, fn) ?? "";
    return {
      name,
      aliases: [],
      description: firstLine(doc),
      doc,
      options: [],
      deps: [],
      timeoutMs: undefined,
      retries: undefined,
      hidden: isPrivateName(name),
      kind: "function",
      run: (ctx) => fn(ctx),
      source,
    };
  };

  /** `origin` says where the name comes from, for the duplicate-name error: `export "buildDocs"`. */
  const add = (name: string, source: Source, docKey: string, origin: string): MutableTask => {
    const known = bySource.get(source);
    if (known !== undefined) {
      // The same task exported under a second name: that name is an alias.
      claim(name, known, `${origin}, an alias of "${known.name}"`);
      if (name !== known.name && !known.aliases.includes(name)) known.aliases.push(name);
      return known;
    }
    const task = makeTask(name, source, docKey);
    claim(name, task, origin);
    bySource.set(source, task);
    tasks.push(task);
    return task;
  };

  const isTaskSource = (value: unknown): value is Source =>
    (typeof value === "function" && !isClass(value)) || isTaskDefinition(value);

  // Breadth-first, so a task exported at the top and inside a namespace is named by the
  // top-level export (module namespace keys come in alphabetical order, not export order).
  // `path` is the JavaScript spelling (`docs.buildAll`), for error texts.
  const queue: { prefix: string; path: string; entries: Readonly<Record<string, unknown>> }[] = [
    { prefix: "", path: "", entries: exports },
  ];
  const seen = new Set<object>();
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const { prefix, path, entries } = item;
    for (const [key, value] of Object.entries(entries)) {
      if (key === "default") continue;
      const name = prefix === "" ? segment(key) : `${prefix}.${segment(key)}`;
      const keyPath = path === "" ? key : `${path}.${key}`;
      if (isTaskSource(value)) add(name, value, key, `export "${keyPath}"`);
      else if (isPlainObject(value) && !seen.has(value)) {
        seen.add(value);
        queue.push({ prefix: name, path: keyPath, entries: value });
      }
    }
    if (prefix !== "" && isTaskSource(entries.default)) {
      const origin = `the default of namespace "${prefix}"`;
      const task = add(`${prefix}.default`, entries.default, "default", origin);
      // `docs.default` is only a way to reach the task, not a name to show as an alias.
      task.aliases = task.aliases.filter((alias) => alias !== `${prefix}.default`);
      claim(prefix, task, origin);
    }
  }

  let defaultTask: MutableTask | undefined;
  const exportedDefault = exports.default;
  if (isTaskSource(exportedDefault)) {
    defaultTask = bySource.get(exportedDefault);
    if (defaultTask === undefined) {
      const fnName = typeof exportedDefault === "function" ? exportedDefault.name : "";
      const name = fnName !== "" && fnName !== "default" && !lookup.has(segment(fnName)) ? segment(fnName) : "default";
      defaultTask = add(name, exportedDefault, fnName || "default", "the default export");
    }
  }

  // Aliases, after every name is known, so a clash is reported whichever comes first.
  for (const task of [...tasks]) {
    if (!isTaskDefinition(task.source)) continue;
    const aliases: unknown = task.source.aliases;
    if (aliases === undefined) continue;
    if (!Array.isArray(aliases) || !aliases.every((alias) => typeof alias === "string" && alias !== "")) {
      throw new UserError(`${fileLabel}: task "${task.name}" has aliases that are not a list of names.`);
    }
    const prefix = task.name.includes(".") ? task.name.slice(0, task.name.lastIndexOf(".") + 1) : "";
    for (const alias of aliases as string[]) {
      const full = prefix + normalizeWord(alias);
      claim(full, task, `an alias of "${task.name}"`);
      if (!task.aliases.includes(full)) task.aliases.push(full);
    }
  }

  // Deps: by identity; a dep that is not exported becomes a hidden task of its own.
  const depsOf = (task: MutableTask): readonly unknown[] => {
    if (!isTaskDefinition(task.source) || task.source.deps === undefined) return [];
    const deps: unknown = task.source.deps;
    if (!Array.isArray(deps)) throw new UserError(`${fileLabel}: task "${task.name}" has deps that are not a list.`);
    return deps;
  };
  // Depth-first, a dep's own deps before the next dep, with a stack of its own: a chain of
  // thousands of deps must not overflow the call stack.
  for (const root of [...tasks]) {
    const stack = [{ task: root, deps: depsOf(root), index: 0 }];
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const { task, deps } = frame;
      if (frame.index === deps.length) {
        stack.pop();
        continue;
      }
      const index = frame.index++;
      const dep = deps[index];
      if (!isTaskSource(dep)) {
        throw new UserError(
          `${fileLabel}: task "${task.name}" has a dep at position ${index + 1} that is not a task or function (is it declared below the task, or misspelt?).`,
        );
      }
      let depTask = bySource.get(dep);
      if (depTask === undefined) {
        const fnName = typeof dep === "function" ? dep.name : "";
        const base = fnName !== "" ? segment(fnName) : `${task.name}[dep ${index + 1}]`;
        const name = lookup.has(base) ? `${task.name}[dep ${index + 1}]` : base;
        depTask = add(name, dep, fnName || name, `dep ${index + 1} of "${task.name}"`);
        depTask.hidden = true;
        stack.push({ task: depTask, deps: depsOf(depTask), index: 0 });
      }
      task.deps.push(depTask);
    }
  }
  checkCycles(tasks, fileLabel);

  const names = [...lookup.keys()];
  return {
    file,
    tasks,
    defaultTask,
    names,
    find(word: string): Task | undefined {
      return (lookup.get(word) ?? lookup.get(normalizeWord(word)))?.task;
    },
  };
}

/** A dependency cycle is an error naming it; depth-first with a stack of its own, linear in the deps. */
function checkCycles(tasks: readonly Task[], fileLabel: string): void {
  const done = new Set<Task>();
  const onPath = new Set<Task>();
  for (const root of tasks) {
    if (done.has(root)) continue;
    const stack = [{ task: root, index: 0 }];
    onPath.add(root);
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const dep = frame.task.deps[frame.index++];
      if (dep === undefined) {
        stack.pop();
        onPath.delete(frame.task);
        done.add(frame.task);
      } else if (onPath.has(dep)) {
        const path = stack.map((f) => f.task);
        const cycle = [...path.slice(path.indexOf(dep)), dep].map((t) => t.name).join(" → ");
        throw new UserError(`${fileLabel}: Dependency cycle: ${cycle}`);
      } else if (!done.has(dep)) {
        stack.push({ task: dep, index: 0 });
        onPath.add(dep);
      }
    }
  }
}
