// What dispatchers and workers say to each other through Redis (SPEC §8): the job a
// dispatcher sends for one attempt of one task, the keys of a run, and the entries of the
// run's event stream. Everything read from Redis is checked here before anyone uses it:
// the queue is shared, and nothing in it is trusted to have the shape it should.

/** The version of this protocol; a job of another version is refused. */
export const PROTOCOL = 1;

/** What a job carries: a task to look up and words to parse, never code or a command string. */
export interface JobData {
  readonly v: typeof PROTOCOL;
  /** The run's id (random hex): its event stream and cancel keys hang off it. */
  readonly run: string;
  /** The task's name, looked up in the worker's own tasks file. */
  readonly task: string;
  /** Its command-line words (options, positionals, `--` and the rest), parsed by the worker. */
  readonly words: readonly string[];
  /** The dispatcher's tasks-file hash (project-relative paths and contents of its sources). */
  readonly hash: string;
  /** The directory runner was started in, relative to the project directory ("" for itself). */
  readonly cwd: string;
  /** The run's settings that change how a task runs (-e, -n, -w, measuring for --stats/--report). */
  readonly echo: boolean;
  readonly dryRun: boolean;
  readonly warnOnly: boolean;
  readonly measure: boolean;
}

/** Job ids: `<run>.<n>`. BullMQ refuses ":" in custom ids and silently ignores a duplicate. */
export function jobId(run: string, n: number): string {
  return `${run}.${n}`;
}

/** A new run id: 16 random bytes as hex. */
export function newRunId(randomHex: (bytes: number) => string): string {
  return randomHex(16);
}

/** Redis keys of a run, beside BullMQ's own (`bull:<queue>:…`). */
export const keys = {
  /** The run's event stream: what its tasks print, their commands, their ends. */
  events: (run: string): string => `runner:run:${run}:events`,
  /** Kept alive by the run's dispatcher (HEARTBEAT_MS): a worker cancels a job whose dispatcher is gone. */
  alive: (run: string): string => `runner:run:${run}:alive`,
  /** Set when a job is cancelled, for a worker that takes it later (or missed the message). */
  cancel: (job: string): string => `runner:cancel:${job}`,
  /** Where cancels are published (the message is the job id). */
  cancelChannel: "runner:cancel",
} as const;

/** How often a dispatcher says it is alive; its key lives three beats. */
export const HEARTBEAT_MS = 1000;

/** How long a run's keys live if no dispatcher deletes them (one crashed): a day. */
export const RUN_KEY_TTL_SECONDS = 24 * 60 * 60;

/** The kinds of entries in a run's event stream. */
export type EntryKind = "take" | "out" | "err" | "cmd-start" | "cmd-end" | "end";

/** One entry of a run's event stream, as written by a worker. */
export interface StreamEntry {
  /** The stream entry's id, for resuming a read. */
  readonly id: string;
  readonly job: string;
  /** BullMQ's attempt of the job (1, then 2 after its worker stopped responding). */
  readonly attempt: number;
  readonly worker: string;
  readonly kind: EntryKind;
  /** Bytes for out/err; JSON text for the others. */
  readonly data: Buffer;
  /**
   * Its writer (one per worker process, random) and its place in what that writer sent: an
   * XADD that Redis applied but whose reply a restart lost is sent again by the client, and
   * the copy is told by its number.
   */
  readonly sequence?: { readonly writer: string; readonly n: number };
}

const KINDS: ReadonlySet<string> = new Set(["take", "out", "err", "cmd-start", "cmd-end", "end"]);

/** A stream entry from XREAD's raw fields, or undefined when it is not one of ours. */
export function parseEntry(id: string, fields: readonly Buffer[]): StreamEntry | undefined {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), fields[i + 1] as Buffer);
  const job = map.get("j")?.toString();
  const attempt = Number(map.get("a")?.toString());
  const worker = map.get("w")?.toString();
  const kind = map.get("k")?.toString();
  const data = map.get("d");
  if (job === undefined || worker === undefined || kind === undefined || data === undefined) return undefined;
  if (!Number.isSafeInteger(attempt) || attempt < 1 || !KINDS.has(kind)) return undefined;
  const at = /^([0-9a-f]{1,64}):([1-9]\d{0,15})$/.exec(map.get("s")?.toString() ?? "");
  const sequence = at === null ? {} : { sequence: { writer: at[1] as string, n: Number(at[2]) } };
  return { id, job, attempt, worker, kind: kind as EntryKind, data, ...sequence };
}

const RUN_ID = /^[0-9a-f]{32}$/;
const WORD_LIMIT = 10_000;

/** The job data of a job taken from the queue, checked; a string says what is wrong with it. */
export function checkJobData(data: unknown): JobData | string {
  if (typeof data !== "object" || data === null) return "the job carries no data";
  const d = data as Record<string, unknown>;
  if (d.v !== PROTOCOL) return `the job is of protocol ${String(d.v)}, this worker speaks ${PROTOCOL}`;
  if (typeof d.run !== "string" || !RUN_ID.test(d.run)) return "the job names no run";
  if (typeof d.task !== "string" || d.task === "" || d.task.length > 1000) return "the job names no task";
  if (!Array.isArray(d.words) || d.words.length > WORD_LIMIT || !d.words.every((w) => typeof w === "string")) {
    return "the job's words are not a list of strings";
  }
  if (typeof d.hash !== "string" || !/^[0-9a-f]{1,128}$/.test(d.hash)) return "the job has no tasks-file hash";
  if (typeof d.cwd !== "string" || !isInsideRelative(d.cwd)) return "the job's directory is not inside the project";
  for (const flag of ["echo", "dryRun", "warnOnly", "measure"] as const) {
    if (typeof d[flag] !== "boolean") return `the job's ${flag} is not true or false`;
  }
  return data as JobData;
}

/** A relative path that stays inside the directory it is relative to: no "..", not absolute, no NUL. */
export function isInsideRelative(path: string): boolean {
  if (path === "") return true;
  if (path.startsWith("/") || path.includes("\0")) return false;
  return path.split("/").every((part) => part !== ".." && part !== "");
}

/** What a worker says at the end of an attempt (the `end` entry's JSON). */
export interface EndData {
  readonly status: unknown;
  readonly durationMs: number;
  readonly usage?: unknown;
  readonly result?: string;
  /** Set for "unknown task", "invalid options", "tasks file differs": a retry cannot help. */
  readonly unrecoverable?: boolean;
}
