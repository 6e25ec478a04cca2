// What `--list`, `--list --json` and `--help <task>` print.
import type { ChalkInstance } from "chalk";
import { showText } from "../common/show-value.ts";
import { formatLimit } from "../common/duration.ts";
import { didYouMean } from "../common/names.ts";
import { UserError } from "../common/user-error.ts";
import type { Collection, Task } from "../loader/collection.ts";
import type { OptionDef } from "../loader/option-declarations.ts";
import { describeDep } from "../plan/describe.ts";
import { positionalLabel, usage } from "../plan/option-values.ts";

function namespaceOf(task: Task): string {
  const at = task.name.lastIndexOf(".");
  return at === -1 ? "" : task.name.slice(0, at);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * List order: top-level tasks, then each namespace's, every group sorted by name. (Export
 * order is not available: module namespace keys are sorted, capitals first, and before
 * kebab-casing, so `HTMLReport` would come before `build`.)
 */
function byListOrder(a: Task, b: Task): number {
  const [nsA, nsB] = [namespaceOf(a), namespaceOf(b)];
  if (nsA !== nsB) return nsA === "" ? -1 : nsB === "" ? 1 : compare(nsA, nsB);
  return compare(a.name, b.name);
}

function visibleTasks(collection: Collection, namespace: string | undefined): Task[] {
  const tasks = collection.tasks.filter((task) => !task.hidden).sort(byListOrder);
  if (namespace === undefined) return tasks;
  const inside = tasks.filter((task) => task.name.startsWith(`${namespace}.`));
  if (inside.length === 0) {
    const namespaces = [...new Set(tasks.map(namespaceOf).filter((ns) => ns !== ""))];
    throw new UserError(`Unknown namespace ${showText(namespace)}.${didYouMean(namespace, namespaces)}`);
  }
  return inside;
}

/** The widest a task's name and aliases may be and still have its description on the same line. */
const NAME_COLUMN = 40;

export function listText(collection: Collection, namespace: string | undefined, style: ChalkInstance): string {
  const tasks = visibleTasks(collection, namespace);
  if (tasks.length === 0) return `No tasks in ${collection.file}. Export a function from it to make one.\n`;
  const label = (task: Task): string => [task.name, ...task.aliases.filter((a) => !a.endsWith(".default"))].join(", ");
  // The descriptions line up after the widest label that fits the name column; a longer one
  // (a task with many aliases) has its description on the next line, so it does not push
  // every other description to the right.
  const width = Math.max(0, ...tasks.map((task) => label(task).length).filter((n) => n <= NAME_COLUMN));
  const groups = new Map<string, Task[]>();
  for (const task of tasks) {
    const ns = namespaceOf(task);
    groups.set(ns, [...(groups.get(ns) ?? []), task]);
  }
  const out = [namespace === undefined ? "Available tasks:" : `Tasks in ${namespace}:`];
  for (const [ns, members] of groups) {
    out.push("");
    if (ns !== "" && namespace !== ns) {
      const fallback = collection.find(ns);
      out.push(
        `${style.bold(`${ns}:`)}${fallback === undefined ? "" : style.dim(` (runner ${ns} runs ${fallback.name})`)}`,
      );
    }
    for (const task of members) {
      const notes: string[] = [];
      if (task === collection.defaultTask) notes.push("default");
      if (task.deps.length > 0) {
        notes.push(`${task.parallel ? "deps, at once" : "deps"}: ${task.deps.map(describeDep).join(", ")}`);
      }
      if (task.post.length > 0) notes.push(`post: ${task.post.map(describeDep).join(", ")}`);
      const note = notes.length > 0 ? style.dim(`(${notes.join("; ")})`) : "";
      const text = [task.description, note].filter((part) => part !== "").join(" ");
      const name = label(task);
      if (name.length > width && text !== "") {
        out.push(`  ${style.cyan(name)}`, `  ${" ".repeat(width)}    ${text}`);
      } else out.push(`  ${style.cyan(name.padEnd(width))}${text === "" ? "" : `    ${text}`}`.trimEnd());
    }
  }
  return `${out.join("\n")}\n`;
}

function optionJson(def: OptionDef): Record<string, unknown> {
  return {
    name: def.flag,
    key: def.key,
    type: def.type,
    ...(def.short === undefined ? {} : { short: def.short }),
    ...(def.choices === undefined ? {} : { choices: def.choices }),
    ...(def.default === undefined ? {} : { default: def.secret ? "***" : def.default }),
    ...(def.help === "" ? {} : { help: def.help }),
    multiple: def.multiple,
    positional: def.positional,
    required: def.required,
    ...(def.secret ? { secret: true } : {}),
  };
}

export function listJson(collection: Collection, namespace: string | undefined): string {
  const tasks = visibleTasks(collection, namespace).map((task) => ({
    name: task.name,
    aliases: task.aliases,
    description: task.description,
    deps: task.deps.map((dep) => dep.task.name),
    ...(task.deps.some((dep) => dep.given.size > 0)
      ? { depOptions: task.deps.map((dep) => Object.fromEntries(dep.given)) }
      : {}),
    ...(task.post.length > 0 ? { post: task.post.map((dep) => dep.task.name) } : {}),
    ...(task.parallel ? { parallel: true } : {}),
    ...(task.group ? { group: true } : {}),
    default: task === collection.defaultTask,
    options: task.options.map(optionJson),
  }));
  return `${JSON.stringify({ file: collection.file, tasks }, null, 2)}\n`;
}

function optionLabel(def: OptionDef): string {
  if (def.positional) return positionalLabel(def);
  const short = def.short === undefined ? "    " : `-${def.short}, `;
  if (def.type === "boolean") return `${short}--${def.flag}, --no-${def.flag}`;
  if (def.type === "count") return `${short}--${def.flag}`;
  return `${short}--${def.flag} <${def.type}>`;
}

function optionNotes(def: OptionDef): string {
  const notes: string[] = [def.type];
  if (def.type === "count") notes.push("counts each time it is given");
  if (def.required) notes.push("required");
  if (def.choices !== undefined) notes.push(`one of: ${def.choices.join(", ")}`);
  if (def.default !== undefined) notes.push(`default: ${def.secret ? "***" : JSON.stringify(def.default)}`);
  if (def.secret) notes.push("secret");
  if (def.multiple) notes.push("repeatable");
  return `(${notes.join("; ")})`;
}

export function taskHelpText(task: Task, style: ChalkInstance): string {
  const out = [
    `${style.bold("Usage:")} ${usage(task.name, task.options)}${task.kind === "function" ? " [args...]" : ""}`,
  ];
  if (task.doc !== "") out.push("", task.doc);
  const facts: string[] = [];
  if (task.aliases.length > 0) facts.push(`Aliases: ${task.aliases.join(", ")}`);
  if (task.deps.length > 0) {
    facts.push(`Runs first${task.parallel ? " (at once)" : ""}: ${task.deps.map(describeDep).join(", ")}`);
  }
  if (task.post.length > 0) facts.push(`Runs after: ${task.post.map(describeDep).join(", ")}`);
  if (task.timeoutMs !== undefined) facts.push(`Time limit: ${formatLimit(task.timeoutMs)}`);
  if (task.retries !== undefined && task.retries > 0) facts.push(`Retries: ${task.retries}`);
  if (facts.length > 0) out.push("", ...facts);
  const sections: [string, OptionDef[]][] = [
    ["Arguments:", task.options.filter((d) => d.positional)],
    ["Options:", task.options.filter((d) => !d.positional)],
  ];
  for (const [title, defs] of sections) {
    if (defs.length === 0) continue;
    const width = Math.max(...defs.map((d) => optionLabel(d).length));
    out.push("", style.bold(title));
    for (const def of defs) {
      const help = def.help === "" ? "" : `${def.help} `;
      out.push(`  ${optionLabel(def).padEnd(width)}  ${help}${style.dim(optionNotes(def))}`);
    }
  }
  return `${out.join("\n")}\n`;
}
