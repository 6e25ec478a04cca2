// What an isolated task used, measured in its worker (SPEC §7 "Resource figures"), for a run
// that asks (--stats, --report), on Linux. CPU: the worker's own (process.resourceUsage(),
// exact) plus what its reaped descendants used (the growth of cutime/cstime in
// /proc/self/stat: the commands and anything else the task started and waited for). Peak: the
// worker's high-water mark, reset at the task's start (/proc/self/clear_refs with 5), or the
// largest of its commands' sampled peaks if that is larger.
//
// A reused worker may still hold what an earlier task left for the garbage collector; if it
// holds much more at a task's start than after its last collection, it collects first, so
// that its peak is this task's, not the last one's.
import {
  SAMPLE_MS,
  commandMeter,
  cpuMsBetween,
  memoryOf,
  reapedCpu,
  resetPeak,
  type CommandMeter,
  type Usage,
} from "../child/usage.ts";

/** The worker's own CPU in microseconds, as process.resourceUsage() gives it. */
export interface OwnCpu {
  readonly userCPUTime: number;
  readonly systemCPUTime: number;
}

/** A task being measured: told its commands' figures, and asked for its own at its end. */
export interface TaskMeasure {
  command(usage: Usage | undefined): void;
  /** Its figures, or undefined when /proc could not be read. */
  end(): Usage | undefined;
}

/** How much more than after its last collection a worker may hold at a task's start before it collects. */
const SLACK_BYTES = 64 * 1024 * 1024;

let collect: (() => void) | undefined;

/** A full garbage collection, without the --expose-gc flag the worker was not started with. */
function collectGarbage(): void {
  if (collect === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only in measured pool workers
    (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--expose-gc");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only in measured pool workers
    collect = (require("node:vm") as typeof import("node:vm")).runInNewContext("gc") as () => void;
  }
  collect();
}

/** A worker's measures, across the tasks it runs. */
export class WorkerUsage {
  /** The meter of the worker's commands (for their ctx). */
  readonly commands: CommandMeter | undefined = commandMeter();
  /** What the worker held after its last collection, or at its first task. */
  private settled: number | undefined;

  constructor(private readonly ownCpu: () => OwnCpu) {}

  /** Starts measuring a task; undefined where /proc cannot tell (not Linux). */
  start(): TaskMeasure | undefined {
    const held = memoryOf("self")?.rss;
    const reaped = reapedCpu();
    if (held === undefined || reaped === undefined) return undefined;
    this.settled ??= held;
    if (held > this.settled + SLACK_BYTES) {
      collectGarbage();
      this.settled = memoryOf("self")?.rss ?? held;
    }
    // Where the mark cannot be reset, the worker's memory is sampled instead.
    const reset = resetPeak();
    let peak = 0;
    const look = (): void => {
      const memory = memoryOf("self");
      if (memory !== undefined) peak = Math.max(peak, reset ? memory.hwm : memory.rss);
    };
    const sampling = reset ? undefined : setInterval(look, SAMPLE_MS);
    sampling?.unref();
    const own = this.ownCpu();
    return {
      command: (usage) => {
        if (usage !== undefined) peak = Math.max(peak, usage.peakRssBytes);
      },
      end: () => {
        const ownNow = this.ownCpu();
        const reapedNow = reapedCpu();
        clearInterval(sampling);
        look();
        if (reapedNow === undefined) return undefined;
        const children = cpuMsBetween(reaped, reapedNow);
        return {
          userCpuMs: (ownNow.userCPUTime - own.userCPUTime) / 1000 + children.user,
          systemCpuMs: (ownNow.systemCPUTime - own.systemCPUTime) / 1000 + children.system,
          peakRssBytes: peak,
        };
      },
    };
  }
}
