// `runner --worker` (SPEC §8): takes jobs from the run queue in Redis and runs each named
// task of its own tasks file through the pool of isolated workers, one job per attempt,
// streaming what the task prints and does back to the dispatcher. It stops on SIGTERM (or
// Ctrl-C) once its running tasks have finished, or, after the grace period, gives them back
// to the queue so that another worker runs them.
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";
import { ProcessGroups } from "../child/process-groups.ts";
import { commandMeter } from "../child/usage.ts";
import { floodGauge } from "../child/flood.ts";
import { formatDuration } from "../common/duration.ts";
import { messageOf } from "../common/error-text.ts";
import { UserError } from "../common/user-error.ts";
import { commandEnvironment } from "../config/dotenv.ts";
import type { RunnerConfig } from "../config/settings.ts";
import { execute } from "../execution/executor.ts";
import type { TaskRun, TaskStatus } from "../execution/outcomes.ts";
import { taskScopes } from "../execution/task-scope.ts";
import { projectDir } from "../loader/discover.ts";
import type { Step } from "../plan/plan.ts";
import { runPool, type WorkerPool } from "../pool/worker-pool.ts";
import { connectRedis, preflight, redisErrorLine } from "../remote/connection.ts";
import { EventWriter } from "../remote/event-stream.ts";
import { checkJobData, HEARTBEAT_MS, keys, type EndData, type EntryKind } from "../remote/protocol.ts";
import { parseRedisTarget } from "../remote/redis-target.ts";
import type { World } from "../world/world.ts";
import type { CoreOptions } from "./grammar.ts";
import { stepOf } from "./job-step.ts";
import type { Project } from "./project.ts";

export interface WorkerRequest {
  readonly project: Project;
  readonly config: RunnerConfig;
  readonly core: CoreOptions;
  /** Where the Redis URL came from, for its errors: "--redis", "RUNNER_REDIS", "the redis setting". */
  readonly redisSource: string;
}

/** A job's attempt, as this worker runs it. */
interface Running {
  readonly controller: AbortController;
  /** Stopped because the worker is stopping: the job goes back to the queue, not to the dispatcher as cancelled. */
  givenBack: boolean;
}

export async function runWorker(world: World, request: WorkerRequest): Promise<number> {
  const { project, config, core } = request;
  const { collection, sourceHash, codeHash, locate } = project;
  if (config.redis === undefined) {
    throw new UserError("runner --worker needs a Redis server: --redis <url> (or RUNNER_REDIS, or the redis setting).");
  }
  const concurrency = concurrencyOf(core.concurrency, config.jobs);
  const target = parseRedisTarget(config.redis, world.env, request.redisSource);
  const name = workerName(world);
  const { evictionWarning } = await preflight(target);
  if (evictionWarning !== undefined) world.stderr.write(`runner worker ${name}: warning: ${evictionWarning}\n`);
  const cwd = projectDir(collection.file);
  // Every task runs in the pool, so the dotenv values go to commands and workers alone.
  const { env } = await commandEnvironment(config, world.env, cwd, world.uid);
  const say = (line: string): void => {
    world.stdout.write(`${line}\n`);
  };

  const { Worker, WaitingError } = await import("../remote/redis-modules.ts");
  const output = await connectRedis(target, "worker", `runner-worker-${name}`);
  const listener = await connectRedis(target, "reader", `runner-worker-${name}-cancels`);
  const queueConnection = await connectRedis(target, "worker", `runner-worker-${name}-queue`);
  const writer = new EventWriter(output);
  const running = new Map<string, Running>();
  listener.on("message", (_channel: string, id: string) => running.get(id)?.controller.abort("SIGTERM"));
  await listener.subscribe(keys.cancelChannel);

  const groups = new ProcessGroups(world);
  const meter = commandMeter();
  const streamed = floodGauge(world.outputFlood);
  const late = (error: unknown, where: string): void => {
    world.stderr.write(`runner worker ${name}: an error escaped task code (${where}): ${messageOf(error)}\n`);
  };
  const scopes = taskScopes(world, (error, how) => late(error, how));
  let pool: WorkerPool | undefined;
  const poolOf = (): WorkerPool =>
    (pool ??= runPool({
      max: concurrency,
      dist: dirname(world.runner.entries.cjs["runner-ts"] ?? ""),
      ...world.node,
      env,
      cwd,
      stdin: "ignore",
      kill: world.kill,
      maxRssBytes: config.isolateMaxRss,
      endGraceMs: config.killGrace,
      streamed,
      late,
      groups,
    }));

  const runJob = async (step: Step, job: JobContext, running: Running): Promise<TaskRun> => {
    const forward = (kind: EntryKind, data: Buffer | string): Promise<void> | undefined =>
      writer.write(job.key, { job: job.id, attempt: job.attempt, worker: name, kind }, data);
    const runs = await execute([step], {
      settings: {
        cwd,
        invocationDir: join(cwd, job.data.cwd),
        config,
        env,
        shell: config.shell,
        echo: job.data.echo,
        dryRun: job.data.dryRun,
        warnOnly: job.data.warnOnly,
        killGraceMs: config.killGrace,
        captureLimit: config.captureLimit,
        inheritStdin: false,
        concurrent: concurrency > 1,
        terminalSize: () => undefined,
      },
      commandRun: { groups, clock: world.clock, meter: job.data.measure ? meter : undefined, streamed },
      clock: world.clock,
      jobs: 1,
      togetherJobs: 1,
      taskOf: (source) => collection.taskOf(source),
      keepGoing: false,
      // The dispatcher keeps the time limits and the retries, as in a local run.
      timeoutMs: 0,
      defaultTimeoutMs: undefined,
      retries: 0,
      defaultRetries: 0,
      emit: (event) => {
        switch (event.kind) {
          case "output":
            return forward(event.stream === "stdout" ? "out" : "err", event.chunk);
          case "command-started":
            return forward("cmd-start", JSON.stringify(event.command));
          case "command-ended":
            return forward("cmd-end", JSON.stringify(event.record));
          case "run-started":
          case "task-started":
          case "attempt-ended":
          case "task-ended":
          case "run-ended":
            return undefined;
        }
      },
      scopes,
      exitCode: world.exitCode,
      late,
      deadlines: undefined,
      interrupt: running.controller.signal,
      onIdle: world.onIdle,
      locate,
      isolation: {
        all: true,
        file: collection.file,
        codeHash,
        task: (taskName) => collection.tasks.find((task) => task.name === taskName),
        pool: poolOf,
      },
    });
    const run = runs.at(-1);
    if (run === undefined) throw new Error("a run of one step ends with its run");
    return run;
  };

  const worker = new Worker(
    config.redisQueue,
    async (job, token) => {
      const data = checkJobData(job.data);
      const id = job.id ?? "";
      if (typeof data === "string") {
        // Not a job of runner's (or of another version): nobody to tell but this worker's log.
        say(`✖ job ${id}: ${data}; ignored`);
        return;
      }
      const context: JobContext = { id, key: keys.events(data.run), attempt: Math.max(1, job.attemptsStarted), data };
      const tell = (kind: EntryKind, value: string): void =>
        void writer.write(context.key, { job: id, attempt: context.attempt, worker: name, kind }, value);
      const finish = async (end: EndData, line: string): Promise<void> => {
        tell("end", JSON.stringify(end));
        await writer.flush();
        say(line);
      };
      tell("take", JSON.stringify({ worker: name }));
      say(`▶ ${data.task} (attempt ${context.attempt})`);
      const refuse = (message: string): Promise<void> =>
        finish({ status: failed(message), durationMs: 0, unrecoverable: true }, `✖ ${data.task} refused: ${message}`);
      // One round trip: cancelled already, or its dispatcher gone?
      const [cancelled, alive] = await Promise.all([
        output.exists(keys.cancel(id)),
        output.exists(keys.alive(data.run)),
      ]);
      if (cancelled === 1 || alive === 0) {
        await finish({ status: { kind: "cancelled" }, durationMs: 0 }, `■ ${data.task} cancelled`);
        return;
      }
      if (data.hash !== sourceHash) {
        await refuse("this worker's tasks file differs from the dispatcher's (check out the same commit)");
        return;
      }
      let step: Step;
      try {
        step = stepOf(collection, data.task, data.words);
      } catch (error) {
        await refuse(messageOf(error));
        return;
      }
      const state: Running = { controller: new AbortController(), givenBack: false };
      running.set(id, state);
      // A dispatcher gone for good (its key expired, twice in a row) cancels its job here.
      let missed = 0;
      const watching = setInterval(() => {
        output.exists(keys.alive(data.run)).then(
          (found) => {
            missed = found === 0 ? missed + 1 : 0;
            if (missed >= 2) state.controller.abort("SIGTERM");
          },
          () => {}, // Redis away: nothing is known, so nothing is cancelled.
        );
      }, HEARTBEAT_MS);
      let run: TaskRun;
      try {
        run = await runJob(step, context, state);
      } finally {
        clearInterval(watching);
        running.delete(id);
      }
      if (state.givenBack && run.status.kind !== "passed") {
        // Stopped by this worker's own stop: the job goes back to the queue for another.
        await writer.flush().catch(() => {});
        await job.moveToWait(token);
        say(`↩ ${data.task} given back to the queue`);
        throw new WaitingError();
      }
      await finish(
        {
          status: run.status,
          durationMs: run.durationMs,
          ...(run.usage === undefined ? {} : { usage: run.usage }),
          ...(run.result === undefined ? {} : { result: run.result }),
        },
        endLine(data.task, run.status, run.durationMs),
      );
    },
    {
      // BullMQ makes its blocking connection from this one.
      connection: queueConnection,
      concurrency,
      autorun: false,
      lockDuration: config.redisLockDuration,
      stalledInterval: config.redisStalledInterval,
      maxStalledCount: config.redisMaxStalled,
      name,
    },
  );
  // The client reconnects by itself; one line per kind of trouble, not one per retry.
  let lastError = "";
  worker.on("error", (error: unknown) => {
    const line = redisErrorLine(target, error);
    if (line !== lastError) world.stderr.write(`runner worker ${name}: ${line}\n`);
    lastError = line;
  });
  output.on("ready", () => {
    if (lastError === "") return;
    lastError = "";
    world.stderr.write(`runner worker ${name}: Redis at ${target.display} is back\n`);
  });

  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const stopped = new Promise<void>((resolve) => {
    const done = (): void => {
      removeSignals();
      resolve();
    };
    const removeSignals = world.onSignal(["SIGTERM", "SIGINT", "SIGHUP"], (signal) => {
      if (stopping) {
        // Asked again: stop now, giving every running task back.
        giveBack();
        groups.killAll("SIGKILL");
        timers.push(setTimeout(done, LAST_WORDS_MS));
        return;
      }
      stopping = true;
      const count = running.size;
      const grace = formatDuration(config.workerGrace);
      const tasks = count === 1 ? "its running task ends" : `its ${count} running tasks end`;
      say(`runner worker ${name}: ${signal}: stopping` + (count === 0 ? "" : ` once ${tasks} (at most ${grace})`));
      timers.push(
        setTimeout(() => {
          giveBack();
          // BullMQ's close waits for Redis; one that is gone must not keep the worker for ever.
          // A job it could not give back is taken up elsewhere once its hold expires.
          timers.push(setTimeout(done, config.killGrace + LAST_WORDS_MS));
        }, config.workerGrace),
      );
      void worker
        .close()
        .catch(() => {})
        .then(done);
    });
  });
  const giveBack = (): void => {
    for (const state of running.values()) {
      state.givenBack = true;
      state.controller.abort("SIGTERM");
    }
  };

  say(
    `runner worker ${name}: waiting for tasks on ${target.display} (queue ${config.redisQueue}, concurrency ${concurrency})`,
  );
  void worker
    .run()
    .catch((error: unknown) => world.stderr.write(`runner worker ${name}: ${redisErrorLine(target, error)}\n`));
  await stopped;
  for (const timer of timers) clearTimeout(timer);
  try {
    await pool?.close(config.killGrace);
    // What is still to be written waits for Redis, but not for ever.
    await Promise.race([writer.flush().catch(() => {}), sleep(LAST_WORDS_MS)]);
    await groups.endLeftovers(config.killGrace);
  } finally {
    scopes.restore();
    listener.disconnect();
    output.disconnect();
    queueConnection.disconnect();
  }
  say(`runner worker ${name}: stopped`);
  return 0;
}

/** How long a stopping worker waits for Redis to take its last words (entries, given-back jobs). */
const LAST_WORDS_MS = 2000;

/** A job being run: its id, the run's stream, BullMQ's attempt, what it asks. */
interface JobContext {
  readonly id: string;
  readonly key: string;
  readonly attempt: number;
  readonly data: Exclude<ReturnType<typeof checkJobData>, string>;
}

function failed(message: string): TaskStatus {
  return { kind: "failed", exitCode: 1, message, commandFailed: false };
}

function endLine(task: string, status: TaskStatus, durationMs: number): string {
  const took = formatDuration(durationMs);
  switch (status.kind) {
    case "passed":
      return `✔ ${task} passed in ${took}`;
    case "failed":
      return `✖ ${task} failed (exit ${status.exitCode}) in ${took}: ${status.message}`;
    case "timed-out":
      return `✖ ${task} timed out in ${took}`;
    case "cancelled":
      return `■ ${task} cancelled after ${took}`;
    case "skipped":
      return `- ${task} skipped: ${status.reason}`;
    case "up-to-date":
      return `✔ ${task} up to date`;
    case "service-stopped":
      return `✔ ${task} service stopped after ${took}`;
  }
}

/** --concurrency: tasks at once; default the `jobs` setting (the available CPUs). */
function concurrencyOf(text: string | undefined, jobs: number): number {
  if (text === undefined) return jobs;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1024) {
    throw new UserError(`Option --concurrency needs a whole number from 1 to 1024, not ${JSON.stringify(text)}.`);
  }
  return Number(text);
}

/** RUNNER_WORKER_NAME, else `<host>-<pid>`. */
function workerName(world: Pick<World, "env" | "pid">): string {
  const given = world.env.RUNNER_WORKER_NAME;
  if (given !== undefined && given !== "") {
    if (!/^[\w.@-]{1,100}$/.test(given)) {
      throw new UserError("RUNNER_WORKER_NAME may hold letters, digits, '.', '_', '@' and '-' (at most 100).");
    }
    return given;
  }
  return `${hostname()}-${world.pid}`;
}
