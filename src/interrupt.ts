// Ctrl-C and SIGTERM while tasks run. Commands lead their own process groups (so time-outs
// can kill whole trees), which also means a terminal's Ctrl-C reaches only runner: runner
// passes it on. The first signal stops the run: nothing new starts, and running commands
// get that same signal (then SIGKILL after the grace period, see process.ts). A second
// Ctrl-C kills what is left at once. The summary is still printed; runner exits 130 or 143.
import { killAllGroups } from "./process.ts";

export interface Interrupt {
  /** Aborted at the first signal; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  received(): NodeJS.Signals | undefined;
  /** Stop listening (the run is over). */
  dispose(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export function listenForInterrupts(): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      // Asked twice: stop waiting for anything.
      killAllGroups("SIGKILL");
      return;
    }
    received = signal;
    controller.abort(signal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}

/** 130 after SIGINT, 143 after SIGTERM: 128 + the signal's number, as shells report it. */
export function interruptExitStatus(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}
