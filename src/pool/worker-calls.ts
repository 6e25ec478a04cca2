// ctx.call from an isolated task: the worker cannot run another task as a task of its own
// (its header, summary line, time limit, retries are runner's), so it names the task and
// asks runner, which runs it exactly as for a caller in its own process (in this worker's
// place or another's when the called task is isolated too) and answers with what it
// returned or threw. Functions cannot cross processes: the task goes by its name in the
// tasks file, which runner and the worker load alike.
import { notATaskError, type Collection, type Task } from "../loader/collection.ts";
import { deserializeError } from "./errors.ts";
import type { Marks } from "./output-marks.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

interface Waiting {
  readonly task: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface WorkerCalls {
  /** ctx.call in task `id`, whose code was loaded into `collection`. */
  call(id: number, collection: Collection, source: unknown, values: unknown): Promise<unknown>;
  /** Runner's answer to a call. */
  ended(message: Extract<ToWorker, { kind: "call-ended" }>): void;
  /** Task `id` has ended: a call it did not wait for is answered to nobody. */
  forget(id: number): void;
}

export function workerCalls(
  send: (message: FromWorker) => void,
  /** Writes marks after what the task printed so far (output-marks.ts). */
  marks: () => Marks,
): WorkerCalls {
  const waiting = new Map<number, Waiting>();
  // The tasks each collection had when the first call came, before ctx.call made any of its own.
  const loaded = new WeakMap<Collection, ReadonlySet<Task>>();
  let next = 1;

  return {
    async call(id, collection, source, values) {
      let known = loaded.get(collection);
      if (known === undefined) loaded.set(collection, (known = new Set(collection.tasks)));
      const task = collection.taskOf(source);
      if (task === undefined) throw notATaskError(source);
      // One made now (a function or task() of the task's code that the tasks file neither
      // exports nor lists in deps) has a name only in this worker: runner cannot find it.
      if (!known.has(task)) {
        throw new TypeError(
          `ctx.call in an isolated task: the task or function it was given (named "${task.name}" here) is neither exported nor listed in any task's deps, so runner, which runs it, cannot find it by name; export it, or call it from a task without isolate`,
        );
      }
      const call = next++;
      return new Promise((resolve, reject) => {
        waiting.set(call, { task: id, resolve, reject });
        try {
          send({ runner: 1, kind: "call", id, call, task: task.name, values, marks: marks() });
        } catch (error) {
          waiting.delete(call);
          const why = error instanceof Error ? error.message : String(error);
          reject(new TypeError(`ctx.call: the options given to "${task.name}" cannot be sent to runner (${why})`));
        }
      });
    },
    ended(message) {
      const call = waiting.get(message.call);
      if (call === undefined || call.task !== message.id) return;
      waiting.delete(message.call);
      if (message.outcome.kind === "returned") call.resolve(message.outcome.value);
      else call.reject(deserializeError(message.outcome.error));
    },
    forget(id) {
      for (const [n, call] of waiting) if (call.task === id) waiting.delete(n);
    },
  };
}
