// runner's side of the pool: at most `max` worker processes (child_process.fork, IPC with
// advanced serialization), reused from task to task, replaced after a crash or a kill, and
// ended after a task that wanted a fresh one or left it past its memory ceiling. A task
// whose worker died is never run again here: retries are the user's (`retries`).
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ProcessGroups } from "../child/process-groups.ts";
import type { Usage } from "../child/usage.ts";
import type { CommandRecord, TaskOutput } from "../context/context.ts";
import { deserializeError, serializeError } from "./errors.ts";
import { orphanGuard, type OrphanGuard } from "./orphan-guard.ts";
import { MarkReader, markPrefix, type Marks, type PipeName } from "./output-marks.ts";
import { isFromWorker, type FromWorker, type RunRequest, type SentOutcome, type ToWorker } from "./protocol.ts";
import type { Spares } from "./spares.ts";
import { forkWorker, killWorkerGroup, unreaped, type WorkerFork } from "./worker-fork.ts";

/** How an isolated task's code ended. */
export type IsolatedEnd =
  | { readonly kind: "returned"; readonly value: unknown; readonly usage?: Usage; readonly cleanupErrors?: unknown[] }
  | { readonly kind: "threw"; readonly error: unknown; readonly usage?: Usage; readonly cleanupErrors?: unknown[] }
  /** It called process.exit(code). `cleanupErrors`: what its deferred functions threw. */
  | { readonly kind: "exited"; readonly code: number; readonly cleanupErrors?: unknown[] }
  /** Its worker died otherwise (a signal, an escaped error): `message` says how. */
  | { readonly kind: "crashed"; readonly message: string; readonly error?: unknown };

export interface IsolatedHooks {
  readonly output: TaskOutput;
  readonly commandStarted: (command: string) => void;
  readonly commandEnded: (record: CommandRecord) => void;
  /** Aborted when the task is to stop: its commands are cancelled, and its worker killed after `killGraceMs`. */
  readonly signal: AbortSignal;
  readonly killGraceMs: number;
  /** Kills a process group a command of the worker leads, if it is certainly that command's. */
  readonly killGroup: (pgid: number) => void;
  /** A command group the worker reported. */
  readonly group: (pgid: number) => void;
  /** ctx.call in the task's code, of the task of that name: resolves to what it returned, rejects with what it threw. */
  readonly call: (task: string, values: unknown) => Promise<unknown>;
}

/** What worker a task needs. */
export interface WorkerNeeds {
  /** One of its own, ended after it (`isolate: "fresh"`). */
  readonly fresh?: boolean;
  /** Its worker is ended after it when past this resident size; else the pool's ceiling holds. */
  readonly maxRssBytes?: number | undefined;
}

export interface PoolOptions extends WorkerFork {
  readonly max: number;
  /** Workers forked ahead of the pool: one forked as this pool would fork is taken before forking anew. */
  readonly spares?: Spares | undefined;
  /** Sends a signal to a process, or a group when `pid` is negative; false when there is none (the World's kill). */
  readonly kill: (pid: number, signal: NodeJS.Signals) => boolean;
  /** A worker past this resident size after a task is ended (the `isolateMaxRss` setting). */
  readonly maxRssBytes: number | undefined;
  /** How long a worker asked to end may take before it is killed (the kill grace period). */
  readonly endGraceMs: number;
  /** Told how many bytes of output came from workers (child/flood.ts). */
  readonly streamed?: (bytes: number) => void;
  /**
   * An error escaped task code while no task of its worker ran (a timer the last one left
   * behind): the run's, as in-process (it cannot pass). `where` names that last task.
   */
  readonly late?: (error: unknown, where: string) => void;
  /**
   * The run's process groups: each worker leads one, where processes a task started itself
   * (child_process, not ctx.run) stay once the worker has gone; they end with the run, as what
   * a command leaves behind does.
   */
  readonly groups?: Pick<ProcessGroups, "add" | "leaderExited" | "ended" | "alive">;
}

interface Job {
  readonly id: number;
  readonly task: string;
  readonly hooks: IsolatedHooks;
  readonly needs: WorkerNeeds;
  readonly resolve: (end: IsolatedEnd) => void;
  readonly groups: Set<number>;
  crash?: { readonly error: unknown; readonly how: string };
  /** Its code called process.exit, and its worker is exiting so. */
  exit?: { readonly code: number; readonly cleanupErrors: unknown[] };
  killed?: boolean;
  /** Its ctx.calls not yet answered: while there are some, its worker lends its place (see busy). */
  calls: number;
}

interface Worker {
  readonly child: ChildProcess;
  /** The task that last ended in it, whose leftover code may still print or throw. */
  last: { readonly task: string; readonly output: TaskOutput } | undefined;
  /** It is ending on an error that such leftover code let escape: of the task named here. */
  leftoverCrash: string | undefined;
  /** The start of its marks, random (output-marks.ts). */
  readonly marks: string;
  /** Its pipes, read up to the marks. */
  readonly read: { readonly stdout: MarkReader; readonly stderr: MarkReader };
  /** In each pipe, the task whose leftover code's output is being read (a frame's), if any. */
  readonly framed: { stdout: number | undefined; stderr: number | undefined };
  /** The outputs of the last tasks it ran, by id: where such code's output goes. */
  readonly outputs: Map<number, TaskOutput>;
  /** Its pipe has ended: nothing more will be read from it, whatever a `done` awaits. */
  readonly eof: { stdout: boolean; stderr: boolean };
  job: Job | undefined;
  /** A `done` waiting for the output it counts. */
  pending: Extract<FromWorker, { kind: "done" }> | undefined;
  /** ctx.calls waiting for the output printed before them. */
  callsToStart: (() => boolean)[];
  closed: boolean;
  /** Its IPC channel is gone. */
  disconnected: boolean;
  /** Told to end (it is no one's to use again). */
  ending: boolean;
  /** Its stderr has said that V8 ran out of heap. */
  outOfMemory: boolean;
  /** The end of its stderr so far, for a message split between two chunks. */
  stderrEnd: Buffer;
}

/** A task waiting for a worker. */
interface Waiting {
  readonly fresh: boolean;
  readonly start: (worker: Worker) => void;
}

/** The script a pool worker runs: runner's own boot script, in `dist`. */
export function workerScript(dist: string): string {
  return join(dist, "boot.cjs");
}

/** The run's pool: workers are runner's own boot script (dist/boot.cjs) under the same Node as runner. */
export function runPool(options: Omit<PoolOptions, "script"> & { readonly dist: string }): WorkerPool {
  const { dist, ...rest } = options;
  return new WorkerPool({ ...rest, script: workerScript(dist) });
}

/**
 * What Node prints as it aborts when V8 cannot get more heap (`FATAL ERROR: Reached heap
 * limit Allocation failed - JavaScript heap out of memory`, or `Ineffective mark-compacts
 * near heap limit ...` on the same line), before it raises SIGABRT.
 */
const OUT_OF_MEMORY = "JavaScript heap out of memory";

/** How many of a worker's last tasks the output of code they left behind is still shown as theirs. */
const KEPT_OUTPUTS = 64;

/** How long bytes that may begin a mark are held back while a worker runs no task. */
const HELD_MS = 50;

/** How much longer than a worker's own grace period runner waits before it kills the worker. */
const KILL_MARGIN_MS = 500;

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly queue: Waiting[] = [];
  private nextId = 1;

  /** Made with the first workers: what ends the pool's processes should runner die (orphan-guard.ts). */
  private guarding: OrphanGuard | undefined;
  private guardTried = false;
  /** Workers forked before the guard is made: it is made after this round of forks (see guardWorker). */
  private unguarded: Worker[] | undefined;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** Runs a task in a worker, once one is free (in order of asking). */
  run(request: RunRequest, hooks: IsolatedHooks, needs: WorkerNeeds = {}): Promise<IsolatedEnd> {
    return new Promise((resolve) => {
      const start = (worker: Worker): void => {
        const job: Job = { id: this.nextId++, task: request.task, hooks, needs, resolve, groups: new Set(), calls: 0 };
        worker.job = job;
        worker.outputs.set(job.id, hooks.output);
        // The oldest first: code so old that still prints is shown as the last task's.
        for (const id of worker.outputs.keys()) {
          if (worker.outputs.size <= KEPT_OUTPUTS) break;
          worker.outputs.delete(id);
        }
        const message: ToWorker = { runner: 1, kind: "run", id: job.id, marks: worker.marks, ...request };
        worker.child.send(message);
        const stop = (): void => {
          if (worker.job !== job) return;
          const reason: unknown = hooks.signal.reason;
          worker.child.send({
            runner: 1,
            kind: "cancel",
            id: job.id,
            reason: typeof reason === "string" ? reason : "SIGTERM",
          });
          // After the worker's own grace period (from the cancel, a moment later), with a margin:
          // the worker SIGKILLs its commands' groups then, and it alone can still prove one whose
          // leader it reaped (a command whose shell ended while a child of it ignored SIGTERM).
          setTimeout(() => {
            if (worker.job === job && !worker.closed) this.kill(worker, job);
          }, hooks.killGraceMs + KILL_MARGIN_MS).unref();
        };
        if (hooks.signal.aborted) stop();
        else hooks.signal.addEventListener("abort", stop, { once: true });
      };
      const stopped = (): IsolatedEnd => ({
        kind: "threw",
        error: new Error("stopped before a worker was free to run it"),
      });
      if (hooks.signal.aborted) {
        resolve(stopped());
        return;
      }
      const waiting: Waiting = { fresh: needs.fresh === true, start };
      // Stopped while it waits for a worker: it never starts, and its stop need not wait for a worker to free.
      const dequeue = (): void => {
        const at = this.queue.indexOf(waiting);
        if (at < 0) return;
        this.queue.splice(at, 1);
        resolve(stopped());
        this.next();
      };
      hooks.signal.addEventListener("abort", dequeue, { once: true });
      this.queue.push(waiting);
      this.next();
    });
  }

  /**
   * Ends every worker (at the run's end) and resolves once each has exited, so that none
   * outlives runner: an idle one is asked to end, a busy one killed with its commands, and
   * one still there after `graceMs` (its event loop held by what a task left behind) killed.
   */
  close(graceMs: number): Promise<void> {
    this.closed = true;
    const workers = [...this.all];
    const exited = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          // (One that never started has no pid, and nothing to wait for.)
          const child = worker.child;
          if (child.pid === undefined || worker.closed || child.exitCode !== null || child.signalCode !== null)
            resolve();
          else {
            child.once("exit", () => resolve());
            child.once("close", () => resolve());
          }
        }),
    );
    for (const worker of workers) {
      if (worker.job !== undefined) this.kill(worker, worker.job);
      else this.end(worker);
    }
    const late = setTimeout(() => {
      for (const worker of workers) this.killWorker(worker);
    }, graceMs);
    return Promise.all(exited).then(() => {
      clearTimeout(late);
      this.guarding?.close();
    });
  }

  /** How many workers exist now (for tests and -v). */
  get size(): number {
    return this.all.size;
  }

  private kill(worker: Worker, job: Job): void {
    job.killed = true;
    this.killWorker(worker);
    for (const pgid of job.groups) job.hooks.killGroup(pgid);
  }

  private guard(): OrphanGuard | undefined {
    if (!this.guardTried) {
      this.guardTried = true;
      this.guarding = orphanGuard();
    }
    return this.guarding;
  }

  /**
   * Tells the guard of a new worker. The first round's workers are told after the round
   * (setImmediate): making the guard forks a shell from runner's process, a fork that would
   * otherwise come between two workers' and delay the second one's start. Until then a worker
   * is still starting, in runner's code only, which ends it should runner go away (its IPC
   * channel disconnects); one already gone is left out, its pid no longer certainly its own.
   */
  private guardWorker(worker: Worker): void {
    if (this.guardTried) {
      if (worker.child.pid !== undefined) this.guarding?.add(worker.child.pid);
      return;
    }
    if (this.unguarded === undefined) {
      const unguarded: Worker[] = (this.unguarded = []);
      setImmediate(() => {
        this.unguarded = undefined;
        // A pool closed already has nothing left to guard.
        if (this.closed) return;
        const guard = this.guard();
        for (const w of unguarded) if (w.child.pid !== undefined && unreaped(w.child)) guard?.add(w.child.pid);
      });
    }
    this.unguarded.push(worker);
  }

  private killWorker(worker: Worker): void {
    // The worker leads its own group (detached): that kills it and what it forked itself.
    killWorkerGroup(worker.child, this.options.kill);
  }

  private spawn(): Worker {
    const { script, execPath, execArgv, env, cwd, stdin } = this.options;
    const spec: WorkerFork = { script, execPath, execArgv, env, cwd, stdin };
    const child = this.options.spares?.take(spec) ?? forkWorker(spec);
    const marks = markPrefix(randomBytes(16).toString("hex"));
    const worker: Worker = {
      child,
      marks,
      read: { stdout: new MarkReader(marks), stderr: new MarkReader(marks) },
      framed: { stdout: undefined, stderr: undefined },
      outputs: new Map(),
      last: undefined,
      leftoverCrash: undefined,
      eof: { stdout: false, stderr: false },
      job: undefined,
      pending: undefined,
      callsToStart: [],
      closed: false,
      disconnected: false,
      ending: false,
      outOfMemory: false,
      stderrEnd: Buffer.alloc(0),
    };
    this.all.add(worker);
    this.guardWorker(worker);
    const { groups } = this.options;
    const pid = child.pid;
    if (groups !== undefined && pid !== undefined) {
      groups.add(pid);
      // Before anything else hears of the exit: from now on the group's members prove it.
      child.once("exit", () => groups.leaderExited(pid));
      child.once("close", () => groups.ended(pid, { leftBehind: groups.alive(pid) }));
    }
    for (const name of ["stdout", "stderr"] as const) {
      const stream = child[name];
      stream?.on("data", (chunk: Buffer) => {
        this.options.streamed?.(chunk.length);
        if (name === "stderr") noticeOutOfMemory(worker, chunk);
        const waits: Promise<void>[] = [];
        worker.read[name].read(
          chunk,
          (bytes) => {
            const wait = this.output(worker, name, bytes);
            if (wait !== undefined) waits.push(wait);
          },
          (kind, n) => {
            if (kind === "from") worker.framed[name] = n;
            else if (kind === "back") worker.framed[name] = undefined;
            else {
              // What comes after it is no longer the task's once the task has ended on it.
              this.callIfRead(worker);
              this.finishIfRead(worker);
            }
          },
        );
        if (worker.job === undefined) this.flushLater(worker, name);
        if (waits.length > 0) {
          stream.pause();
          void Promise.all(waits).then(() => stream.resume());
        }
      });
      // Task code can end its worker's pipe (process.stdout.end()) and then print.
      stream?.on("end", () => {
        worker.eof[name] = true;
        this.flushHeld(worker, name);
        this.callIfRead(worker);
        this.finishIfRead(worker);
      });
    }
    child.on("message", (message: unknown) => {
      if (!isFromWorker(message)) return;
      const job = worker.job;
      if (message.kind === "crash" && (job === undefined || message.id !== job.id)) {
        // Thrown while the worker ran no task (the worker says so with no id): not the task
        // given to it since, which it ends with (see close).
        const task = message.task ?? worker.last?.task ?? "an earlier task";
        if (message.goesOn !== true) worker.leftoverCrash = task;
        this.options.late?.(
          deserializeError(message.error),
          `${task}, after it ended (${message.how}, in its worker process)`,
        );
        return;
      }
      if (job === undefined || (message.id !== undefined && message.id !== job.id)) return;
      switch (message.kind) {
        case "command-started":
          job.hooks.commandStarted(message.command);
          break;
        case "command-ended":
          job.hooks.commandEnded(message.record);
          break;
        case "group":
          this.guard()?.add(message.pgid);
          job.groups.add(message.pgid);
          job.hooks.group(message.pgid);
          break;
        case "done":
          worker.pending = message;
          this.finishIfRead(worker);
          break;
        case "exit":
          job.exit = { code: message.code, cleanupErrors: (message.cleanupErrors ?? []).map(deserializeError) };
          break;
        case "crash":
          job.crash = { error: deserializeError(message.error), how: message.how };
          break;
        case "call":
          job.calls++;
          this.next();
          worker.callsToStart.push(() => this.call(worker, job, message));
          this.callIfRead(worker);
          break;
        default:
          message satisfies never;
      }
    });
    child.on("disconnect", () => (worker.disconnected = true));
    child.on("error", () => {
      // Seen as its close.
    });
    // `close`, not `exit`: by then all it wrote has been read.
    child.on("close", (code, signal) => {
      worker.closed = true;
      this.all.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      const job = worker.job;
      worker.job = undefined;
      if (job !== undefined) {
        if (job.crash !== undefined) {
          job.resolve({ kind: "crashed", message: job.crash.how, error: job.crash.error });
        } else if (worker.leftoverCrash !== undefined) {
          job.resolve({
            kind: "crashed",
            message: `its worker process ended on an error that code ${worker.leftoverCrash} left behind let escape`,
          });
        } else if (worker.outOfMemory && (signal === "SIGABRT" || code === 134)) {
          job.resolve({
            kind: "crashed",
            message: "out of memory (the JavaScript heap of its worker process was full; it ended with SIGABRT)",
          });
        } else if (signal !== null) {
          job.resolve({ kind: "crashed", message: `its worker process was killed by ${signal}` });
        } else if (job.exit !== undefined) {
          job.resolve({ kind: "exited", code: job.exit.code, cleanupErrors: job.exit.cleanupErrors });
        } else if (worker.disconnected && !job.killed) {
          // (process.disconnect() in task code): the worker can no longer say how the task ends.
          job.resolve({
            kind: "crashed",
            message: `its worker lost its channel to runner before the task finished (it exited with status ${code ?? 1})`,
          });
        } else job.resolve({ kind: "exited", code: code ?? 1 });
      }
      this.next();
    });
    return worker;
  }

  /**
   * Hands on output of the worker: its task's, or while it runs none, the last one's, printed
   * after it ended. A promise: wait for it before reading more (a slow reader).
   */
  private output(worker: Worker, name: PipeName, bytes: Buffer): Promise<void> | undefined {
    const framed = worker.framed[name];
    const to = framed === undefined ? undefined : worker.outputs.get(framed);
    return (to ?? worker.job?.hooks.output ?? worker.last?.output)?.[name](bytes);
  }

  /**
   * While the worker runs no task, no end mark is due to complete bytes held back for one (a
   * frame's mark may still come): they are output unless the next read comes within
   * HELD_MS, as the rest of a mark split between two reads does (one write, in the pipe whole).
   */
  private flushLater(worker: Worker, name: PipeName): void {
    if (!worker.read[name].holding) return;
    setTimeout(() => {
      if (worker.job === undefined) this.flushHeld(worker, name);
    }, HELD_MS).unref();
  }

  /** Outputs what the pipe's reader held back for a mark. */
  private flushHeld(worker: Worker, name: PipeName): void {
    worker.read[name].flush((bytes) => void this.output(worker, name, bytes));
  }

  /** Ends the worker's task once its `done` came and its output was read up to the marks `done` names. */
  private finishIfRead(worker: Worker): void {
    const done = worker.pending;
    const job = worker.job;
    if (done === undefined || job === undefined) return;
    if (!allRead(worker, done.marks)) return;
    worker.pending = undefined;
    worker.job = undefined;
    worker.last = { task: job.task, output: job.hooks.output };
    for (const name of ["stdout", "stderr"] as const) this.flushLater(worker, name);
    // A worker is used again unless the task wanted one of its own, or left it past its ceiling
    // (a recycling ceiling, as jest-worker's idleMemoryLimit: no task is stopped for it), or
    // left it unable to print.
    const ceiling = job.needs.maxRssBytes ?? this.options.maxRssBytes;
    if (job.needs.fresh === true || done.spent === true || (ceiling !== undefined && done.rssBytes > ceiling))
      this.end(worker);
    else this.idle.push(worker);
    const usage = {
      ...(done.usage === undefined ? {} : { usage: done.usage }),
      ...(done.cleanupErrors === undefined ? {} : { cleanupErrors: done.cleanupErrors.map(deserializeError) }),
    };
    job.resolve(
      done.outcome.kind === "returned"
        ? { kind: "returned", value: done.outcome.value, ...usage }
        : { kind: "threw", error: deserializeError(done.outcome.error), ...usage },
    );
    this.next();
  }

  /**
   * Starts waiting tasks while fewer than `max` workers are busy (a worker that is ending
   * counts until it is gone). A fresh worker is made only while fewer than `max` exist: to
   * make room, an idle one is ended, and the task waits for it to go.
   */
  private next(): void {
    for (let waiting = this.queue[0]; waiting !== undefined; waiting = this.queue[0]) {
      const busy = this.busy();
      if (busy >= this.options.max) return;
      let worker: Worker | undefined;
      if (!waiting.fresh) worker = this.idle.pop() ?? this.spawn();
      // Workers whose task waits in ctx.call lend their place (see busy).
      else if (this.all.size - (this.all.size - this.idle.length - busy) < this.options.max) worker = this.spawn();
      else {
        // One at a time: a worker already ending makes the room.
        const old = this.idle[0];
        if (old !== undefined && ![...this.all].some((w) => w.ending)) this.end(old);
        return;
      }
      this.queue.shift();
      waiting.start(worker);
    }
  }

  /** Asks an idle worker to end (it stops its commands and exits); it is no one's again. */
  private end(worker: Worker): void {
    worker.ending = true;
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    if (worker.child.connected) worker.child.send({ runner: 1, kind: "end" } satisfies ToWorker);
    // One whose event loop a task's leftover code holds cannot act on it; a fresh task may be waiting.
    setTimeout(() => this.killWorker(worker), this.options.endGraceMs).unref();
  }

  /**
   * Workers that count towards `max`: those with a task, except one whose task waits for
   * a ctx.call. That one lends its place, so that the called task can run (in a worker of
   * its own when it is isolated too) even at -j1, where it would otherwise wait for ever
   * for the worker its caller holds.
   */
  private busy(): number {
    let busy = this.all.size - this.idle.length;
    for (const worker of this.all) if (worker.job !== undefined && worker.job.calls > 0) busy--;
    return busy;
  }

  /** Starts the calls whose output before them has been read (as a `done` waits for its output). */
  private callIfRead(worker: Worker): void {
    while (worker.callsToStart[0]?.() === true) worker.callsToStart.shift();
  }

  /**
   * Runs the task a worker's ctx.call named, once what the task printed before the call has
   * been read (so it comes before the called task's header), and answers the worker with how
   * it ended. False while that output is still to come.
   */
  private call(worker: Worker, job: Job, message: Extract<FromWorker, { kind: "call" }>): boolean {
    const { marks } = message;
    if (worker.job !== job || worker.closed) {
      // Its worker died before the call could start: nobody is left to answer.
      job.calls--;
      return true;
    }
    if (!allRead(worker, marks)) return false;
    const answer = (outcome: SentOutcome): void => {
      job.calls--;
      // Its task may have ended (it did not wait for the call), or its worker died.
      if (worker.job !== job || worker.closed) return;
      const ended = (o: SentOutcome): ToWorker => ({
        runner: 1,
        kind: "call-ended",
        id: job.id,
        call: message.call,
        outcome: o,
      });
      try {
        worker.child.send(ended(outcome));
      } catch (error) {
        // A value structured clone cannot copy (a function, a class instance with one).
        const why = `the value "${message.task}" returned cannot be sent to the isolated task that called it (${error instanceof Error ? error.message : String(error)})`;
        worker.child.send(ended({ kind: "threw", error: serializeError(new TypeError(`ctx.call: ${why}`)) }));
      }
    };
    job.hooks.call(message.task, message.values).then(
      (value: unknown) => answer({ kind: "returned", value }),
      (error: unknown) => answer({ kind: "threw", error: serializeError(error) }),
    );
    return true;
  }
}

/** Whether runner has read each pipe up to its mark, or all it ever will. */
function allRead(worker: Worker, marks: Marks): boolean {
  return (["stdout", "stderr"] as const).every(
    (name) => !marks[name] || worker.eof[name] || worker.read[name].seen >= marks.seq,
  );
}

/** Whether the worker has not been reaped (no exit code or signal recorded): its pid is still its own. */
/** Notes whether the worker's stderr says V8 ran out of heap (Node aborts right after). */
function noticeOutOfMemory(worker: Worker, chunk: Buffer): void {
  if (worker.outOfMemory) return;
  const seam = Buffer.concat([worker.stderrEnd, chunk.subarray(0, OUT_OF_MEMORY.length)]);
  worker.outOfMemory = chunk.includes(OUT_OF_MEMORY) || seam.includes(OUT_OF_MEMORY);
  worker.stderrEnd = Buffer.from(chunk.subarray(Math.max(0, chunk.length - OUT_OF_MEMORY.length)));
}
