// The process groups of one run's commands. Why groups: a shell command's work is often
// done by grandchildren (`sh -c "npm test"` → npm → node); killing only the direct child
// would leave them running, so each command leads its own group and runner signals the
// whole group (`kill(-pgid)`). One registry per run, passed to every command: the groups
// still running (killed if runner exits first, or at once on a second Ctrl-C), and those
// whose leader ended but left processes behind (`server > log &`), which may serve later
// tasks and end with the run, since nothing runner started may outlive it.
//
// A group is signalled only while it is certainly the run's own. Its id is its leader's pid,
// and once the group has emptied the kernel may give that id to an unrelated process (a pid
// wrap, soon with pid_max 32768), whose group `kill(-pgid)` would then hit. So, on Linux:
// while the leader lives (or is a zombie not yet reaped), its start time (/proc/<pid>/stat)
// still matches the one recorded when it was spawned; after it, the group is the run's while
// one of the members seen at the last look is still there — the id cannot be reused while
// any member lives — and each look renews the members. Leftover groups are looked at every
// half second, so that their members can come and go. Where there is no /proc, kill is
// trusted, as before.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { World } from "../world/world.ts";
import { START_TIME_FIELD, statFields } from "./start-time.ts";

export type GroupsWorld = Pick<World, "kill" | "onExit">;

/** What proves a group is the run's: its leader's start time, or the members last seen in it. */
interface Proof {
  readonly leaderStart: string | undefined;
  /** pid → start time, once the leader is gone. */
  members: Map<number, string> | undefined;
}

/** How often leftover groups are looked at. */
const LOOK_MS = 500;

export class ProcessGroups {
  private readonly live = new Set<number>();
  private readonly leftovers = new Set<number>();
  private readonly proofs = new Map<number, Proof>();
  private looking: NodeJS.Timeout | undefined;

  constructor(private readonly world: GroupsWorld) {
    // However runner exits, what it started goes with it. The hook stays until the exit:
    // task code may still start a command after the run is over (from a timer it left).
    world.onExit(() => this.killAll("SIGKILL"));
  }

  /** A command's group, its leader just spawned. */
  add(pgid: number): void {
    this.live.add(pgid);
    const leaderStart = startTime(pgid);
    // A leader gone before it could be looked at (an instant exit, or a group a pool worker
    // reported after reaping its leader): its members, if any, prove it. An empty group is
    // told by one system call, without reading all of /proc.
    const members =
      leaderStart === undefined && HAS_PROC ? (this.world.kill(-pgid, 0) ? membersOf(pgid) : new Map()) : undefined;
    this.proofs.set(pgid, { leaderStart, members });
  }

  /** The group's leader was reaped: from now on, its members prove the group. */
  leaderExited(pgid: number): void {
    const proof = this.proofs.get(pgid);
    if (proof === undefined) return;
    // Most groups end with their leader: one system call says so, without reading /proc.
    proof.members = this.world.kill(-pgid, 0) ? membersOf(pgid) : new Map();
  }

  /**
   * A command ended. Its group is kept as a leftover when its leader ended by itself but
   * left processes behind. Leftover groups that have emptied are forgotten now: their ids
   * may be reused, and runner must then not signal them.
   */
  ended(pgid: number, { leftBehind }: { leftBehind: boolean }): void {
    this.live.delete(pgid);
    if (leftBehind) this.leftovers.add(pgid);
    else this.proofs.delete(pgid);
    this.look();
  }

  /**
   * Sends `signal` (0: only checks) to group `pgid` if it is certainly the run's; false when
   * no process of it is left, or it is not (then it is forgotten).
   */
  signal(pgid: number, signal: NodeJS.Signals | 0): boolean {
    // An empty group (the usual end) is told by one system call, before any look at /proc.
    if (signal === 0 && !this.world.kill(-pgid, 0)) return false;
    if (this.owned(pgid) === false) {
      this.forget(pgid);
      return false;
    }
    return this.world.kill(-pgid, signal);
  }

  /**
   * Stops every group of the run now, without the event loop (task code is stuck in it):
   * SIGTERM, then SIGKILL for what is left after the grace period.
   */
  stopAllNow(killGraceMs: number): void {
    this.killAll("SIGTERM");
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; waited < killGraceMs; waited += 25) {
      if (![...this.live, ...this.leftovers].some((pid) => this.alive(pid))) return;
      Atomics.wait(pause, 0, 0, 25);
    }
    this.killAll("SIGKILL");
  }

  /** Sends a signal to every group of the run still running, leftovers included. */
  killAll(signal: NodeJS.Signals): void {
    for (const pid of [...this.live, ...this.leftovers]) this.signal(pid, signal);
  }

  /**
   * Whether any process of group `pgid` still runs. kill(-pgid, 0) alone counts zombies too:
   * a killed grandchild whose parent died first is reparented to init, and an init that never
   * reaps (as in some containers) keeps it for ever. On Linux, /proc tells the two apart.
   */
  alive(pgid: number): boolean {
    if (!this.world.kill(-pgid, 0)) return false;
    const owned = this.owned(pgid);
    if (owned === false) {
      this.forget(pgid);
      return false;
    }
    const members = owned === true ? procMembers(pgid) : owned;
    return members === undefined || members.size > 0;
  }

  /** Polls until group `pgid` has no running process, or `patienceMs` have passed; whether it ended. */
  async waitForEnd(pgid: number, patienceMs: number): Promise<boolean> {
    for (let waited = 0; this.alive(pgid); waited += 25) {
      if (waited >= patienceMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  /**
   * The run is over: what commands left running in their groups gets SIGTERM, then SIGKILL
   * after the grace period (or at once, through killAll, when runner is asked to hurry).
   */
  async endLeftovers(killGraceMs: number): Promise<void> {
    const groups = [...this.leftovers].filter((pid) => this.alive(pid));
    for (const pid of groups) this.signal(pid, "SIGTERM");
    await Promise.all(
      groups.map(async (pid) => {
        if (!(await this.waitForEnd(pid, killGraceMs))) this.signal(pid, "SIGKILL");
      }),
    );
    for (const pid of [...this.leftovers]) this.forget(pid);
  }

  /**
   * Whether group `pgid` is certainly the run's, renewing the members that prove it: false,
   * true, or its members as just read (true when that needed no look at them).
   */
  private owned(pgid: number): boolean | Map<number, string> {
    const proof = this.proofs.get(pgid);
    if (proof === undefined) return false;
    if (!HAS_PROC) return true; // kill is all there is.
    if (proof.members === undefined) {
      // The leader has not been reaped (or its exit not yet seen): its pid is still its own.
      if (proof.leaderStart !== undefined && startTime(pgid) === proof.leaderStart) return true;
      proof.members = new Map();
    }
    if (proof.members.size === 0) return false; // Emptied once: whatever has the id now is not the run's.
    const now = membersOf(pgid);
    const continued = [...now].some(([pid, start]) => proof.members?.get(pid) === start);
    proof.members = continued ? now : new Map();
    return continued ? now : false;
  }

  private forget(pgid: number): void {
    this.live.delete(pgid);
    this.leftovers.delete(pgid);
    this.proofs.delete(pgid);
    if (this.leftovers.size === 0 && this.looking !== undefined) {
      clearInterval(this.looking);
      this.looking = undefined;
    }
  }

  /** Looks at every leftover group now, and every half second while there are any. */
  private look(): void {
    for (const pid of [...this.leftovers]) {
      if (!this.signal(pid, 0)) this.forget(pid);
    }
    if (this.leftovers.size > 0 && this.looking === undefined) {
      // Unref'd: it must not keep runner alive, nor hide an empty event loop.
      this.looking = setInterval(() => this.look(), LOOK_MS);
      this.looking.unref();
    }
  }
}

/** Whether this system has /proc, where a process's start time and group can be read. */
const HAS_PROC = existsSync("/proc/self/stat");

/** A process's start time, or undefined without /proc or the process. */
function startTime(pid: number): string | undefined {
  return statFields(pid, readFileSync)?.[START_TIME_FIELD];
}

/** The running (not zombie) members of group `pgid`, pid → start time; undefined without /proc. */
function procMembers(pgid: number): Map<number, string> | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const members = new Map<number, string>();
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const fields = statFields(name, readFileSync);
    if (fields !== undefined && fields[0] !== "Z" && Number(fields[2]) === pgid)
      members.set(Number(name), fields[START_TIME_FIELD] ?? "");
  }
  return members;
}

function membersOf(pgid: number): Map<number, string> {
  return procMembers(pgid) ?? new Map<number, string>();
}
