// Which files runner will run: only the current user's or root's, that no one else can
// write, in directories no one else can write (as git's safe.directory). runner runs as root
// in CI, and a tasks or config file — or a dotenv file, which can set PATH — planted by
// another user in a shared directory would otherwise run with root's rights. Anything else is
// a one-line error naming the file and why.
import { statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { oneLine } from "./show-value.ts";
import { UserError } from "./user-error.ts";

/** Throws when `path` (a file runner is about to run or read settings from) is not to be trusted. */
export function checkTrusted(path: string, uid: number | undefined, shown: string = path): void {
  const reason = distrust(path, uid);
  if (reason !== undefined) throw new UserError(`Refusing to use ${oneLine(shown)}: ${reason}.`);
}

/** Why `path` is not to be trusted, or undefined when it is (or there are no users here). */
export function distrust(path: string, uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined;
  let file: Stats;
  let dir: Stats;
  try {
    file = statSync(path);
    dir = statSync(dirname(path));
  } catch {
    return undefined; // Not there: whoever reads it next says so.
  }
  const owner = (stat: Stats): string | undefined =>
    stat.uid === uid || stat.uid === 0 ? undefined : `user ${stat.uid}`;
  const fileOwner = owner(file);
  if (fileOwner !== undefined) {
    return `it belongs to ${fileOwner}, not to you (runner uses only files of its own user or root)`;
  }
  if ((file.mode & 0o022) !== 0) {
    return `others can write it (mode ${(file.mode & 0o777).toString(8)}); make it private with chmod go-w`;
  }
  const dirOwner = owner(dir);
  if (dirOwner !== undefined) return `its directory ${dirname(path)} belongs to ${dirOwner}`;
  if ((dir.mode & 0o022) !== 0) {
    return `others can write its directory ${dirname(path)} (mode ${(dir.mode & 0o777).toString(8)})`;
  }
  return undefined;
}
