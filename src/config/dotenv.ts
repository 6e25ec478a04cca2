// The `dotenv` setting: files of KEY=value lines for commands' environment and task code's
// process.env. A file that does not exist is skipped unless it is marked required (as just
// and go-task skip a missing .env).
import { readFileSync } from "node:fs";
import { oneLine } from "../common/show-value.ts";
import { resolve } from "node:path";
import { checkTrusted } from "../common/trust.ts";
import { UserError } from "../common/user-error.ts";
import type { DotenvFile, RunnerConfig } from "./settings.ts";

/** Commands' environment, and the dotenv values it fills in (for task code's process.env too). */
export interface CommandEnvironment {
  readonly env: Record<string, string | undefined>;
  /** The dotenv values for variables the environment does not set. */
  readonly unset: Readonly<Record<string, string>>;
}

/**
 * The environment commands get: dotenv files fill in what `env` (runner's own) does not set
 * (as dotenv itself does, so a CI secret beats a checked-in .env); the `env` setting is
 * explicit and wins over both.
 */
export async function commandEnvironment(
  config: Pick<RunnerConfig, "dotenv" | "env">,
  env: Readonly<Record<string, string | undefined>>,
  base: string,
  uid: number | undefined,
): Promise<CommandEnvironment> {
  const dotenv = await loadDotenv(config.dotenv, base, uid);
  const unset = Object.fromEntries(Object.entries(dotenv).filter(([key]) => env[key] === undefined));
  return { env: { ...unset, ...env, ...config.env }, unset };
}

/** The values of the dotenv files, later files overriding earlier ones. */
export async function loadDotenv(
  files: readonly DotenvFile[],
  base: string,
  uid: number | undefined,
): Promise<Record<string, string>> {
  if (files.length === 0) return {};
  // dotenv is CommonJS, bundled into dist/: its exports are the default export's properties.
  const { parse } = (await import("dotenv")).default;
  const values: Record<string, string> = {};
  for (const { path, required } of files) {
    let text: string;
    // A dotenv file can set PATH: it is trusted as code is.
    checkTrusted(resolve(base, path), uid, path);
    try {
      text = readFileSync(resolve(base, path), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const missing = code === "ENOENT" || code === "ENOTDIR";
      if (missing && !required) continue;
      throw new UserError(
        missing
          ? `The dotenv file ${oneLine(path)} does not exist (it is required by the dotenv setting).`
          : `The dotenv file ${oneLine(path)} cannot be read (${code ?? "error"}).`,
      );
    }
    Object.assign(values, parse(text));
  }
  return values;
}
