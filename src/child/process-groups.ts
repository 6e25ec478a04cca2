// The process groups of one run's commands. Why groups: a shell command's work is often
// done by grandchildren (`sh -c "npm test"` → npm → node); killing only the direct child
// would leave them running, so each command leads its own group and runner signals the
// whole group (`kill(-pgid)`). One registry per run, passed to every command: the groups
// still running (killed if runner exits first, or at once on a second Ctrl-C), and those
// whose leader ended but left processes behind (`server > log &`), which may serve later
// tasks and end with the run, since nothing runner started may outlive it.
import { readdirSync, readFileSync } from "node:fs";
import type { World } from "../world/world.ts";

export type GroupsWorld = Pick<World, "kill" | "onExit">;

export class ProcessGroups {
  private readonly live = new Set<number>();
  private readonly leftovers = new Set<number>();

  constructor(private readonly world: GroupsWorld) {
    // However runner exits, what it started goes with it. The hook stays until the exit:
    // task code may still start a command after the run is over (from a timer it left).
    world.onExit(() => this.killAll("SIGKILL"));
  }

  /** A command's group, now running. */
  add(pgid: number): void {
    this.live.add(pgid);
  }

  /**
   * A command ended. Its group is kept as a leftover when its leader ended by itself but
   * left processes behind. Leftover groups that have emptied are forgotten now: their ids
   * may be reused, and runner must then not signal them.
   */
  ended(pgid: number, { leftBehind }: { leftBehind: boolean }): void {
    this.live.delete(pgid);
    if (leftBehind) this.leftovers.add(pgid);
    for (const pid of this.leftovers) {
      if (!this.signal(pid, 0)) this.leftovers.delete(pid);
    }
  }

  /** Sends `signal` (0: only checks) to group `pgid`; false when no process of it is left. */
  signal(pgid: number, signal: NodeJS.Signals | 0): boolean {
    return this.world.kill(-pgid, signal);
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
    if (!this.signal(pgid, 0)) return false;
    let names: string[];
    try {
      names = readdirSync("/proc");
    } catch {
      return true; // No /proc (macOS): trust kill.
    }
    return names.some((name) => {
      const first = name.charCodeAt(0);
      if (first < 48 || first > 57) return false;
      try {
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] !== "Z" && Number(fields[2]) === pgid;
      } catch {
        return false; // Gone meanwhile.
      }
    });
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
    if (groups.length === 0) return;
    for (const pid of groups) this.signal(pid, "SIGTERM");
    await Promise.all(
      groups.map(async (pid) => {
        if (!(await this.waitForEnd(pid, killGraceMs))) this.signal(pid, "SIGKILL");
      }),
    );
    for (const pid of groups) this.leftovers.delete(pid);
  }
}
