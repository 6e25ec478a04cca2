// A command's first process, the leader of its group, as command-process.ts drives it: a
// child process with pipes (or with runner's own terminal), or one on a pseudo-terminal
// (pty-leader.ts). Both give the same few things: a pid, output to read with backpressure,
// an input to write, the moment the leader was reaped, and its end once its output is read.
import type { ChildProcess } from "node:child_process";

/** How the leader ended, once its output is all read, or why it never started. */
export type LeaderEnd =
  { readonly code: number | null; readonly signal: NodeJS.Signals | null } | NodeJS.ErrnoException;

/** Output to read; pausing it makes the command wait (backpressure). A Readable is one. */
export interface Output {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** The command's input. A Writable is one. */
export interface Input {
  write(text: string): unknown;
  /** No more input: end of file. */
  end(): unknown;
  destroy(): unknown;
}

export interface Leader {
  /** Undefined when it never started. */
  readonly pid: number | undefined;
  readonly stdout: Output | null;
  readonly stderr: Output | null;
  readonly stdin: Input | null;
  /** Calls `listener` once the leader has been reaped (call this first: process-groups.ts). */
  onExit(listener: () => void): void;
  /** Whether the leader is still running, as far as runner has heard. */
  running(): boolean;
  readonly ended: Promise<LeaderEnd>;
}

/** A child process of node:child_process as a leader. */
export function childLeader(subprocess: ChildProcess): Leader {
  const ended = new Promise<LeaderEnd>((resolve) => {
    subprocess.once("close", (code, signal) => resolve({ code, signal }));
    subprocess.on("error", (error) => {
      if (subprocess.pid === undefined) resolve(error);
    });
  });
  subprocess.stdin?.on("error", () => {
    // The command exited without reading all its input: not our failure.
  });
  return {
    pid: subprocess.pid,
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    stdin: subprocess.stdin,
    onExit: (listener) => void subprocess.once("exit", listener),
    running: () => subprocess.exitCode === null && subprocess.signalCode === null,
    ended,
  };
}

/** A leader that never started, and why. */
export function failedLeader(error: NodeJS.ErrnoException): Leader {
  return {
    pid: undefined,
    stdout: null,
    stderr: null,
    stdin: null,
    onExit: () => {},
    running: () => false,
    ended: Promise.resolve(error),
  };
}
