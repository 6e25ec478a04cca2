// The task declaration API: `task({...})` and the types that make `opts` typed from the
// declared options. Kept free of imports with side effects: user tasks files import it.
import type { Context } from "../context/types.ts";

export type OptionType = "string" | "number" | "boolean";

export interface OptionSpec {
  readonly type: OptionType;
  readonly choices?: readonly (string | number)[];
  readonly default?: unknown;
  readonly help?: string;
  readonly short?: string;
  readonly multiple?: boolean;
  readonly positional?: boolean;
  readonly required?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type BaseValue<S extends OptionSpec> = S["type"] extends "boolean"
  ? boolean
  : S["choices"] extends readonly (infer C)[]
    ? C
    : S["type"] extends "number"
      ? number
      : string;

type Value<S extends OptionSpec> = S["multiple"] extends true ? BaseValue<S>[] : BaseValue<S>;

// An option always has a value when it is required, has a default, is a boolean (false
// unless given) or is `multiple` (an empty list unless given); otherwise it may be undefined.
type IsAlwaysSet<S extends OptionSpec> = S["required"] extends true
  ? true
  : S extends { readonly default: unknown }
    ? true
    : S["type"] extends "boolean"
      ? true
      : S["multiple"] extends true
        ? true
        : false;

/** One object type instead of an intersection: what editors show, and what tests compare. */
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The `opts` object a task's `run` receives, typed from its option declarations. */
export type OptionValues<O extends OptionSpecs> = Flatten<
  {
    readonly [K in keyof O as IsAlwaysSet<O[K]> extends true ? K : never]: Value<O[K]>;
  } & {
    readonly [K in keyof O as IsAlwaysSet<O[K]> extends true ? never : K]?: Value<O[K]>;
  }
>;

export type Duration = string | number;

export interface TaskConfig<O extends OptionSpecs> {
  readonly description?: string;
  readonly aliases?: readonly string[];
  readonly deps?: readonly TaskRef[];
  readonly options?: O;
  readonly timeout?: Duration;
  readonly retries?: number;
  readonly hidden?: boolean;
  readonly run: (ctx: Context, opts: OptionValues<O>) => unknown;
}

export const TASK_BRAND = Symbol.for("runner.task");

/** What `task()` returns; the brand survives several copies of runner being loaded. */
export interface TaskDefinition<O extends OptionSpecs = OptionSpecs> extends TaskConfig<O> {
  readonly [TASK_BRAND]: true;
}

/** Any task made by `task()`, whatever its options (what deps need to know of it). */
export interface AnyTaskDefinition {
  readonly [TASK_BRAND]: true;
}

/** A dependency: a task made by `task()` or a plain exported function. */
export type TaskRef = AnyTaskDefinition | ((ctx: Context) => unknown);

/** Declare a task with options, deps, aliases, a time limit and retries. */
export function task<const O extends OptionSpecs = Record<never, never>>(config: TaskConfig<O>): TaskDefinition<O> {
  return Object.freeze({ ...config, [TASK_BRAND]: true as const });
}

export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === "object" && value !== null && TASK_BRAND in value;
}
