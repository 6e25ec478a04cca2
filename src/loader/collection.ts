// The collection: the tasks a tasks file exports, named and checked once right after
// loading (names, aliases, namespaces, deps, cycles, option declarations).
import { isTaskDefinition, type TaskDefinition } from "../api/task.ts";
import { showValue } from "../common/show-value.ts";
import { parseDuration } from "../common/duration.ts";
import { firstLineOf } from "../common/error-text.ts";
import { kebabCase } from "../common/names.ts";
import { UserError } from "../common/user-error.ts";
import type { Context } from "../api/context.ts";
import { checkGivenOptions } from "./dep-options.ts";
import { variableNameOf } from "./dep-names.ts";
import { firstLine } from "./jsdoc.ts";
import { isolationOf } from "./isolate-option.ts";
import { devOptionsOf, type TaskDevOptions } from "./dev-options.ts";
import { normalizeOptions, type OptionDef, type OptionValue } from "./option-declarations.ts";

/** A task another lists in `deps` or `post`, with the option values it gives it (checked at load). */
export interface Dep {
  readonly task: Task;
  /** Option key → value, only what the listing task gave; the rest take their defaults. */
  readonly given: ReadonlyMap<string, OptionValue>;
}

/** A task; its `sources`, `outputs`, `envNames` and `service` come from dev-options.ts. */
export interface Task extends TaskDevOptions {
  /** Full dotted name: `docs.build`. */
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** The whole JSDoc comment (or description), for `--help <task>`. */
  readonly doc: string;
  readonly options: readonly OptionDef[];
  readonly deps: readonly Dep[];
  /** Run after it, once, whether it passed or failed (`post`). */
  readonly post: readonly Dep[];
  /** Its own deps run at the same time (`parallel: true`). */
  readonly parallel: boolean;
  /** A group task: no `run` of its own; it runs its deps. */
  readonly group: boolean;
  readonly timeoutMs: number | undefined;
  readonly retries: number | undefined;
  /** Its code runs in a pool worker (`isolate: true`). */
  readonly isolate: boolean;
  /** In a worker of its own, ended after it (`isolate: "fresh"`). */
  readonly freshWorker: boolean;
  /** Its worker is replaced after it when past this resident size (`isolate: { maxRss }`). */
  readonly maxRssBytes: number | undefined;
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
  /**
   * The task a `task()` or function stands for, for `ctx.call`: the collection's own, or
   * (made once, hidden) one the tasks file neither exports nor lists as a dep.
   */
  taskOf(source: unknown): Task | undefined;
}

interface MutableTask extends Omit<Task, "deps" | "post" | "aliases" | "hidden"> {
  hidden: boolean;
  deps: Dep[];
  post: Dep[];
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

/** What `ctx.call` throws when given something that is not a task (in runner's process and in a pool worker alike). */
export function notATaskError(source: unknown): TypeError {
  return new TypeError(`ctx.call: expected a task made by task() or a function, not ${showValue(source)}`);
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
      // A tasks file is JavaScript at run time: `run` may be missing whatever the types say.
      const group = (source as { run?: unknown }).run === undefined;
      if (group && (!Array.isArray(source.deps) || source.deps.length === 0)) {
        throw new UserError(`${where} has no run function (and no deps, so it is no group either).`);
      }
      if (!group && typeof source.run !== "function") throw new UserError(`${where} has no run function.`);
      const timeoutMs = source.timeout === undefined ? undefined : parseDuration(source.timeout);
      if (source.timeout !== undefined && timeoutMs === undefined) {
        throw new UserError(
          `${where} has timeout ${showValue(source.timeout)}; expected a duration like "90s", "5m" or milliseconds.`,
        );
      }
      if (source.retries !== undefined && !(Number.isInteger(source.retries) && source.retries >= 0)) {
        throw new UserError(`${where} has retries ${showValue(source.retries)}; expected a whole number ≥ 0.`);
      }
      const isolation = isolationOf(source.isolate, where);
      const doc = source.description ?? docOf(docKey, source) ?? "";
      return {
        name,
        aliases: [],
        description: firstLine(doc),
        doc,
        options: normalizeOptions(source.options, where),
        deps: [],
        post: [],
        parallel: source.parallel === true,
        group,
        timeoutMs,
        retries: source.retries,
        ...isolation,
        ...devOptionsOf(source as unknown as Readonly<Record<string, unknown>>, where),
        hidden: source.hidden === true || isPrivateName(name),
        kind: "task",
        run: group ? () => undefined : (source.run as Task["run"]),
        source,
      };
    }
    const fn = source;
    const doc = docOf(fn.name, fn) ?? docOf(docKey, fn) ?? "";
    return { ...functionTask(name, doc, (ctx) => fn(ctx)), source };
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
  const globalAliases = new Map<string, Set<MutableTask>>();
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
      if (prefix !== "") {
        const word = normalizeWord(alias);
        globalAliases.set(word, new Set([...(globalAliases.get(word) ?? []), task]));
      }
    }
  }
  // A namespaced task's alias works from the top too (`runner gen` for `generate.mocks`'s
  // alias `gen`) where that reaches one task only: a top-level task, alias or namespace of
  // that name wins, and an alias two namespaces share stays inside each.
  const namespaces = new Set(tasks.flatMap((task) => namespacesOf(task.name)));
  for (const [alias, owners] of globalAliases) {
    const [owner] = owners;
    if (owners.size !== 1 || owner === undefined || lookup.has(alias) || namespaces.has(alias)) continue;
    claim(alias, owner, `an alias of "${owner.name}"`);
    // Shown as the short spelling; the namespaced one (`generate.gen`) still works.
    const at = owner.aliases.indexOf(`${owner.name.slice(0, owner.name.lastIndexOf(".") + 1)}${alias}`);
    owner.aliases.splice(at === -1 ? owner.aliases.length : at, at === -1 ? 0 : 1, alias);
  }

  // Deps and post tasks: by identity; one that is not exported becomes a hidden task of its own.
  const refsOf = (task: MutableTask): Ref[] => {
    if (!isTaskDefinition(task.source)) return [];
    const refs: Ref[] = [];
    for (const list of ["deps", "post"] as const) {
      const entries: unknown = task.source[list];
      if (entries === undefined) continue;
      if (!Array.isArray(entries)) {
        throw new UserError(`${fileLabel}: task "${task.name}" has ${list} that are not a list.`);
      }
      entries.forEach((entry: unknown, index) => refs.push({ list, index, entry }));
    }
    return refs;
  };
  // Depth-first, a dep's own deps before the next dep, with a stack of its own: a chain of
  // thousands of deps must not overflow the call stack.
  for (const root of [...tasks]) {
    const stack = [{ task: root, refs: refsOf(root), index: 0 }];
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const { task, refs } = frame;
      const ref = refs[frame.index++];
      if (ref === undefined) {
        stack.pop();
        continue;
      }
      const position = `${ref.list === "deps" ? "a dep" : "a post task"} at position ${ref.index + 1}`;
      const [dep, values] = Array.isArray(ref.entry) ? (ref.entry as unknown[]) : [ref.entry, undefined];
      if (!isTaskSource(dep) || (Array.isArray(ref.entry) && ref.entry.length !== 2)) {
        throw new UserError(
          Array.isArray(ref.entry)
            ? `${fileLabel}: task "${task.name}" has ${position} that is not [task, { options }].`
            : `${fileLabel}: task "${task.name}" has ${position} that is not a task or function (is it declared below the task, or misspelt?).`,
        );
      }
      let depTask = bySource.get(dep);
      if (depTask === undefined) {
        depTask = addUnexported(
          dep,
          `${task.name}.${ref.list === "deps" ? "dep" : "post"}-${ref.index + 1}`,
          task.name,
        );
        stack.push({ task: depTask, refs: refsOf(depTask), index: 0 });
      }
      const given =
        values === undefined
          ? new Map<string, OptionValue>()
          : checkGivenOptions(values, depTask.options, `${fileLabel}: task "${task.name}" gives "${depTask.name}"`);
      task[ref.list].push({ task: depTask, given });
    }
  }
  checkCycles(tasks, fileLabel);

  /**
   * A task that is not exported: named by its `name`, else by the variable it was assigned
   * to (or its function's name), else `fallback` (`ci.dep-2`); a variable or function name
   * another task has is taken in the namespace of the task that lists it, else the fallback.
   */
  function addUnexported(source: Source, fallback: string, listedBy: string): MutableTask {
    const own = isTaskDefinition(source) ? (source as { name?: unknown }).name : undefined;
    if (own !== undefined && (typeof own !== "string" || own.trim() === "" || /\s/.test(own))) {
      throw new UserError(
        `${fileLabel}: a task listed by "${listedBy}" has name ${showValue(own)}; expected a word like "tsc".`,
      );
    }
    const fnName = typeof source === "function" ? source.name : "";
    const found = own ?? (isTaskDefinition(source) ? variableNameOf(source) : fnName !== "" ? fnName : undefined);
    const docKey = typeof own === "string" ? undefined : found;
    let name = fallback;
    if (typeof own === "string") name = normalizeWord(own);
    else if (found !== undefined) {
      const ns = listedBy.includes(".") ? `${listedBy.slice(0, listedBy.lastIndexOf("."))}.` : "";
      name = [segment(found), `${ns}${segment(found)}`, fallback].find((n) => !lookup.has(n)) ?? fallback;
    }
    const task = add(name, source, docKey ?? name, `a task listed by "${listedBy}"`);
    task.hidden = true;
    return task;
  }

  const names = [...lookup.keys()];
  return {
    file,
    tasks,
    defaultTask,
    names,
    find(word: string): Task | undefined {
      return (lookup.get(word) ?? lookup.get(normalizeWord(word)))?.task;
    },
    taskOf(source: unknown): Task | undefined {
      if (!isTaskSource(source)) return undefined;
      // Made now, with no deps of its own: ctx.call runs a task's code, not its deps.
      return bySource.get(source) ?? addUnexported(source, `call-${tasks.length + 1}`, "ctx.call");
    },
  };
}

/** A `deps` or `post` entry as written. */
interface Ref {
  readonly list: "deps" | "post";
  readonly index: number;
  readonly entry: unknown;
}

/** `docs.api.build` → `docs`, `docs.api`. */
function namespacesOf(name: string): string[] {
  const parts = name.split(".");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."));
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
      const edges = frame.task.deps.length + frame.task.post.length;
      const at = frame.index++;
      const dep =
        at >= edges
          ? undefined
          : (at < frame.task.deps.length ? frame.task.deps[at] : frame.task.post[at - frame.task.deps.length])?.task;
      if (dep === undefined) {
        stack.pop();
        onPath.delete(frame.task);
        done.add(frame.task);
      } else if (onPath.has(dep)) {
        // A post task is part of the chain too: it runs once its task has ended.
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

/**
 * The task of a plain exported function: its name, doc and code, and every setting at its
 * default (no options, deps, limits, isolation, sources or service), its lists its own to
 * fill in. The in-process tests build their hand-made tasks from it too, so that a new Task
 * field has one default.
 */
export function functionTask(
  name: string,
  doc: string,
  run: Task["run"],
): Task & { deps: Dep[]; post: Dep[]; aliases: string[]; hidden: boolean } {
  return {
    name,
    aliases: [],
    description: firstLine(doc),
    doc,
    options: [],
    deps: [],
    post: [],
    parallel: false,
    group: false,
    timeoutMs: undefined,
    retries: undefined,
    isolate: false,
    freshWorker: false,
    maxRssBytes: undefined,
    sources: undefined,
    outputs: [],
    envNames: [],
    service: undefined,
    hidden: isPrivateName(name),
    kind: "function",
    run,
  };
}
