// A run's event stream in Redis (SPEC §8 "Nothing lost"): workers append what their tasks
// print and do (XADD), the dispatcher reads it from the start with blocking XREADs and
// resumes from the last entry it took after a reconnect, so nothing is lost as it would be
// with pub/sub, with BullMQ's trimmed queue events (read from `$`) or with job logs (polled).
// Output is coalesced into chunks; what the dispatcher has taken is trimmed away as it goes.
import { randomBytes } from "node:crypto";
import type { Redis } from "./connection.ts";
import { parseEntry, RUN_KEY_TTL_SECONDS, type EntryKind, type StreamEntry } from "./protocol.ts";

/** The reader trims what it has taken every this many reads (and after any big batch). */
const TRIM_EVERY = 16;
/**
 * A chunk is sent once this much is waiting, or after FLUSH_MS. Each entry costs a command
 * on either side (XADD, a share of an XREAD, the parsing of its fields): a task printing
 * 20 MB sends 80 of them, not 300 of 64 KiB (bench row 11: less CPU on both sides).
 */
const CHUNK_BYTES = 256 * 1024;
const FLUSH_MS = 15;
/** Past this many bytes sent and not yet acknowledged, writers wait (backpressure on the task's output). */
const IN_FLIGHT_BYTES = 8 * 1024 * 1024;
/** Entries an XREAD takes at most: a reader far behind gets at most READ_COUNT × CHUNK_BYTES (25 MiB) at once. */
const READ_COUNT = 100;

interface Pending {
  readonly job: string;
  readonly attempt: number;
  readonly worker: string;
  readonly kind: EntryKind;
  readonly chunks: Buffer[];
  bytes: number;
}

/** One worker's writer to the event streams of the runs it has jobs of. */
export class EventWriter {
  private pending: (Pending & { readonly key: string }) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private sent: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private readonly expiring = new Set<string>();
  private waiters: (() => void)[] = [];
  /** Numbers each entry it sends (StreamEntry.sequence). */
  private readonly writer = randomBytes(8).toString("hex");
  private sequence = 0;

  constructor(private readonly redis: Redis) {}

  /**
   * Appends an entry for `job`'s `attempt`. Output (out/err) of the same job, attempt and
   * kind is joined with what waits before it; any other entry first sends what waits, so
   * order is kept. Resolves when the writer can take more (backpressure), else undefined.
   */
  write(key: string, entry: Omit<Pending, "chunks" | "bytes">, data: Buffer | string): Promise<void> | undefined {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const p = this.pending;
    const output = entry.kind === "out" || entry.kind === "err";
    if (
      p !== undefined &&
      (!output || p.key !== key || p.job !== entry.job || p.attempt !== entry.attempt || p.kind !== entry.kind)
    ) {
      this.send();
    }
    if (!output) {
      this.pending = { ...entry, key, chunks: [bytes], bytes: bytes.length };
      this.send();
    } else {
      this.pending ??= { ...entry, key, chunks: [], bytes: 0 };
      this.pending.chunks.push(bytes);
      this.pending.bytes += bytes.length;
      if (this.pending.bytes >= CHUNK_BYTES) this.send();
      else this.timer ??= setTimeout(() => this.send(), FLUSH_MS);
    }
    if (this.inFlight < IN_FLIGHT_BYTES) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends what waits and resolves once Redis has every entry; rejects if one could not be written. */
  async flush(): Promise<void> {
    this.send();
    await this.sent;
    if (this.failure !== undefined) throw this.failure;
  }

  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p === undefined) return;
    const data = p.chunks.length === 1 ? (p.chunks[0] as Buffer) : Buffer.concat(p.chunks, p.bytes);
    const seq = `${this.writer}:${++this.sequence}`;
    const fields = ["j", p.job, "a", String(p.attempt), "w", p.worker, "k", p.kind, "s", seq, "d"] as const;
    this.inFlight += data.length;
    // One connection sends its commands in order: entries land in the order they were written.
    const added = this.redis.xadd(p.key, "*", ...fields, data);
    let expire: Promise<unknown> = Promise.resolve();
    if (!this.expiring.has(p.key)) {
      // A stream whose dispatcher is gone must not stay for ever.
      this.expiring.add(p.key);
      expire = this.redis.expire(p.key, RUN_KEY_TTL_SECONDS);
    }
    const done = Promise.all([added, expire]).then(
      () => this.acknowledged(data.length),
      (error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        this.acknowledged(data.length);
      },
    );
    this.sent = Promise.all([this.sent, done]);
  }

  private acknowledged(bytes: number): void {
    this.inFlight -= bytes;
    if (this.inFlight >= IN_FLIGHT_BYTES) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * Reads `key` from its first entry until `signal` aborts, handing each batch to `take` in
 * order (awaited: backpressure), and trimming what was taken. A dropped connection is
 * waited out (the client reconnects) and the read resumes after the last entry taken.
 */
export async function readEvents(
  redis: Redis,
  key: string,
  take: (entries: readonly StreamEntry[]) => Promise<void> | void,
  signal: AbortSignal,
): Promise<void> {
  let last = "0";
  let reads = 0;
  // The last entry taken from each writer: one sent again after a reconnect comes again.
  const taken = new Map<string, number>();
  while (!signal.aborted) {
    let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
    try {
      reply = await redis.xreadBuffer("COUNT", READ_COUNT, "BLOCK", 500, "STREAMS", key, last);
    } catch {
      if (signal.aborted as boolean) return; // aborted while it waited
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const batch = reply?.[0]?.[1];
    if (batch === undefined || batch.length === 0) continue;
    const entries: StreamEntry[] = [];
    for (const [id, fields] of batch) {
      const entry = parseEntry(id.toString(), fields);
      if (entry === undefined) continue;
      const { sequence } = entry;
      if (sequence !== undefined) {
        if (sequence.n <= (taken.get(sequence.writer) ?? 0)) continue;
        taken.set(sequence.writer, sequence.n);
      }
      entries.push(entry);
    }
    last = (batch.at(-1) as [Buffer, Buffer[]])[0].toString();
    await take(entries);
    // What was taken is not needed again; the stream stays small however much a task prints.
    // (Not after every read: a run of many small tasks reads a few entries at a time.)
    if (++reads % TRIM_EVERY === 0 || batch.length >= READ_COUNT) redis.xtrim(key, "MINID", last).catch(() => {});
  }
}
