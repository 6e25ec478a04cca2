// The dispatcher's side of a distributed run (SPEC §8): each attempt of a task becomes a
// BullMQ job naming the task and its words; what its worker prints and does comes back
// through the run's event stream, and its end as the stream's last entry for that job.
// Planning, scheduling, time limits and retries stay with the executor, as in a local run:
// this module only carries one attempt there and back, and cancels it when told.
import { randomBytes } from "node:crypto";
import type { RemoteAttempt, RemoteAttemptEnd } from "../execution/attempt.ts";
import type { TaskStatus } from "../execution/outcomes.ts";
import type { Step } from "../plan/plan.ts";
import { connectRedis, redisErrorLine } from "./connection.ts";
import { readEvents } from "./event-stream.ts";
import {
  HEARTBEAT_MS,
  jobId,
  keys,
  newRunId,
  RUN_KEY_TTL_SECONDS,
  type EndData,
  type JobData,
  type StreamEntry,
} from "./protocol.ts";
import type { RedisTarget } from "./redis-target.ts";
import { checkStatus, checkUsage, checkRecord } from "./wire.ts";
import { stepWords } from "./words.ts";

/** The run's settings that change how a task runs, as each job carries them. */
type RunFlags = Pick<JobData, "echo" | "dryRun" | "warnOnly" | "measure">;

export interface DispatchSettings extends RunFlags {
  readonly target: RedisTarget;
  readonly queue: string;
  /** The tasks file's content hash, which every worker's must equal. */
  readonly hash: string;
  /** Where runner was started, relative to the project directory. */
  readonly cwd: string;
  /** How often a job's state is looked at (BullMQ fails a job found stalled too often). */
  readonly stalledIntervalMs: number;
  /** Says a line to the user (on stderr): that no worker is there to take the jobs. */
  readonly warn: (line: string) => void;
}

export interface Dispatcher {
  run(step: Step, attempt: RemoteAttempt): Promise<RemoteAttemptEnd>;
  /** Ends the run's reading and deletes its keys; attempts still waiting end as cancelled. */
  close(): Promise<void>;
}

/** A job in flight: whose attempt it is, and how far its entries have come. */
interface InFlight {
  readonly step: Step;
  readonly attempt: RemoteAttempt;
  readonly resolve: (end: RemoteAttemptEnd) => void;
  /** BullMQ's attempt whose entries are shown (a later one replaces it). */
  shown: number;
  worker: string;
}

export async function openDispatcher(settings: DispatchSettings): Promise<Dispatcher> {
  const { Queue } = await import("./redis-modules.ts");
  const run = newRunId((bytes) => randomBytes(bytes).toString("hex"));
  const streamKey = keys.events(run);
  const commands = await connectRedis(settings.target, "dispatcher", `runner-dispatch-${run}`);
  const reader = await connectRedis(settings.target, "reader", `runner-read-${run}`);
  const queue = new Queue(settings.queue, { connection: commands });
  queue.on("error", () => {}); // Connection errors are the client's to retry; each command says its own.
  const inFlight = new Map<string, InFlight>();
  let count = 0;
  const end = (id: string, job: InFlight, value: Omit<RemoteAttemptEnd, "worker">): void => {
    if (inFlight.get(id) !== job) return;
    inFlight.delete(id);
    job.resolve({ worker: job.worker, ...value });
  };
  /** An end the dispatcher gives itself (no worker said it): a status and nothing else. */
  const endWith = (id: string, job: InFlight, status: TaskStatus): void =>
    end(id, job, { status, durationMs: 0, usage: undefined, result: undefined, unrecoverable: false });
  // A server gone for longer than the dispatcher's reconnect budget ends what still waits.
  commands.once("end", () => {
    const message = redisErrorLine(settings.target, new Error("Connection is closed."));
    for (const [id, job] of inFlight) {
      endWith(id, job, { kind: "failed", exitCode: 1, message, commandFailed: false });
    }
  });
  // Workers cancel the jobs of a run whose dispatcher stopped saying it is alive (one killed
  // with SIGKILL, or whose machine went away): nothing of it keeps running anywhere.
  const alive = keys.alive(run);
  const beat = (): Promise<unknown> => commands.set(alive, "1", "PX", 3 * HEARTBEAT_MS).catch(() => {});
  await beat();
  const beating = setInterval(() => void beat(), HEARTBEAT_MS);
  beating.unref();
  // Said with the first job, once the run is under way (its signals handled): not before.
  const warnIfNoWorker = async (): Promise<void> => {
    if ((await queue.getWorkersCount().catch(() => 1)) > 0) return;
    settings.warn(
      `runner: no worker is taking tasks from queue ${settings.queue} at ${settings.target.display} yet; ` +
        "the tasks wait for one (start it with runner --worker).",
    );
  };
  const reading = new AbortController();

  const take = async (entries: readonly StreamEntry[]): Promise<void> => {
    for (const entry of entries) {
      const job = inFlight.get(entry.job);
      // An older attempt's late words (its worker lost the job but went on) are not shown.
      if (job === undefined || entry.attempt < job.shown) continue;
      if (entry.attempt > job.shown) {
        const before = job.worker;
        job.shown = entry.attempt;
        job.worker = entry.worker;
        if (before !== "") {
          // Its worker died, lost its connection or was stopped and gave the job back.
          const why = `${before} did not finish it`;
          await job.attempt.output.stderr(Buffer.from(`↻ attempt ${entry.attempt} on ${entry.worker} (${why})\n`));
        }
      }
      job.worker = entry.worker;
      switch (entry.kind) {
        case "take":
          break;
        case "out":
          await job.attempt.output.stdout(entry.data);
          break;
        case "err":
          await job.attempt.output.stderr(entry.data);
          break;
        case "cmd-start":
          job.attempt.commandStarted(parseJson(entry.data, "") as string);
          break;
        case "cmd-end": {
          const record = checkRecord(parseJson(entry.data, undefined));
          if (record !== undefined) job.attempt.commandEnded(record);
          break;
        }
        case "end": {
          const data = parseJson(entry.data, {}) as Partial<EndData>;
          end(entry.job, job, {
            status: checkStatus(data.status),
            durationMs: typeof data.durationMs === "number" ? data.durationMs : 0,
            usage: checkUsage(data.usage),
            result: typeof data.result === "string" ? data.result : undefined,
            unrecoverable: data.unrecoverable === true,
          });
          break;
        }
      }
    }
  };
  const readingDone = readEvents(reader, streamKey, take, reading.signal);

  // BullMQ fails a job whose worker stopped responding once too often; no entry says so.
  const watchStalls = setInterval(() => {
    for (const [id, job] of inFlight) {
      void queue
        .getJob(id)
        .then(async (found) => {
          if (found === undefined || !(await found.isFailed())) return;
          const reason = found.failedReason || "it failed in the queue";
          endWith(id, job, { kind: "failed", exitCode: 1, message: `lost: ${reason}`, commandFailed: false });
          await found.remove().catch(() => {});
        })
        .catch(() => {});
    }
  }, settings.stalledIntervalMs);
  watchStalls.unref();

  const cancel = async (id: string, job: InFlight): Promise<void> => {
    try {
      await commands.set(keys.cancel(id), "1", "EX", RUN_KEY_TTL_SECONDS);
      await commands.publish(keys.cancelChannel, id);
      // A job no worker has taken yet is simply taken back.
      const removed = await queue.remove(id);
      if (removed === 1) endWith(id, job, { kind: "cancelled" });
    } catch {
      // The run's stop goes on without waiting for what cannot be reached.
    }
  };

  return {
    run: async (step, attempt) => {
      const id = jobId(run, ++count);
      const data: JobData = {
        v: 1,
        run,
        task: step.task.name,
        words: stepWords(step),
        hash: settings.hash,
        cwd: settings.cwd,
        echo: settings.echo,
        dryRun: settings.dryRun,
        warnOnly: settings.warnOnly,
        measure: settings.measure,
      };
      const ended = new Promise<RemoteAttemptEnd>((resolve) => {
        const job: InFlight = { step, attempt, resolve, shown: 0, worker: "" };
        inFlight.set(id, job);
        attempt.signal.addEventListener("abort", () => void cancel(id, job), { once: true });
      });
      await queue.add(step.task.name, data, {
        jobId: id,
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: { age: RUN_KEY_TTL_SECONDS },
      });
      if (count === 1) await warnIfNoWorker();
      return ended;
    },
    close: async () => {
      clearInterval(watchStalls);
      clearInterval(beating);
      await commands.del(alive).catch(() => {});
      for (const [id, job] of inFlight) endWith(id, job, { kind: "cancelled" });
      reading.abort();
      reader.disconnect();
      await readingDone;
      await commands.del(streamKey).catch(() => {});
      await queue.close().catch(() => {});
      commands.disconnect();
    },
  };
}

function parseJson(data: Buffer, fallback: unknown): unknown {
  try {
    return JSON.parse(data.toString()) as unknown;
  } catch {
    return fallback;
  }
}
