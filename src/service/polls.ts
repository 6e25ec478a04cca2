// Readiness by asking: a TCP connect to a port, or an HTTP request to a URL, tried again
// every moment until one succeeds. Each try has a short time limit of its own, so that a
// host that swallows packets cannot hold the probe; stopping ends the try under way.
import type { ReadinessProbe } from "./probe.ts";

/** Between two tries. */
const PORT_EVERY_MS = 150;
const URL_EVERY_MS = 200;
/** The most one try may take. */
const TRY_MS = 2000;

export function portProbe(host: string, port: number, onReady: () => void): ReadinessProbe {
  return {
    ...poll((signal) => connects(host, port, signal), PORT_EVERY_MS, onReady),
    notReady: () => `nothing accepted connections on ${host}:${port}`,
  };
}

export function urlProbe(url: string, onReady: () => void): ReadinessProbe {
  let last = "did not answer";
  const answers = async (signal: AbortSignal): Promise<boolean> => {
    const status = await answerOf(url, signal);
    if (status !== undefined) last = `answered ${status}`;
    return status !== undefined && status >= 200 && status < 300;
  };
  return { ...poll(answers, URL_EVERY_MS, onReady), notReady: () => `${url} did not answer 2xx (it ${last})` };
}

/** Calls `attempt` every `everyMs` (after the last one ended) until it says yes or the poll stops. */
function poll(
  attempt: (signal: AbortSignal) => Promise<boolean>,
  everyMs: number,
  onReady: () => void,
): Pick<ReadinessProbe, "output" | "stop"> {
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    timer = undefined;
    void attempt(stopped.signal).then((ready) => {
      if (stopped.signal.aborted) return;
      if (ready) onReady();
      else timer = setTimeout(next, everyMs);
    });
  };
  next();
  return {
    output: () => {},
    stop: () => {
      stopped.abort();
      clearTimeout(timer);
    },
  };
}

/** Whether a TCP connection to host:port opens within TRY_MS; the socket is closed at once either way. */
function connects(host: string, port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    // node:net only when a port is probed: every run with tasks loads this module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, see above
    const { connect } = require("node:net") as typeof import("node:net");
    const socket = connect({ host, port });
    const done = (ready: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      socket.destroy();
      resolve(ready);
    };
    const stop = (): void => done(false);
    const timer = setTimeout(stop, TRY_MS);
    signal.addEventListener("abort", stop, { once: true });
    socket.once("connect", () => done(true));
    socket.once("error", stop);
  });
}

/** The HTTP status `url` answers with within TRY_MS (redirects followed), or undefined when none came. */
async function answerOf(url: string, signal: AbortSignal): Promise<number | undefined> {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), TRY_MS);
  try {
    const response = await fetch(url, { signal: AbortSignal.any([signal, limit.signal]) });
    // The body is not wanted: cancelled, so that the connection is not held open for it.
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
