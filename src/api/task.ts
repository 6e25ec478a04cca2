// The task declaration API: `task({...})` and the types that make `opts` typed from the
// declared options. Kept free of imports with side effects: user tasks files import it.
import type { Context } from "./context.ts";

/**
 * What kind of value an option takes on the command line, and so its type in `opts`:
 * - `"string"`: the word as given (`--target esnext`, `--target=esnext`) → `string`;
 * - `"number"`: a word that reads as a number (`-j 8`, `-j8`) → `number`; anything else is an error;
 * - `"boolean"`: a flag (`--watch`, `--no-watch`, `--watch=false`) → `boolean`, `false` unless given;
 * - `"count"`: a flag counted each time it is given (`-v -v`, `-vvv`, `--verbose --verbose`)
 *   → `number`, `0` unless given (or its default); `--no-verbose` sets it back to 0.
 */
export type OptionType = "string" | "number" | "boolean" | "count";

/**
 * One option of a task, as declared in `task({ options: { ... } })`. The key it is declared
 * under is its name in `opts`; on the command line it is kebab-cased (`dryRun` → `--dry-run`).
 * Declarations are checked when the tasks file loads: a default or choice of the wrong type,
 * a boolean positional or a short letter used twice is an error naming the task.
 *
 * @example
 * ```ts
 * options: {
 *   target: { type: "string", choices: ["es2022", "esnext"], default: "es2022", help: "language level" },
 *   jobs: { type: "number", default: 4, short: "j" },
 *   entry: { type: "string", positional: true, required: true },
 *   define: { type: "string", multiple: true }, // --define A --define B → ["A", "B"]
 * }
 * ```
 */
export interface OptionSpec {
  /** How the value is read from the command line and typed in `opts`: `"string"`, `"number"`, `"boolean"` or `"count"`. */
  readonly type: OptionType;
  /**
   * The only values accepted, of the option's type (`["es2022", "esnext"]`, `[1, 2, 3]`). In
   * `opts` the option's type is their union (`"es2022" | "esnext"`); any other value on the
   * command line is an error that lists them, and shell completion offers them.
   */
  readonly choices?: readonly (string | number)[];
  /**
   * The value when the option is not given. It must be of the option's type (a list for
   * `multiple`) and one of its `choices`. An option with a default is never undefined in `opts`.
   * Without one, a boolean is `false`, a `multiple` option `[]`, and any other option undefined.
   */
  readonly default?: unknown;
  /** One line describing the option, shown by `runner --help <task>`. */
  readonly help?: string;
  /** A one-letter (or digit) short flag: `short: "j"` accepts `-j 8` and `-j8` as well as `--jobs 8`. */
  readonly short?: string;
  /**
   * Whether the option may be given several times: `--define A --define B` gives `["A", "B"]`.
   * Its value in `opts` is an array, `[]` when not given. A positional that is `multiple`
   * takes every bare word after it, so it must be the last positional.
   * @defaultValue `false`
   */
  readonly multiple?: boolean;
  /**
   * Whether the option is given as a bare word rather than a flag: `runner build src/main.ts`
   * fills the first positional. Positionals are filled in declaration order; the flag form
   * (`--entry src/main.ts`) works too. A boolean cannot be positional.
   * @defaultValue `false`
   */
  readonly positional?: boolean;
  /**
   * Whether the option must be given: without it runner prints
   * `Task "build" needs <entry>. Usage: …` and exits with status 2, running nothing. A
   * required option is never undefined in `opts`; a required `multiple` option needs at least one value.
   * @defaultValue `false`
   */
  readonly required?: boolean;
  /**
   * Whether the value is a secret (a token, a password): runner shows it as `***` in
   * everything it prints and writes — task headers, echoed commands, error messages, the
   * summary, `--plan`, `--report`, `--junit`, GitHub annotations — and wherever the task's
   * own output holds it. `opts` in task code has the real value. A string or number option.
   * @defaultValue `false`
   */
  readonly secret?: boolean;
}

/** A task's option declarations: option names (as they appear in `opts`) to their {@link OptionSpec}. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type BaseValue<S extends OptionSpec> = S["type"] extends "boolean"
  ? boolean
  : S["type"] extends "count"
    ? number
    : S["choices"] extends readonly (infer C)[]
      ? C
      : S["type"] extends "number"
        ? number
        : string;

type Value<S extends OptionSpec> = S["multiple"] extends true ? BaseValue<S>[] : BaseValue<S>;

// An option always has a value when it is required, has a default, is a boolean (false
// unless given), a count (0 unless given) or is `multiple` (an empty list unless given);
// otherwise it may be undefined.
type IsAlwaysSet<S extends OptionSpec> = S["required"] extends true
  ? true
  : S extends { readonly default: unknown }
    ? true
    : S["type"] extends "boolean" | "count"
      ? true
      : S["multiple"] extends true
        ? true
        : false;

/** One object type instead of an intersection: what editors show, and what tests compare. */
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/**
 * The `opts` object a task's `run` receives, typed from its option declarations: a `string`,
 * `number` or `boolean` per `type`, the union of the `choices` when there are some, an array
 * for `multiple`. An option is optional (may be undefined) unless it is `required`, has a
 * `default`, is a boolean (`false` unless given) or is `multiple` (`[]` unless given).
 * `opts` is read-only and has no property for an option that was not declared.
 *
 * @example
 * ```ts
 * // options: { target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" }, tag: { type: "string" } }
 * // opts: { readonly target: "es2022" | "esnext"; readonly tag?: string }
 * ```
 */
export type OptionValues<O extends OptionSpecs> = Flatten<
  {
    readonly [K in keyof O as IsAlwaysSet<O[K]> extends true ? K : never]: Value<O[K]>;
  } & {
    readonly [K in keyof O as IsAlwaysSet<O[K]> extends true ? never : K]?: Value<O[K]>;
  }
>;

/**
 * A length of time: a number of milliseconds (`1500`), or text with a unit: `"250ms"`,
 * `"90s"`, `"5m"`, `"1h"` (a number without a unit, `"1500"`, is milliseconds too). As a
 * time limit, `0` means no limit.
 */
export type Duration = string | number;

/**
 * An amount of memory: a number of bytes, or text with a unit: `"800kB"`, `"512MB"`,
 * `"1.5GB"` (decimal: 1000, 10⁶, 10⁹), `"2GiB"` (binary: 1024, 2²⁰, 2³⁰).
 */
export type Size = string | number;

/** How an isolated task's worker process is chosen (`isolate: { ... }`). */
export interface IsolateOptions {
  /**
   * A worker process of the task's own, ended after it: no module state, globals or
   * timers of an earlier task (as `isolate: "fresh"`). It counts towards `-j` as any worker.
   * @defaultValue false
   */
  readonly fresh?: boolean;
  /**
   * The worker's memory ceiling, as a {@link Size}: when its resident size (RSS) is past it
   * after this task, the worker is ended and the next task gets a new one. A task is never
   * stopped for it while it runs. Overrides the `isolateMaxRss` setting.
   * @defaultValue the `isolateMaxRss` setting (none unless configured)
   */
  readonly maxRss?: Size;
}

/**
 * When a service is ready for its dependents (`service: { ready: ... }`): a line of its output
 * matches a RegExp, a TCP port accepts connections (`{ port: 3000 }`, on `host` or 127.0.0.1),
 * or a URL answers with a 2xx status (`{ url: "http://127.0.0.1:3000/health" }`).
 */
export interface ServiceConfig {
  readonly ready: RegExp | { readonly port: number; readonly host?: string } | { readonly url: string };
}

/**
 * Option values given to a dep (`deps: [[build, { target: "esnext" }]]`) or to
 * `ctx.call(build, { target: "esnext" })`: any of the task's options, typed as in `opts`;
 * only a `required` option with no `default` must be given. The rest take their defaults.
 */
export type OptionsInput<O extends OptionSpecs> = Flatten<
  {
    readonly [K in keyof O as IsNeeded<O[K]> extends true ? K : never]: Value<O[K]>;
  } & {
    readonly [K in keyof O as IsNeeded<O[K]> extends true ? never : K]?: Value<O[K]>;
  }
>;

/** Whether an option must be given: `required` and without a default. */
type IsNeeded<S extends OptionSpec> = S["required"] extends true
  ? S extends { readonly default: unknown }
    ? false
    : true
  : false;

/** What `task()` is given: the task's code and, optionally, its options, deps, names and limits. */
export interface TaskConfig<O extends OptionSpecs, R = unknown> {
  /**
   * What the task does, for `runner --list` (its first line) and `runner --help <task>` (all
   * of it). When omitted, the JSDoc comment on the exported `const` is used instead.
   */
  readonly description?: string;
  /**
   * Other names the task can be run by (`aliases: ["b"]` makes `runner b` run `build`), shown
   * in `--list`. They are kebab-cased like task names; in a namespace they are names in that
   * namespace (`docs.build` with alias `b` is also `docs.b`) and, where no other task or alias
   * has that name, also global (`runner b`). An alias that is already a task's name or
   * another alias in the same namespace is an error when the tasks file loads.
   */
  readonly aliases?: readonly string[];
  /**
   * The task's name where it is not exported (a dep made by a factory): `name: "tsc"`. An
   * exported task is named by its export; without `name`, an unexported dep is named after
   * the `const` it was assigned to (or its function's name).
   */
  readonly name?: string;
  /**
   * Tasks to run before this one: `task()`s or plain functions, run in the order listed, each
   * with its options' defaults (or with some of them given: `[build, { target: "esnext" }]`),
   * and each once per run for the same options however many tasks depend on it. This task
   * runs only once they have all passed; with no `run` it is a group of them. A dep need not be
   * exported (it then runs but is hidden from `--list`). A dep held in a `const` must be
   * declared above the task that names it. A cycle of deps is an error when the tasks file loads.
   */
  readonly deps?: readonly TaskRef[];
  /**
   * Run this task's own deps at the same time (at most `-j` at once), even without `-p`.
   * @defaultValue `false`
   */
  readonly parallel?: boolean;
  /**
   * Tasks to run after this one, once, whether it passed or failed (not when it never ran).
   * Entries are as in `deps`. A failing post task fails the run like any task.
   */
  readonly post?: readonly TaskRef[];
  /**
   * The task's command-line options, by name; they type `opts` in `run` (see {@link OptionValues}).
   * @example
   * ```ts
   * options: { target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" } }
   * ```
   */
  readonly options?: O;
  /**
   * The task's time limit for each attempt, as a {@link Duration} (`"5m"`, `"90s"`, or
   * milliseconds); `0` means no limit. When it expires the task's running commands are
   * stopped (SIGTERM, then SIGKILL after `killGrace`), `ctx.signal` aborts, and the task
   * is reported as timed out (exit status 124). `--timeout` on the command line overrides it.
   * @defaultValue the `timeout` setting (none unless configured)
   */
  readonly timeout?: Duration;
  /**
   * How many times to run the task again after it failed or timed out (a whole number ≥ 0):
   * `retries: 2` allows three attempts in all. Each attempt gets a fresh `ctx`. `--retries`
   * on the command line overrides it.
   * @defaultValue the `retries` setting (0 unless configured)
   */
  readonly retries?: number;
  /**
   * Runs the task's code in a worker process of runner's pool, not in runner's own process:
   * CPU-bound code runs truly in parallel, `process.exit` and crashes stay in the task, and
   * a time limit holds even for code that never yields. `--isolate` isolates every task.
   * Workers are reused from task to task; `"fresh"` gives the task a new worker of its own,
   * ended after it, and `{ maxRss: "1GB" }` sets a memory ceiling past which the worker is
   * replaced after the task (see {@link IsolateOptions}).
   * @defaultValue false
   */
  readonly isolate?: boolean | "fresh" | IsolateOptions;
  /**
   * The files the task reads, as globs relative to the project directory (`"src/**\/*.ts"`,
   * `"tsconfig.json"`; `!` excludes). With `sources`, the task is **up to date** — and skipped,
   * shown as `up to date` — when nothing it depends on changed since its last successful run:
   * these files' contents, its options, its own code, the variables in `env`, and its deps
   * (each of which must be up to date too). `node_modules` and `.git` are left out unless a
   * pattern names them. `--force` (`-B`) runs it anyway; `--watch` re-runs it when they change.
   */
  readonly sources?: readonly string[];
  /**
   * The files the task makes, as globs relative to the project directory (`"dist/**"`): a task
   * is up to date only while every pattern still matches a file. Only with `sources`.
   */
  readonly outputs?: readonly string[];
  /** Environment variables that change what the task does (`["NODE_ENV"]`): part of its up-to-date check. */
  readonly env?: readonly string[];
  /**
   * Makes the task a service, meant to keep running (a dev server, a database): its dependents
   * start once it is **ready** — its output matches `ready` (a RegExp), `{ port }` accepts
   * connections, or `{ url }` answers 2xx — and it is stopped (its whole process tree) once
   * nothing still running or waiting needs it. A service takes no `-j` slot. It is never
   * retried, the run's `--timeout` is not its limit (its own `timeout` is), and it runs in
   * runner's own process, even with `--isolate` or `--redis`. A service that ends while a
   * task needs it fails the run.
   */
  readonly service?: ServiceConfig;
  /**
   * How long a service may take to become ready, as a {@link Duration}; past it the run fails
   * with the service's last output. Only with `service`.
   * @defaultValue `"60s"`
   */
  readonly readyTimeout?: Duration;
  /**
   * Whether to keep the task out of `--list`, `--help` and shell completion. It still runs
   * by name and as a dep. A name starting with `_` hides a task too.
   * @defaultValue `false`
   */
  readonly hidden?: boolean;
  /**
   * The task's code. It gets the task's {@link Context} and its option values, typed from
   * `options`. It may be async: the task passes when the returned promise resolves and fails
   * when it throws or rejects (with a failed command's exit status when the error is a
   * {@link CommandError}, else 1). What it returns is what `ctx.call` of it returns.
   */
  readonly run: (ctx: Context, opts: OptionValues<O>) => R;
}

/** A group task: `task({ deps: [lint, test] })` with no `run`; it runs its deps and nothing else. */
// eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- a group has no options
export interface GroupConfig extends Omit<TaskConfig<Record<never, never>>, "run" | "options"> {
  readonly run?: undefined;
  readonly options?: undefined;
}

export const TASK_BRAND = Symbol.for("runner.task");

/**
 * What `task()` returns: the task's configuration, frozen, marked as a task. Export it from
 * the tasks file to make it a task, list it in another task's `deps`, or call its `run` in a
 * unit test with a `mockContext()` and typed `opts`.
 */
export interface TaskDefinition<O extends OptionSpecs = OptionSpecs, R = unknown> extends TaskConfig<O, R> {
  readonly [TASK_BRAND]: true;
}

/** What `task()` returns for a group task (no `run`): list it in deps, run it by name. */
export interface GroupDefinition extends GroupConfig {
  readonly [TASK_BRAND]: true;
}

/** Any task made by `task()`, whatever its options: what `deps` accepts. */
export interface AnyTaskDefinition {
  readonly [TASK_BRAND]: true;
}

/**
 * A dependency in `deps`: a task made by `task()`, a plain function taking `ctx` (exported or
 * not), or a task with some of its options given: `[build, { target: "esnext" }]`.
 */
export type TaskRef = AnyTaskDefinition | ((ctx: Context) => unknown) | DepWithOptions;

/** `[build, { target: "esnext" }]` in `deps` or `post`: a task and some of its option values. */
export type DepWithOptions = readonly [AnyTaskDefinition, Readonly<Record<string, unknown>>];

/**
 * `deps` as written, checked: each `[task, options]` pair's options must be options of that
 * task (see {@link OptionsInput}), with nothing else in them.
 */
export type CheckedRefs<D> = {
  readonly [K in keyof D]: D[K] extends readonly [infer T, infer X]
    ? T extends TaskDefinition<infer O, infer _R>
      ? readonly [T, OptionsInput<O> & { readonly [E in Exclude<keyof X, keyof O>]: never }]
      : D[K]
    : D[K];
};

/**
 * Declares a task: its code, and optionally its options, deps, aliases, a time limit and
 * retries. Export the result from the tasks file; its name is the export's name, kebab-cased.
 * `opts` in `run` is typed from `options`, with no `as const` needed.
 *
 * @example
 * ```ts
 * import { task } from "runner-ts";
 *
 * export const build = task({
 *   description: "Compile the project",
 *   deps: [clean],
 *   options: { target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" } },
 *   timeout: "5m",
 *   async run(ctx, opts) {
 *     await ctx.run(`tsc -p . --target ${opts.target}`); // opts.target: "es2022" | "esnext"
 *   },
 * });
 * ```
 */
// A task that declares no options has none: its `opts` is an empty object, on purpose.
export function task<
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type
  const O extends OptionSpecs = Record<never, never>,
  R = unknown,
  const D extends readonly TaskRef[] = readonly [],
  const P extends readonly TaskRef[] = readonly [],
>(
  config: TaskConfig<O, R> & { readonly deps?: D & CheckedRefs<D>; readonly post?: P & CheckedRefs<P> },
): TaskDefinition<O, R>;
/** A group task: `task({ deps: [lint, test] })`, with no `run`, runs its deps. */
export function task<
  const D extends readonly TaskRef[] = readonly [],
  const P extends readonly TaskRef[] = readonly [],
>(config: GroupConfig & { readonly deps: D & CheckedRefs<D>; readonly post?: P & CheckedRefs<P> }): GroupDefinition;
export function task(config: TaskConfig<OptionSpecs> | GroupConfig): AnyTaskDefinition {
  return Object.freeze({ ...config, [TASK_BRAND]: true as const, [CALL_SITE]: callSite() });
}

/**
 * Where `task()` was called, as a stack the loader reads only when it needs a name for a
 * dep that is not exported (the `const` it was assigned to). Captured, not formatted: a
 * stack costs little until it is read.
 */
export const CALL_SITE = Symbol.for("runner.task.call-site");

function callSite(): { stack?: string } {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, task);
  return site;
}

/** Whether `value` was made by `task()` (by this or by another copy of runner). */
export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === "object" && value !== null && TASK_BRAND in value;
}
