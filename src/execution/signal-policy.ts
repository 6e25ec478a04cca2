// What a fatal signal does, from the start of a run until runner exits. Commands lead their
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

export const FATAL_SIGNALS = ["SIGINT", "SIGTERM"] as const satisfies readonly NodeJS.Signals[];

export type FatalSignal = (typeof FATAL_SIGNALS)[number];

export class SignalPolicy {
  /** Aborted at the first signal during the run; its reason is the signal's name. */
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
      this.controller.abort(signal);
      return;
    }
    this.hurry();
  }
}
