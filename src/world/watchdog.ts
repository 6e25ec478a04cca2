// The main thread's side of the watchdog (watchdog-worker.ts): a heartbeat, the earliest time
// limit, and what runs when the worker finds the main thread stuck — called by the worker
// through the inspector, on the main thread, from inside the stuck code. What runs there can
// only do synchronous work and then end the process: it writes its lines straight to the
// descriptor, has the summary and the report written (synchronous writes), and leaves at
// once (leave.ts, else process.reallyExit), since the event loop will never turn again.
import { closeSync, writeSync } from "node:fs";
import { leaveWithoutTeardown } from "./leave.ts";
import type { StuckEnd, StuckReason, Watchdog } from "./world.ts";

/** How long without a heartbeat means the main thread is stuck. */
const STALL_MS = 500;
const BEAT_MS = 100;
const HANDLER = "runner.watchdog";

export function startWatchdog(file: string, onStuck: (reason: StuckReason) => StuckEnd): Watchdog {
  const state = new Float64Array(new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT));
  const beat = (): void => {
    state[0] = Date.now();
  };
  beat();
  const heartbeat = setInterval(beat, BEAT_MS);
  // Neither keeps runner alive, nor hides an empty event loop from the executor.
  heartbeat.unref();
  (globalThis as Record<symbol, unknown>)[Symbol.for(HANDLER)] = (reason: StuckReason) => {
    const { status, lines, after } = onStuck(reason);
    try {
      if (lines.length > 0) writeSync(2, lines.map((line) => `${line}\n`).join(""));
    } catch {
      // Nothing more can be said.
    }
    try {
      after?.();
    } catch {
      // What could be written of the summary and the report was; the exit status still holds.
    }
    try {
      // Node writes a line of its own on stderr when exiting with an inspector session open.
      closeSync(2);
    } catch {
      // Closed already.
    }
    // A stuck main thread is no state to tear Node down from (see leave.ts).
    leaveWithoutTeardown(status);
    (process as unknown as { reallyExit(code: number): never }).reallyExit(status);
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for runs
  const { Worker } = require("node:worker_threads") as typeof import("node:worker_threads");
  const workerData = { state: state.buffer, stallMs: STALL_MS, handler: HANDLER };
  // --expose-internals for this thread only: on Node 24 it is how a worker hears signals
  // (watchdog-worker.ts). No other option of runner's own is the watchdog's.
  const worker = new Worker(file, { workerData, execArgv: ["--expose-internals"] });
  worker.unref();
  worker.on("error", () => {
    // Without its watchdog the run goes on as it would have before.
  });
  return {
    setDeadline: (epochMs) => {
      state[1] = epochMs ?? 0;
    },
    stop: () => {
      clearInterval(heartbeat);
      void worker.terminate();
    },
  };
}
