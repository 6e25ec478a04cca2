// User mistakes vs bugs (as hereby does): a UserError prints as one line with no stack, and
// execution/exit-status.ts turns it into the documented exit status; anything else is a bug
// and keeps its stack. The subclasses carry what went wrong as fields, so that a caller
// wrapping one (a config file loaded as a tasks file) never parses a message back.

export class UserError extends Error {
  override readonly name: string = "UserError";
}

/** Where in a file: 1-based line and column. */
export interface Location {
  readonly line: number;
  readonly column: number;
}

/**
 * A tasks file (or a config file loaded like one) that could not be loaded: it does not
 * compile (`syntax`), or it threw while loading (`threw`).
 */
export class LoadError extends UserError {
  override readonly name = "LoadError";
  constructor(
    /** The file as shown to the user (relative to where runner was started when inside it). */
    readonly file: string,
    readonly kind: "syntax" | "threw",
    /** What went wrong, one line: the compiler's message or the error's. */
    readonly reason: string,
    readonly location: Location | undefined,
    /** A code frame under the message (syntax errors). */
    readonly frame = "",
  ) {
    const where = location === undefined ? file : `${file}:${location.line}:${location.column}`;
    const suffix = kind === "threw" ? " (thrown while loading the tasks file)" : "";
    super(`${where}: ${reason}${suffix}${frame === "" ? "" : `\n${frame}`}`);
  }

  /** `tasks.ts:3:7: boom`: where and what, one line. */
  get where(): string {
    return this.location === undefined ? this.file : `${this.file}:${this.location.line}:${this.location.column}`;
  }
}

/** A configuration file that cannot be read or is not an object of settings. */
export class ConfigError extends UserError {
  override readonly name = "ConfigError";
  constructor(
    readonly path: string | undefined,
    readonly reason: string,
  ) {
    super(`Invalid configuration file${path === undefined ? "" : ` ${path}`}: ${reason}`);
  }
}
