// Tasks and steps built by hand for the in-process tests of what reads only a step's
// identity, its deps and its task's few flags (the schedule, --watch's sub-plans).
import { functionTask, type Task } from "../../src/loader/collection.ts";
import type { Step } from "../../src/plan/plan.ts";

/** A task that does nothing; a service (ready on "listening") when `service` is true. */
export function fakeTask(name: string, service = false): Task {
  return {
    ...functionTask(name, "", () => undefined),
    hidden: false,
    service: service ? { ready: { kind: "output", pattern: /listening/ }, readyTimeoutMs: 1000 } : undefined,
  };
}

/** A step of `fakeTask(name)` after `deps`, with `extra` over it. */
export function fakeStep(name: string, deps: readonly Step[] = [], extra: Partial<Step> = {}): Step {
  return {
    task: fakeTask(name),
    options: {},
    args: [],
    rest: [],
    deps,
    after: [],
    postOf: undefined,
    together: undefined,
    ...extra,
  };
}
