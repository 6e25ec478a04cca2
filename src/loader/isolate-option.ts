// A task's `isolate` as written (true, "fresh", { fresh, maxRss }), checked at load: what
// the task's Task says of where its code runs.
import { showValue } from "../common/show-value.ts";
import { parseSize } from "../common/size.ts";
import { UserError } from "../common/user-error.ts";

export interface TaskIsolation {
  /** Its code runs in a pool worker. */
  readonly isolate: boolean;
  /** In a worker of its own, ended after it (`isolate: "fresh"`). */
  readonly freshWorker: boolean;
  /** Its worker is replaced after it when past this resident size (`isolate: { maxRss }`). */
  readonly maxRssBytes: number | undefined;
}

const EXPECTED = 'expected true, false, "fresh" or { fresh?: boolean, maxRss?: "1GB" }';

/** `where`: the task, for the error (`tasks.ts: task "build"`). */
export function isolationOf(value: unknown, where: string): TaskIsolation {
  const wrong = (): UserError => new UserError(`${where} has isolate ${showValue(value)}; ${EXPECTED}.`);
  if (value === undefined || typeof value === "boolean") {
    return { isolate: value === true, freshWorker: false, maxRssBytes: undefined };
  }
  if (value === "fresh") return { isolate: true, freshWorker: true, maxRssBytes: undefined };
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw wrong();
  const { fresh, maxRss, ...others } = value as Record<string, unknown>;
  if (Object.keys(others).length > 0 || (fresh !== undefined && typeof fresh !== "boolean")) throw wrong();
  const maxRssBytes = maxRss === undefined ? undefined : parseSize(maxRss);
  if (maxRss !== undefined && maxRssBytes === undefined) {
    throw new UserError(
      `${where} has isolate.maxRss ${showValue(maxRss)}; expected a size like "512MB", "1.5GB", "2GiB" or bytes.`,
    );
  }
  return { isolate: true, freshWorker: fresh === true, maxRssBytes };
}
