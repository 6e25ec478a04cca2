// What a fatal signal (INT, TERM, HUP, QUIT, ALRM) does, from the start of a run until runner
// exits. Commands lead their
// own process groups (so time-outs can kill whole trees), which also means a terminal's
// Ctrl-C reaches only runner: runner passes it on.
//   - The first signal stops the run: nothing new starts, and running commands get that
//     same signal (then SIGKILL after the grace period). The summary is still printed and
//     runner exits 128 + the signal's number.
//   - Any later one hurries: what still runs is killed at once.
//   - Once the run is over (what commands left behind is being stopped), any signal hurries.
// One listener for all of it, so that no moment between the run and the exit is left to
// Node's default (an instant exit with nothing reported).
import type { World } from "../world/world.ts";
import { unreachable } from "../common/unreachable.ts";

/** The signals that would end runner at once by default: each is handled, alike. */
export const FATAL_SIGNALS = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGALRM",
] as const satisfies readonly NodeJS.Signals[];

export type FatalSignal = (typeof FATAL_SIGNALS)[number];

/**
 * What runner's commands get when runner gets `signal`: the same, as a shell passes Ctrl-C,
 * SIGTERM and a hang-up on; SIGTERM for SIGQUIT (whose default is a core dump) and SIGALRM.
 */
export function commandSignalFor(signal: FatalSignal): "SIGINT" | "SIGTERM" | "SIGHUP" {
  switch (signal) {
    case "SIGINT":
    case "SIGTERM":
    case "SIGHUP":
      return signal;
    case "SIGQUIT":
    case "SIGALRM":
      return "SIGTERM";
    default:
      return unreachable("signal", signal);
  }
}

export class SignalPolicy {
  /** Aborted at the first signal during the run; its reason is the signal commands get. */
  readonly stop: AbortSignal;
  private readonly controller = new AbortController();
  private received: FatalSignal | undefined;
  private running = true;
  private readonly remove: () => void;

  constructor(
    world: Pick<World, "onSignal">,
    /** Kills at once what is still running. */
    private readonly hurry: () => void,
  ) {
    this.stop = this.controller.signal;
    this.remove = world.onSignal(FATAL_SIGNALS, (signal) => this.take(signal as FatalSignal));
  }

  /** The signal that stopped the run, if one did. */
  stoppedBy(): FatalSignal | undefined {
    return this.received;
  }

  /** The run is over: from now on a signal only hurries the cleanup. */
  runEnded(): void {
    this.running = false;
  }

  dispose(): void {
    this.remove();
  }

  private take(signal: FatalSignal): void {
    if (this.running && this.received === undefined) {
      this.received = signal;
      this.controller.abort(commandSignalFor(signal));
      return;
    }
    this.hurry();
  }
}
