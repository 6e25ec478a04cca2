// The books of a run: which steps may start now and how each ended. The executor decides
// when to start one and what a task's end means.
import { succeeded, type TaskRun } from "./outcomes.ts";
import type { Step } from "../plan/plan.ts";

/**
 * Which steps can start: each waits for its deps to pass, and a post task for the task it
 * follows to end, however it ends (not to be skipped). Ready steps start lowest plan
 * index first, so one job at a time runs exactly the plan's order. Every operation looks
 * only at the steps concerned, so a plan of thousands of tasks is no slower per task.
 */
export class Schedule {
  private readonly index = new Map<Step, number>();
  /** How many of a step's deps have not passed yet. */
  private readonly waitingFor = new Map<Step, number>();
  private readonly dependents = new Map<Step, Step[]>();
  /** The post tasks that wait for a step to end. */
  private readonly followers = new Map<Step, Step[]>();
  private readonly ended = new Map<Step, TaskRun>();
  /** Steps whose deps all passed, not started yet, in plan order. */
  private readonly ready: Step[] = [];
  private readonly started = new Set<Step>();
  /** Services whose dependents were released while they still run (once ready, SPEC §11). */
  private readonly released = new Set<Step>();

  constructor(private readonly steps: readonly Step[]) {
    steps.forEach((step, i) => {
      this.index.set(step, i);
      const deps = new Set(step.deps);
      const after = new Set(step.after);
      this.waitingFor.set(step, deps.size + after.size);
      for (const [edges, map] of [
        [deps, this.dependents],
        [after, this.followers],
      ] as const) {
        for (const dep of edges) {
          const list = map.get(dep);
          if (list === undefined) map.set(dep, [step]);
          else list.push(step);
        }
      }
      if (deps.size + after.size === 0) this.ready.push(step);
    });
  }

  /** The step `next` would start, without starting it. */
  peek(): Step | undefined {
    return this.ready[0];
  }

  /** The next step to start (its deps all passed), or undefined. */
  next(): Step | undefined {
    const step = this.ready.shift();
    if (step !== undefined) this.started.add(step);
    return step;
  }

  hasStarted(step: Step): boolean {
    return this.started.has(step);
  }

  end(run: TaskRun): void {
    this.ended.set(run.step, run);
    // One that ends without having started (skipped while its deps were released) must not start.
    if (!this.started.has(run.step)) this.dropReady(run.step);
    const released = [
      ...(succeeded(run.status) && !this.released.has(run.step) ? (this.dependents.get(run.step) ?? []) : []),
      ...(run.status.kind === "skipped" ? [] : (this.followers.get(run.step) ?? [])),
    ];
    this.countDown(released);
  }

  /**
   * A service is ready: what depends on it may start while it still runs. Its end then
   * releases only its post tasks.
   */
  release(step: Step): void {
    if (this.released.has(step) || this.ended.has(step)) return;
    this.released.add(step);
    this.countDown(this.dependents.get(step) ?? []);
  }

  /** The steps that list `step` among their deps (post tasks included). */
  neededBy(step: Step): readonly Step[] {
    return this.dependents.get(step) ?? [];
  }

  private countDown(released: readonly Step[]): void {
    for (const dependent of released) {
      const left = (this.waitingFor.get(dependent) ?? 0) - 1;
      this.waitingFor.set(dependent, left);
      if (left === 0 && !this.ended.has(dependent)) this.insertReady(dependent);
    }
  }

  runOf(step: Step): TaskRun | undefined {
    return this.ended.get(step);
  }

  /**
   * Everything that (directly or not) depends on `step` and has not started, in plan order:
   * what can no longer run once it did not pass (a service's dependents may have started). Its own post tasks still run; those of
   * the steps that can no longer run cannot.
   */
  dependentsOf(step: Step): Step[] {
    const found = new Set<Step>();
    const toVisit = [step];
    for (let from = toVisit.pop(); from !== undefined; from = toVisit.pop()) {
      const next = [...(this.dependents.get(from) ?? []), ...(from === step ? [] : (this.followers.get(from) ?? []))];
      for (const dependent of next) {
        if (found.has(dependent) || this.ended.has(dependent) || this.started.has(dependent)) continue;
        found.add(dependent);
        toVisit.push(dependent);
      }
    }
    return this.byPlanOrder([...found]);
  }

  /**
   * Steps that never started and have not ended, in plan order, except those `keep` keeps
   * (they may still start); what is returned will never start.
   */
  notStarted(keep: (step: Step) => boolean = () => false): Step[] {
    const kept = this.ready.filter(keep);
    this.ready.length = 0;
    this.ready.push(...kept);
    return this.steps.filter((step) => !this.started.has(step) && !this.ended.has(step) && !keep(step));
  }

  done(): boolean {
    return this.ended.size === this.steps.length;
  }

  /** How every step ended, in plan order (once all have). */
  runs(): TaskRun[] {
    return this.steps.map((step) => {
      const run = this.ended.get(step);
      if (run === undefined) throw new Error(`runner: step ${step.task.name} has not ended`);
      return run;
    });
  }

  private insertReady(step: Step): void {
    this.ready.splice(this.readyIndex(step), 0, step);
  }

  private dropReady(step: Step): void {
    const at = this.readyIndex(step);
    if (this.ready[at] === step) this.ready.splice(at, 1);
  }

  /** Where `step` is, or would go, in `ready` (kept in plan order). */
  private readyIndex(step: Step): number {
    const at = this.indexOf(step);
    let low = 0;
    let high = this.ready.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const candidate = this.ready[mid];
      if (candidate !== undefined && this.indexOf(candidate) < at) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private byPlanOrder(list: Step[]): Step[] {
    return list.sort((a, b) => this.indexOf(a) - this.indexOf(b));
  }

  private indexOf(step: Step): number {
    return this.index.get(step) ?? 0;
  }
}
