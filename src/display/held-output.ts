// A task's output held back until it can be shown whole (the grouped and quiet modes): its
// stdout and stderr parts in the order they came, so that a block can be written out as
// the task printed it. Beyond a limit it goes to a temporary file instead of memory: a task
// that prints gigabytes must not make runner's memory grow with it. The limit is per task,
// and all tasks' held output shares a budget too, so that many tasks at once (-j 64) do
// not add up to gigabytes either.
//
// The file is unlinked as soon as it is opened (POSIX keeps it readable through its
// descriptor): nothing is left in the temp directory, whatever way runner ends.
import { closeSync, openSync, readSync, rmSync, unlinkSync, writevSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";

export type StreamName = "stdout" | "stderr";

export interface Piece {
  readonly stream: StreamName;
  readonly chunk: Buffer;
}

/** How much is read back from the file at a time, and gathered before writing to it. */
const FILE_PIECE = 1024 * 1024;
/** writev takes at most this many buffers at once (Linux). */
const IOV_MAX = 1024;

/** What all held outputs may keep in memory together; shared, and counted as they go. */
export interface MemoryBudget {
  readonly limit: number;
  used: number;
  /**
   * Told once when no temporary file can be made (a missing or full temp directory): output
   * is then held in memory after all, rather than lost or the run ended.
   */
  readonly cannotSpill: (error: unknown) => void;
  /** Set once spilling failed: no held output tries again. */
  spillFailed?: boolean;
}

interface Spill {
  readonly fd: number;
  /** The file's path while it still has one. */
  readonly path: string | undefined;
  /** Bytes in the file. */
  written: number;
  /** What follows them, not written yet (or never, once writing failed). */
  pending: Buffer[];
  pendingBytes: number;
  /** Writing failed (a full temp directory): the rest stays in memory. */
  broken: boolean;
}

export class HeldOutput {
  /** Runs of one stream, in arrival order: what a replay writes, and where. */
  private readonly runs: { stream: StreamName; bytes: number }[] = [];
  private memory: Buffer[] = [];
  private memoryBytes = 0;
  private spill: Spill | undefined;
  private bytes = 0;
  /** Whether each stream's output so far ends inside a line (no newline yet). */
  private readonly open = { stdout: false, stderr: false };

  constructor(
    /** Bytes this output may keep in memory. */
    private readonly memoryLimit: number,
    private readonly budget: MemoryBudget,
    /** Where the file goes. */
    private readonly tmpdir: () => string,
  ) {}

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }

  add(stream: StreamName, chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bytes += chunk.length;
    this.open[stream] = chunk[chunk.length - 1] !== 0x0a;
    const last = this.runs.at(-1);
    if (last?.stream === stream) last.bytes += chunk.length;
    else this.runs.push({ stream, bytes: chunk.length });
    if (this.spill === undefined) {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      this.budget.used += chunk.length;
      const over = this.memoryBytes > this.memoryLimit || this.budget.used > this.budget.limit;
      if (over && this.budget.spillFailed !== true) this.trySpill();
      return;
    }
    this.spill.pending.push(chunk);
    this.spill.pendingBytes += chunk.length;
    if (this.spill.pendingBytes >= FILE_PIECE) this.writePending(this.spill);
  }

  /**
   * The held output, piece by piece, in the order it came; read from the file lazily, a
   * piece at a time. Each piece is a new buffer: a writer may keep it while a pipe drains.
   */
  *pieces(): Generator<Piece> {
    if (this.spill === undefined) {
      const chunks = this.memory.values();
      for (const run of this.runs) {
        for (let left = run.bytes; left > 0;) {
          const chunk = chunks.next();
          if (chunk.done === true) throw new Error("runner: held output lost a chunk");
          left -= chunk.value.length;
          yield { stream: run.stream, chunk: chunk.value };
        }
      }
      return;
    }
    const spill = this.spill;
    this.writePending(spill);
    // The file's bytes first, then what could not be written to it.
    let position = 0;
    let index = 0;
    let offset = 0;
    const take = (most: number): Buffer => {
      if (position < spill.written) {
        const chunk = Buffer.allocUnsafe(Math.min(most, FILE_PIECE, spill.written - position));
        for (let filled = 0; filled < chunk.length;) {
          const read = readSync(spill.fd, chunk, filled, chunk.length - filled, position + filled);
          if (read === 0) throw new Error("runner: the held output's temporary file is shorter than what was written");
          filled += read;
        }
        position += chunk.length;
        return chunk;
      }
      const pending = spill.pending[index];
      if (pending === undefined) throw new Error("runner: held output lost a chunk");
      const part = pending.subarray(offset, offset + most);
      offset += part.length;
      if (offset === pending.length) {
        index++;
        offset = 0;
      }
      return part;
    };
    for (const run of this.runs) {
      for (let left = run.bytes; left > 0;) {
        const chunk = take(left);
        left -= chunk.length;
        yield { stream: run.stream, chunk };
      }
    }
  }

  /** Whether `stream`'s output ends with a partial line. */
  endsMidLine(stream: StreamName): boolean {
    return this.open[stream];
  }

  /** Lets go of everything held (and the file). */
  discard(): void {
    if (this.spill !== undefined) {
      closeSync(this.spill.fd);
      if (this.spill.path !== undefined) rmSync(this.spill.path, { force: true });
    }
    this.spill = undefined;
    this.budget.used -= this.memoryBytes;
    this.memory = [];
    this.memoryBytes = 0;
    this.runs.length = 0;
    this.bytes = 0;
    this.open.stdout = false;
    this.open.stderr = false;
  }

  private trySpill(): void {
    let fd: number;
    let path: string;
    try {
      path = join(this.tmpdir(), `runner-output-${randomUUID()}`);
      fd = openSync(path, "wx+", 0o600);
    } catch (error) {
      this.budget.spillFailed = true;
      this.budget.cannotSpill(error);
      return;
    }
    let left: string | undefined;
    try {
      unlinkSync(path);
    } catch {
      left = path; // A platform that cannot unlink an open file: removed in discard().
    }
    this.spill = { fd, path: left, written: 0, pending: this.memory, pendingBytes: this.memoryBytes, broken: false };
    this.budget.used -= this.memoryBytes;
    this.memory = [];
    this.memoryBytes = 0;
    this.writePending(this.spill);
  }

  /** Writes what is pending to the file; if that fails, it stays pending, in memory, for good. */
  private writePending(spill: Spill): void {
    if (spill.broken) return;
    try {
      while (spill.pending.length > 0) {
        const batch = spill.pending.slice(0, IOV_MAX);
        let written = writevSync(spill.fd, batch, spill.written);
        if (written === 0) throw new Error("the temporary file takes no more bytes");
        spill.written += written;
        // Whole buffers written leave the queue; a short write leaves the rest of one.
        while (written > 0) {
          const first = spill.pending[0];
          if (first === undefined) break;
          if (written >= first.length) {
            spill.pending.shift();
            spill.pendingBytes -= first.length;
            written -= first.length;
          } else {
            spill.pending[0] = first.subarray(written);
            spill.pendingBytes -= written;
            written = 0;
          }
        }
      }
    } catch (error) {
      spill.broken = true;
      if (this.budget.spillFailed !== true) {
        this.budget.spillFailed = true;
        this.budget.cannotSpill(error);
      }
    }
  }
}
