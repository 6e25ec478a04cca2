// Commands on a pseudo-terminal (`ctx.run(cmd, { pty: true })`, invoke's pty=True): the
// command sees a terminal on stdin, stdout and stderr, so it keeps its colours and writes its
// progress as it goes instead of buffering it until it exits. Through @lydell/node-pty:
// node-pty with its binaries prebuilt in one package per platform, so that installing runner
// compiles and downloads nothing, and runs no install script. Loaded only when a command asks
// for a pty.
//
// A terminal has one output: the command's stdout and stderr arrive merged, as stdout. The
// terminal's line discipline turns each "\n" into "\r\n"; runner turns them back, so that the
// output reads as the program wrote it. Input is typed into the terminal: what `input` and
// responders write (echoed, as a terminal echoes), then an end of file (Ctrl-D).
//
// The command leads a session of its own (forkpty), and so its own process group, which
// runner stops as it stops any command's (process-groups.ts). node-pty reaps the leader and
// tells of it after the terminal's output is read (within 200 ms): until then process-groups
// sees the leader gone and its group unproven, and leaves it alone, as it must.
import { constants } from "node:os";
import type { IPty } from "@lydell/node-pty";
import type { Input, Leader, LeaderEnd, Output } from "./leader.ts";

type PtyModule = typeof import("@lydell/node-pty");

export interface PtySpawn {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly columns: number;
  readonly rows: number;
}

/** What TERM says when runner's environment has none. */
const DEFAULT_TERM = "xterm-256color";
const CR = 0x0d;
/** Ctrl-D: at the start of a line, the terminal's end of file. */
const EOF = "\x04";

let loaded: PtyModule | undefined;

/** node-pty, loaded once; a missing or unloadable binary is one clear line. */
export async function loadPty(): Promise<PtyModule> {
  try {
    loaded ??= await import("@lydell/node-pty");
    return loaded;
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
    throw new Error(`pty: true needs a pseudo-terminal from @lydell/node-pty, which could not be loaded: ${why}`, {
      cause: error,
    });
  }
}

/** Starts `spawn.file` on a new pseudo-terminal of the given size. */
export function ptyLeader(pty: PtyModule, spawn: PtySpawn): Leader {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(spawn.env)) if (value !== undefined) env[key] = value;
  const term: IPty = pty.spawn(spawn.file, [...spawn.args], {
    name: env.TERM === undefined || env.TERM === "" ? DEFAULT_TERM : env.TERM,
    cols: spawn.columns,
    rows: spawn.rows,
    cwd: spawn.cwd,
    env,
    encoding: null,
  });
  // Without a listener of ours, node-pty throws a read error it does not expect.
  (term as unknown as { on(event: "error", listener: () => void): void }).on("error", () => {});

  const listeners: ((chunk: Buffer) => void)[] = [];
  const emit = (chunk: Buffer): void => {
    for (const listener of listeners) listener(chunk);
  };
  /** A "\r" that ended the last chunk: the start of a "\r\n" or not, the next chunk tells. */
  let heldReturn = false;
  term.onData((data) => {
    // With encoding null, node-pty hands over the bytes as they came.
    let chunk = data as unknown as Buffer;
    if (heldReturn) chunk = Buffer.concat([RETURN, chunk]);
    heldReturn = chunk.length > 0 && chunk[chunk.length - 1] === CR;
    if (heldReturn) chunk = chunk.subarray(0, -1);
    if (chunk.length > 0) emit(restoreNewlines(chunk));
  });
  let exited = false;
  const exitListeners: (() => void)[] = [];
  const ended = new Promise<LeaderEnd>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      exited = true;
      for (const listener of exitListeners) listener();
      if (heldReturn) emit(RETURN);
      heldReturn = false;
      const name = signal === undefined || signal === 0 ? undefined : signalName(signal);
      resolve(name === undefined ? { code: exitCode, signal: null } : { code: null, signal: name });
    });
  });

  const stdout: Output = {
    on: (_event, listener) => listeners.push(listener),
    pause: () => term.pause(),
    resume: () => term.resume(),
  };
  /** Whether what was typed so far ends a line: Ctrl-D then means end of file at once. */
  let atLineStart = true;
  const stdin: Input = {
    write: (text) => {
      if (exited || text === "") return;
      term.write(text);
      atLineStart = text.endsWith("\n");
    },
    // Mid-line, the first Ctrl-D hands over the line so far, the second is the end of file.
    end: () => !exited && term.write(atLineStart ? EOF : EOF + EOF),
    destroy: () => {},
  };
  return {
    pid: term.pid,
    stdout,
    stderr: null,
    stdin,
    onExit: (listener) => exitListeners.push(listener),
    running: () => !exited,
    ended,
  };
}

const RETURN = Buffer.from([CR]);

/** Each "\r\n" back to the "\n" the program wrote. Latin-1 maps bytes to characters one to one. */
function restoreNewlines(chunk: Buffer): Buffer {
  if (chunk.indexOf("\r\n") === -1) return chunk;
  return Buffer.from(chunk.toString("latin1").replaceAll("\r\n", "\n"), "latin1");
}

function signalName(signal: number): NodeJS.Signals | undefined {
  for (const [name, number] of Object.entries(constants.signals)) {
    if (number === signal) return name as NodeJS.Signals;
  }
  return undefined;
}
