// The watchdog (dist/watchdog.cjs), in a worker thread of runner's: it watches the main
// thread's heartbeat, and when the main thread is stuck — task code in a synchronous loop —
// and a time limit has passed or a fatal signal has come, it has runner's own code run on the
// main thread anyway, through the inspector (an interrupt V8 takes even inside a busy loop),
// which stops the commands and ends the run (world/watchdog.ts). Signals reach a worker only
// through Node's internal signal binding (process.binding up to Node 22, an internal binding
// since); should neither be there, a relay process in runner's process group, started once the
// main thread is stuck, hears what is sent to the group (a terminal's Ctrl-C, `kill -- -pgid`).
import { spawn, type ChildProcess } from "node:child_process";
import { Session } from "node:inspector";
import { workerData } from "node:worker_threads";

interface WatchdogData {
  /** [0]: the main thread's last heartbeat, [1]: the earliest time limit (0: none); epoch ms. */
  readonly state: SharedArrayBuffer;
  /** How long without a heartbeat means stuck. */
  readonly stallMs: number;
  /** The global function that takes over on the main thread. */
  readonly handler: string;
}

const { state, stallMs, handler } = workerData as WatchdogData;
const shared = new Float64Array(state);
// Connected only once the main thread is stuck: a session attached all along would slow
// runner's own code on the main thread.
let session: Session | undefined;

const SIGNALS: readonly (readonly [NodeJS.Signals, number])[] = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
  ["SIGQUIT", 3],
];

let fired = false;
/** Has `reason` taken over on the main thread; once. */
function fire(reason: string): void {
  if (fired) return;
  fired = true;
  session = new Session();
  session.connectToMainThread();
  session.post("Runtime.evaluate", {
    expression: `globalThis[Symbol.for(${JSON.stringify(handler)})](${JSON.stringify(reason)})`,
  });
}

const stuck = (): boolean => shared[0] !== undefined && Date.now() - shared[0] > stallMs;

/** The last signal that came, and when: the main thread handles it itself unless it is stuck. */
let signal: { readonly name: NodeJS.Signals; readonly at: number } | undefined;
const heard = (name: NodeJS.Signals): void => {
  signal = { name, at: Date.now() };
};

let relay: ChildProcess | undefined;
const listened = listenInWorker();

interface SignalBinding {
  readonly Signal: new () => { onsignal: () => void; start(signum: number): number; unref(): void };
}

/**
 * Node's signal binding, the one way a worker hears signals: through process.binding up to
 * Node 22 (quietly: it is deprecated), else as an internal binding, which this thread alone
 * may reach (watchdog.ts starts it with --expose-internals).
 */
function signalBinding(): SignalBinding {
  process.noDeprecation = true;
  try {
    return (process as unknown as { binding(name: string): unknown }).binding("signal_wrap") as SignalBinding;
  } catch {
    // Not there (Node 24): the internal one.
  }
  const warn = Object.getOwnPropertyDescriptor(process, "emitWarning");
  // Its one warning ("for internal testing only") is not for runner's users.
  process.emitWarning = () => {};
  try {
    // Not resolved at build time: Node's own module, loaded by the name Node gives it.
    const load = require;
    const internals = load("internal/test/binding") as { internalBinding(name: string): unknown };
    return internals.internalBinding("signal_wrap") as SignalBinding;
  } finally {
    if (warn === undefined) Reflect.deleteProperty(process, "emitWarning");
    else Object.defineProperty(process, "emitWarning", warn);
  }
}

function listenInWorker(): boolean {
  try {
    const binding = signalBinding();
    for (const [name, number] of SIGNALS) {
      const watcher = new binding.Signal();
      watcher.onsignal = () => heard(name);
      watcher.start(number);
      watcher.unref();
    }
    return true;
  } catch {
    return false;
  }
}

/** A process in runner's group that a signal to the group ends: its end tells which signal. */
function startRelay(): void {
  if (relay !== undefined) return;
  const child = spawn("cat", [], { stdio: ["pipe", "ignore", "ignore"] });
  relay = child;
  child.on("error", () => {});
  child.on("exit", (_code, name) => {
    // Not the one this watchdog stopped itself (the main thread came back).
    if (relay !== child) return;
    relay = undefined;
    if (name !== null && SIGNALS.some(([known]) => known === name)) heard(name);
  });
}

function stopRelay(): void {
  const child = relay;
  relay = undefined;
  child?.kill();
}

setInterval(() => {
  if (!stuck()) {
    stopRelay();
    return;
  }
  if (!listened) startRelay();
  const beat = shared[0] ?? 0;
  if (signal !== undefined && signal.at > beat) fire(signal.name);
  const deadline = shared[1] ?? 0;
  if (deadline > 0 && Date.now() > deadline + stallMs) fire("time limit");
}, 100);
