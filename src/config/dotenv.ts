// The `dotenv` setting: files of KEY=value lines for commands' environment.
import { readFileSync } from "node:fs";
import { oneLine } from "../common/show-value.ts";
import { resolve } from "node:path";
import { checkTrusted } from "../common/trust.ts";
import { UserError } from "../common/user-error.ts";

/** The values of the dotenv files, later files overriding earlier ones. */
export async function loadDotenv(
  paths: readonly string[],
  base: string,
  uid: number | undefined,
): Promise<Record<string, string>> {
  if (paths.length === 0) return {};
  // dotenv is CommonJS, bundled into dist/: its exports are the default export's properties.
  const { parse } = (await import("dotenv")).default;
  const values: Record<string, string> = {};
  for (const path of paths) {
    let text: string;
    // A dotenv file can set PATH: it is trusted as code is.
    checkTrusted(resolve(base, path), uid, path);
    try {
      text = readFileSync(resolve(base, path), "utf8");
    } catch {
      throw new UserError(`The dotenv file ${oneLine(path)} does not exist (from the dotenv setting).`);
    }
    Object.assign(values, parse(text));
  }
  return values;
}
