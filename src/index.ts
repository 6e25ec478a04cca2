// The library entry: what a tasks file imports. It must stay light (no process or CLI code).
export { task, isTaskDefinition } from "./api/task.ts";
export type {
  Duration,
  IsolateOptions,
  OptionSpec,
  OptionSpecs,
  OptionType,
  OptionValues,
  TaskConfig,
  TaskDefinition,
  TaskRef,
  AnyTaskDefinition,
  DepWithOptions,
  GroupConfig,
  GroupDefinition,
  OptionsInput,
  ServiceConfig,
  Size,
} from "./api/task.ts";
export type { Context, Responder, Result, RunOptions } from "./api/context.ts";
export type { DotenvFile, OutputMode, RunnerConfig } from "./config/settings.ts";
export { CommandError } from "./context/command-error.ts";
