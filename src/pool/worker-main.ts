// A pool worker (forked by worker-pool.ts, started through boot.ts): it loads the same
// cached tasks bundle as runner, runs one task at a time by name with the options runner
// parsed, and tells runner how it ended over IPC (protocol.ts). Its stdout and stderr are
// pipes to runner, blocking and marked where each task's output ends (worker-pipes.ts).
// When runner goes away (the IPC channel disconnects), the worker kills its commands and
// exits; when it cannot notice (task code holds its main thread), runner's orphan guard
// (orphan-guard.ts) ends it and them.
import { AsyncLocalStorage } from "node:async_hooks";
import { createContext } from "../context/context.ts";
import { Deferred } from "../context/deferred.ts";
import { floodGauge } from "../child/flood.ts";
import { ProcessGroups } from "../child/process-groups.ts";
import { buildCollection, type Collection } from "../loader/collection.ts";
import { loadTasks, type LoaderWorld } from "../loader/tasks-cache.ts";
import type { Clock, World } from "../world/world.ts";
import { serializeError } from "./errors.ts";
import { WorkerPipes } from "./worker-pipes.ts";
import { isToWorker, type FromWorker, type ToWorker } from "./protocol.ts";
import { WorkerUsage, type TaskMeasure } from "./task-usage.ts";
import { workerCalls } from "./worker-calls.ts";

type WorkerWorld = LoaderWorld & Pick<World, "kill" | "onExit" | "outputFlood"> & { readonly clock: Clock };

/** What process.exit takes. */
type ExitCode = Parameters<typeof process.exit>[0];

/** The status process.exit(code) asks for, read as runner reads it in-process (world/real.ts's trapExit). */
function exitStatusOf(code: ExitCode): number {
  const given: unknown = code ?? process.exitCode;
  return typeof given === "number" ? given : typeof given === "string" && /^\d+$/.test(given) ? Number(given) : 0;
}

/** Settles once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Thrown from process.exit in task code, so that the code stops where it called it (as in-process). */
class WorkerExit extends Error {
  override readonly name = "WorkerExit";
}

function isWorkerExit(error: unknown): boolean {
  try {
    return error instanceof WorkerExit;
  } catch {
    return false;
  }
}

function send(message: FromWorker, then?: () => void): void {
  process.send?.(message, undefined, undefined, () => then?.());
}

/** The worker's command groups, each also told to `told` as it starts. */
class ReportedGroups extends ProcessGroups {
  constructor(
    world: ConstructorParameters<typeof ProcessGroups>[0],
    private readonly told: (pgid: number) => void,
  ) {
    super(world);
  }

  override add(pgid: number): void {
    super.add(pgid);
    this.told(pgid);
  }
}

export function workerMain(world: WorkerWorld): void {
  // What code an earlier task left behind prints is framed as that task's (origin, below).
  const pipes = new WorkerPipes(() => {
    const from = origin.getStore();
    return from !== undefined && from.id !== current?.id ? from.id : undefined;
  });
  const marks = () => pipes.end();
  let current: { id: number; stop: (reason: unknown) => void; exit: (code: ExitCode) => void } | undefined;
  // The worker's own ends; process.exit in task code ends its task first (below).
  const exitWorker = process.exit.bind(process);
  // Each command group is told to runner, which kills it on a time-out, and has it guarded
  // should runner die while this worker's main thread is held (orphan-guard.ts).
  const groups = new ReportedGroups(world, (pgid) => {
    if (current !== undefined) send({ runner: 1, kind: "group", id: current.id, pgid });
  });
  // A worker streams its commands' output as runner does (child/flood.ts).
  const streamed = floodGauge(world.outputFlood);
  const collections = new Map<string, Promise<{ readonly collection: Collection; readonly codeHash: string }>>();
  // Sent as they are: a value structured clone cannot copy throws here, for the caller.
  const calls = workerCalls((message) => process.send?.(message), marks);
  const startCwd = process.cwd();
  const startEnv = { ...process.env };
  let usage: WorkerUsage | undefined;

  const collection = async (file: string, codeHash: string): Promise<Collection> => {
    let loaded = collections.get(file);
    if (loaded === undefined) {
      loaded = loadTasks(file, world).then(({ exports, docs, codeHash: hash }) => ({
        collection: buildCollection(file, file, exports, docs),
        codeHash: hash,
      }));
      collections.set(file, loaded);
    }
    const { collection: tasks, codeHash: hash } = await loaded;
    // Loaded from the file as it is now: a task of the run (a code generator, a git checkout)
    // may have changed it since runner planned, and options and deps were made for that code.
    if (hash !== codeHash) {
      throw new Error(
        `the tasks file changed during the run: its worker would run other code than runner planned with (run again)`,
      );
    }
    return tasks;
  };

  // Which task's code runs (through its timers and promises too): an error that escapes code
  // an earlier task left behind is that task's, not the one running now.
  let tainted = false;
  const origin = new AsyncLocalStorage<{ readonly id: number; readonly task: string }>();
  const crash = (error: unknown, how: string): void => {
    // The WorkerExit of a process.exit called from a timer: that exit is under way.
    if (isWorkerExit(error)) return;
    const from = origin.getStore();
    if (from !== undefined && current !== undefined && from.id !== current.id) {
      // The task running now goes on; the worker, in a state no one chose, is ended after it.
      tainted = true;
      send({ runner: 1, kind: "crash", id: from.id, task: from.task, error: serializeError(error), how, goesOn: true });
      return;
    }
    const id = from?.id ?? current?.id;
    const task = from === undefined ? {} : { task: from.task };
    send({ runner: 1, kind: "crash", id, ...task, error: serializeError(error), how }, () => {
      groups.killAll("SIGKILL");
      exitWorker(70);
    });
  };
  process.on("uncaughtException", (error) => crash(error, "uncaught"));
  process.on("unhandledRejection", (error) => crash(error, "unhandled rejection"));
  // A task still running when the channel goes (runner died, or task code called
  // process.disconnect()) did not finish: the worker exits unannounced, which runner
  // takes for a lost channel, never for a pass (worker-pool.ts).
  const quit = (): void => {
    groups.killAll("SIGKILL");
    exitWorker(current === undefined ? 0 : 1);
  };
  // As in-process (execution/task-scope.ts): process.exit in task code ends its task, whose
  // commands are stopped and whose deferred functions run; then the worker exits so.
  process.exit = (code?: ExitCode) => {
    const from = origin.getStore();
    if (from !== undefined && from.id !== current?.id) {
      // Code an earlier task left behind (a timer): as in-process, it ends no task, and a
      // non-zero status is that task's error, after it ended.
      const status = exitStatusOf(code);
      if (status !== 0) crash(new Error(`called process.exit(${status}) after it ended`), "uncaught");
      throw new WorkerExit(`process.exit(${String(code ?? "")})`);
    }
    if (current === undefined) return exitWorker(code);
    current.exit(code);
    throw new WorkerExit(`process.exit(${String(code ?? "")})`);
  };
  process.on("disconnect", quit);

  const run = async (message: Extract<ToWorker, { kind: "run" }>): Promise<void> => {
    const { id, settings } = message;
    pipes.prefix = message.marks;
    const controller = new AbortController();
    // Commands started once the task is stopping (its deferred functions') run until the grace period ends.
    const grace = new AbortController();
    const stop = (reason: unknown): void => {
      if (controller.signal.aborted) return;
      controller.abort(reason);
      setTimeout(() => grace.abort("SIGKILL"), settings.killGraceMs).unref();
    };
    let exiting: { code: ExitCode } | undefined;
    let exited = (): void => {};
    const exitAsked = new Promise<void>((resolve) => (exited = resolve));
    current = {
      id,
      stop,
      exit: (code) => {
        if (exiting !== undefined) return;
        exiting = { code };
        stop("SIGTERM");
        exited();
      },
    };
    const deferred = new Deferred();
    const running = new Set<Promise<unknown>>();
    const out = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      process[stream].write(chunk);
      return undefined;
    };
    let outcome: Extract<FromWorker, { kind: "done" }>["outcome"];
    const measure = message.measure ? (usage ??= new WorkerUsage(() => process.resourceUsage())) : undefined;
    let measuring: TaskMeasure | undefined;
    try {
      const loaded = await collection(message.file, message.codeHash);
      const task = loaded.tasks.find((t) => t.name === message.task);
      if (task === undefined)
        throw new Error(`runner's pool worker found no task "${message.task}" in ${message.file}`);
      // From here: loading the tasks file is the worker's, not the task's.
      measuring = measure?.start();
      const ctx = createContext({
        ...settings,
        config: settings.config as never,
        terminalSize: () => undefined,
        name: message.task,
        options: message.options,
        args: message.args,
        rest: message.rest,
        signal: controller.signal,
        output: { stdout: out("stdout"), stderr: out("stderr") },
        run: { groups, clock: world.clock, meter: measure?.commands, streamed },
        commands: {
          started: (command) => send({ runner: 1, kind: "command-started", id, command }),
          ended: (record) => {
            measuring?.command(record.usage);
            send({ runner: 1, kind: "command-ended", id, record });
          },
        },
        running,
        commandSignal: () => (controller.signal.aborted ? grace.signal : controller.signal),
        defer: (fn) => deferred.add(fn),
        call: (source, values) => calls.call(id, loaded, source, values),
      });
      // process.exit from a timer leaves the task's promise pending: the exit ends it.
      const value: unknown = await Promise.race([
        origin.run({ id, task: message.task }, () => task.run(ctx, message.options)),
        exitAsked,
      ]);
      outcome = { kind: "returned", value };
    } catch (error) {
      outcome = { kind: "threw", error: serializeError(error) };
    }
    if (exiting !== undefined) {
      // As if its process ended: what it started ends with it, then its cleanup runs.
      await Promise.race([Promise.allSettled([...running]), grace.signal.aborted ? undefined : aborted(grace.signal)]);
    }
    // Run with the in-process Deferred; its errors go to runner, which makes them the task's status as in-process.
    await deferred.run();
    const cleanupErrors = deferred
      .takeErrors()
      .filter((error) => !isWorkerExit(error))
      .map((error) => serializeError(error));
    const failedCleanup = cleanupErrors.length === 0 ? {} : { cleanupErrors };
    if (exiting !== undefined) {
      const { code } = exiting;
      send({ runner: 1, kind: "exit", id, code: exitStatusOf(code), ...failedCleanup }, () => {
        groups.killAll("SIGKILL");
        exitWorker(code);
      });
      return;
    }
    // What a task did to the process is not the next one's.
    try {
      process.chdir(startCwd);
    } catch {
      // The directory may be gone; the next task starts where it can.
    }
    for (const key of Object.keys(process.env)) if (!(key in startEnv)) Reflect.deleteProperty(process.env, key);
    Object.assign(process.env, startEnv);
    // A pipe to runner the task's code ended: what it printed since is lost, and so would the next task's be.
    const gone = (["stdout", "stderr"] as const).find((name) => pipes.ended[name]);
    if (gone !== undefined && outcome.kind === "returned") {
      const error = new Error(
        `its code ended its worker's ${gone} (process.${gone}.end()): what it printed after is lost`,
      );
      outcome = { kind: "threw", error: serializeError(error) };
    }
    const leftCode = process.exitCode;
    process.exitCode = undefined;
    if (outcome.kind === "returned" && leftCode !== undefined && Number(leftCode) !== 0) {
      // As in-process: the task fails with that status (an error's exitCode sets it).
      const error = Object.assign(new Error(`set process.exitCode to ${leftCode}`), { exitCode: Number(leftCode) });
      outcome = { kind: "threw", error: serializeError(error) };
    }
    current = undefined;
    calls.forget(id);
    const used = measuring?.end();
    const done = (o: typeof outcome): FromWorker => ({
      runner: 1,
      kind: "done",
      id,
      outcome: o,
      // Written as the message is made: after everything the task printed.
      marks: marks(),
      ...(used === undefined ? {} : { usage: used }),
      rssBytes: process.memoryUsage.rss(),
      ...(gone === undefined && !tainted ? {} : { spent: true }),
      ...failedCleanup,
    });
    try {
      process.send?.(done(outcome));
    } catch (error) {
      // A value structured clone cannot copy (a function, a class instance with one).
      const why = `its return value cannot be sent back to runner (${error instanceof Error ? error.message : String(error)})`;
      send(done({ kind: "threw", error: serializeError(new TypeError(`Task "${message.task}": ${why}`)) }));
    }
  };

  process.on("message", (message: unknown) => {
    if (!isToWorker(message)) return;
    if (message.kind === "run") void run(message);
    else if (message.kind === "call-ended") calls.ended(message);
    else if (message.kind === "end") quit();
    else if (current?.id === message.id) current.stop(message.reason);
  });
}
