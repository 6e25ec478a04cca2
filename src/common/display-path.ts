import { relative } from "node:path";

/** A path as the user would type it: relative to `cwd` (where runner was started) when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}
