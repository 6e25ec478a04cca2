// Resource figures of commands (SPEC §7 "Resource figures"), on Linux, from /proc. Made only
// for a run that asks for them (--stats, --report): a run that does not never reads /proc here.
//
// CPU is exact: a process's cutime/cstime (/proc/self/stat) grow, when it reaps a child, by
// all the CPU that child and the descendants it waited for used, so the growth at a leader's
// reap is its command's CPU. libuv reaps every child that ended before it calls their exit
// callbacks, so the growth seen at the first callback of a turn may be several commands':
// it is split between the commands reaped that turn in proportion to their CPU at the last
// sample (one command, the usual case, takes it all).
//
// Peak memory is sampled: every SAMPLE_MS while a command runs, its tree is walked from the
// leader (/proc/<pid>/task/<pid>/children), and its peak is the larger of the most its
// processes held at once (the sum of their VmRSS) and the highest high-water mark (VmHWM)
// of any one of them. A process that starts and ends between two samples is not seen.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { statFields } from "./start-time.ts";

/** What a command, or a task, used: CPU (user and system) in milliseconds, and its peak resident memory. */
export interface Usage {
  readonly userCpuMs: number;
  readonly systemCpuMs: number;
  readonly peakRssBytes: number;
}

/** CPU times, user and system: clock ticks or milliseconds, as said where used. */
export interface Cpu {
  readonly user: number;
  readonly system: number;
}

/** How often a running command's memory is looked at. */
export const SAMPLE_MS = 100;

/** /proc counts CPU in clock ticks of USER_HZ, which is 100 on every Linux Node runs on. */
const TICK_MS = 10;

/** The most processes of one command's tree looked at in a sample. */
const TREE_LIMIT = 4096;

/** The CPU this process's reaped children used (cutime, cstime: fields 16 and 17), in ticks. */
export function reapedCpu(): Cpu | undefined {
  const fields = statFields("self", readFileSync);
  if (fields === undefined) return undefined;
  return { user: Number(fields[13]), system: Number(fields[14]) };
}

/** Milliseconds of `to - from`, ticks apart. */
export function cpuMsBetween(from: Cpu, to: Cpu): Cpu {
  return { user: (to.user - from.user) * TICK_MS, system: (to.system - from.system) * TICK_MS };
}

/** A process's resident memory now (VmRSS) and its high-water mark (VmHWM), in bytes. */
export function memoryOf(pid: number | "self"): { readonly rss: number; readonly hwm: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  // A zombie has neither line.
  const kb = (name: string): number => Number(new RegExp(`\\n${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Resets this process's high-water mark (VmHWM) to what it holds now; false where that cannot be done. */
export function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** One look at a command's tree: the memory its processes hold now, the highest mark of one, their CPU so far (ticks). */
function sampleTree(leader: number): { rss: number; hwm: number; cpu: Cpu } {
  const sample = { rss: 0, hwm: 0, cpu: { user: 0, system: 0 } };
  const pending = [leader];
  const seen = new Set<number>();
  for (let pid = pending.pop(); pid !== undefined && seen.size < TREE_LIMIT; pid = pending.pop()) {
    if (seen.has(pid)) continue;
    seen.add(pid);
    const memory = memoryOf(pid);
    if (memory !== undefined) {
      sample.rss += memory.rss;
      sample.hwm = Math.max(sample.hwm, memory.hwm);
    }
    // utime, stime, cutime, cstime: its own CPU and its reaped children's.
    const fields = statFields(pid, readFileSync);
    if (fields !== undefined) {
      sample.cpu.user += (Number(fields[11]) || 0) + (Number(fields[13]) || 0);
      sample.cpu.system += (Number(fields[12]) || 0) + (Number(fields[14]) || 0);
    }
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
      for (const child of children.split(" ")) if (child !== "" && child !== "\n") pending.push(Number(child));
    } catch {
      // Gone, or a kernel without the file: the leader alone is looked at.
    }
  }
  return sample;
}

/**
 * `total` split between commands reaped in the same turn, in proportion to their CPU at
 * the last sample (a tick more each, so that commands never sampled share alike).
 */
export function splitCpu(total: Cpu, sampledTicks: readonly number[]): Cpu[] {
  const weights = sampledTicks.map((ticks) => Math.max(0, ticks) + 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((weight) => ({ user: (total.user * weight) / sum, system: (total.system * weight) / sum }));
}

/** A command measured from its spawn to its reap. */
export interface Measured {
  /** Its leader was reaped (call from the leader's exit listener). */
  reaped(): void;
  /** Its figures, once it is reaped. */
  readonly usage: Promise<Usage>;
}

interface Watched {
  readonly pid: number;
  /** The most its tree had used at a sample, in ticks. */
  cpu: Cpu;
  peak: number;
  readonly resolve: (usage: Usage) => void;
}

/** The resource figures of the commands one process spawns and reaps. */
export class CommandMeter {
  /** cutime/cstime when last read. */
  private baseline: Cpu | undefined;
  private readonly running = new Set<Watched>();
  /** The commands reaped this turn, and what the reaped CPU grew by. */
  private batch: { readonly grew: Cpu; readonly members: Watched[] } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** A command's leader just spawned. */
  watch(pid: number): Measured {
    // With nothing measured running, what was reaped since the last look was no command's.
    if (this.running.size === 0 && this.batch === undefined) this.baseline = reapedCpu();
    let resolve: (usage: Usage) => void = () => {};
    const usage = new Promise<Usage>((settle) => (resolve = settle));
    const watched: Watched = { pid, cpu: { user: 0, system: 0 }, peak: 0, resolve };
    this.running.add(watched);
    if (this.timer === undefined) {
      // Unref'd: it must not keep a process alive, nor hide an empty event loop.
      this.timer = setInterval(() => this.sample(), SAMPLE_MS);
      this.timer.unref();
    }
    return { reaped: () => this.reaped(watched), usage };
  }

  private sample(): void {
    for (const watched of this.running) {
      const sample = sampleTree(watched.pid);
      watched.peak = Math.max(watched.peak, sample.rss, sample.hwm);
      watched.cpu = {
        user: Math.max(watched.cpu.user, sample.cpu.user),
        system: Math.max(watched.cpu.system, sample.cpu.system),
      };
    }
  }

  private reaped(watched: Watched): void {
    if (!this.running.delete(watched)) return;
    if (this.running.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (this.batch === undefined) {
      const before = this.baseline;
      const now = reapedCpu();
      this.baseline = now;
      const grew = before === undefined || now === undefined ? { user: 0, system: 0 } : cpuMsBetween(before, now);
      this.batch = { grew, members: [] };
      // Every exit callback of this turn runs before the check phase: then the batch is whole.
      setImmediate(() => this.settle());
    }
    this.batch.members.push(watched);
  }

  private settle(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (batch === undefined) return;
    const shares = splitCpu(
      batch.grew,
      batch.members.map((member) => member.cpu.user + member.cpu.system),
    );
    batch.members.forEach((member, at) => {
      // Never less than its last sample: a stopped command's processes die with their parent,
      // and those whose parent died first are reaped by init, not here.
      const share = shares[at] ?? { user: 0, system: 0 };
      const sampled = cpuMsBetween({ user: 0, system: 0 }, member.cpu);
      member.resolve({
        userCpuMs: Math.max(share.user, sampled.user),
        systemCpuMs: Math.max(share.system, sampled.system),
        peakRssBytes: member.peak,
      });
    });
  }
}

/** A meter for this process's commands, where /proc tells what they use (Linux); else undefined. */
export function commandMeter(): CommandMeter | undefined {
  return existsSync("/proc/self/stat") ? new CommandMeter() : undefined;
}

/** Figures added up: CPU summed, the larger peak. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    userCpuMs: a.userCpuMs + b.userCpuMs,
    systemCpuMs: a.systemCpuMs + b.systemCpuMs,
    peakRssBytes: Math.max(a.peakRssBytes, b.peakRssBytes),
  };
}

export const NO_USAGE: Usage = { userCpuMs: 0, systemCpuMs: 0, peakRssBytes: 0 };

/** The figures of several commands together; those without figures (a dry run's, one that never started) add nothing. */
export function sumUsage(usages: Iterable<Usage | undefined>): Usage {
  let sum = NO_USAGE;
  for (const usage of usages) if (usage !== undefined) sum = addUsage(sum, usage);
  return sum;
}
