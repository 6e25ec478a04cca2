// When a service is ready for its dependents (SPEC §11): a line of its output matches, its
// port accepts connections, or its URL answers 2xx. A probe watches for that one thing and,
// once it is ready, stopped or the service ended, leaves nothing behind (no timer, no socket).
import type { Readiness } from "../loader/dev-options.ts";
import { outputProbe } from "./output-ready.ts";
import { portProbe, urlProbe } from "./polls.ts";
import type { ReadinessProbe } from "./probe.ts";

export type { ReadinessProbe } from "./probe.ts";

/** Starts watching for `ready`; calls `onReady` once, in a later tick, when it is. */
export function probeReadiness(ready: Readiness, onReady: () => void): ReadinessProbe {
  let over = false;
  // Never from inside what the probe was told (an output event): the executor starts
  // dependents from here, and reporters are not reentrant.
  const tell = (): void => {
    if (over) return;
    over = true;
    probe.stop();
    queueMicrotask(onReady);
  };
  const probe = start(ready, tell);
  return {
    output: (stream, chunk) => {
      if (!over) probe.output(stream, chunk);
    },
    notReady: () => probe.notReady(),
    stop: () => {
      over = true;
      probe.stop();
    },
  };
}

function start(ready: Readiness, onReady: () => void): ReadinessProbe {
  switch (ready.kind) {
    case "output":
      return outputProbe(ready.pattern, onReady);
    case "port":
      return portProbe(ready.host, ready.port, onReady);
    case "url":
      return urlProbe(ready.url, onReady);
  }
}
