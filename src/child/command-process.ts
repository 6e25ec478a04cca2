// One command's child process: spawned as the leader of its own process group, its output
// streamed to sinks and kept as a bounded tail, answered by responders, and ended by a time
// limit or by cancellation. Its end is a typed outcome, never an exception. Its output comes
// through pipes, or a pseudo-terminal (pty-leader.ts), or, for an interactive command, goes
// straight to runner's own terminal, uncaptured.
//
// Why node:child_process and not execa: runner uses none of execa's buffering, piping or
// error objects, and its layers cost JavaScript on every command, where runner starts
// thousands (bench/ measures it).
import type { ChildProcess, StdioOptions } from "node:child_process";
import { statSync } from "node:fs";
import type { Clock } from "../world/world.ts";
import { DEFAULT_SHELL, shellSignalReport } from "./direct-command.ts";
import { childLeader, failedLeader, type Leader, type LeaderEnd, type Output } from "./leader.ts";
import type { PtySpawn } from "./pty-leader.ts";
import type { Outcome } from "./outcome.ts";
import type { ProcessGroups } from "./process-groups.ts";
import type { Responder } from "../api/responder.ts";
import { respond } from "./responders.ts";
import { Tail } from "./tail.ts";
import { longTimer, type LongTimer } from "../common/long-timer.ts";
import type { CommandMeter, Measured, Usage } from "./usage.ts";

export interface CommandSpec {
  /** How the command is shown (echo, errors, reports). */
  readonly display: string;
  readonly file: string;
  readonly args: readonly string[];
  /** A shell path to run `file` through, or false for no shell. */
  readonly shell: string | false;
  /**
   * Set when `file` and `args` stand for this shell command, spawned without the shell
   * (direct-command.ts): if the program cannot be started, the command goes through the
   * shell after all, and an end by a signal is reported as the shell would report it.
   */
  readonly shellCommand?: { readonly shell: string; readonly command: string } | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly input: string | undefined;
  readonly responders: readonly Responder[];
  readonly timeoutMs: number | undefined;
  readonly killGraceMs: number;
  readonly captureLimit: number;
  readonly signal: AbortSignal;
  /** Whether the child may read runner's stdin (serial runs). */
  readonly inheritStdin: boolean;
  /**
   * Where the command's output goes: `pipes` (captured, the usual), `pty` (a pseudo-terminal
   * of `ptySize`, captured as stdout), `terminal` (runner's own stdio, not captured).
   */
  readonly terminal: "pipes" | "pty" | "terminal";
  readonly ptySize: { readonly columns: number; readonly rows: number };
  /** Where output goes; a returned promise means "full": the stream pauses until it settles. */
  readonly onStdout: Sink;
  readonly onStderr: Sink;
}

export type Sink = (chunk: Buffer) => Promise<void> | undefined;

export interface CommandEnd {
  readonly outcome: Outcome;
  readonly stdout: string;
  readonly stderr: string;
  readonly all: string;
  readonly durationMs: number;
  /** What it used, when its run measures commands (--stats, --report) and could. */
  readonly usage?: Usage;
}

/** What a command needs of its run: the registry of its groups, the clock, and the meter of a measured run. */
export interface CommandRun {
  readonly groups: ProcessGroups;
  readonly clock: Clock;
  readonly meter?: CommandMeter | undefined;
  /** Told how many bytes of output came (child/flood.ts). */
  readonly streamed?: ((bytes: number) => void) | undefined;
}

let childProcess: typeof import("node:child_process") | undefined;

/** Being stopped by runner. */
interface Stopping {
  readonly kind: "stopping";
  readonly why: "timeout" | "cancelled";
  /** The signal sent first. */
  readonly signal: NodeJS.Signals;
  /** Whether the grace period ran out and SIGKILL was sent. */
  killed: boolean;
}

/** Where the command is: running, being stopped by runner, or over. */
type State = { readonly kind: "running" } | Stopping | { readonly kind: "ended" };

export async function runCommand(spec: CommandSpec, run: CommandRun): Promise<CommandEnd> {
  if (spec.terminal === "pty") {
    const pty = await import("./pty-leader.ts");
    const module = await pty.loadPty();
    return new CommandProcess(spec, run, () => spawnOnPty(spec, (spawn) => pty.ptyLeader(module, spawn))).ended;
  }
  childProcess ??= await import("node:child_process");
  const spawner = childProcess;
  return new CommandProcess(spec, run, (stdio) => spawnCommand(spawner, spec, stdio)).ended;
}

/** What started: the leader, and what it is (for messages and signal reports). */
interface Started {
  readonly leader: Leader;
  readonly file: string;
  readonly shell: string | false;
  readonly bypassedShell: boolean;
}

class CommandProcess {
  readonly ended: Promise<CommandEnd>;
  private state: State = { kind: "running" };
  private readonly started: number;
  private readonly stdout: Tail;
  private readonly stderr: Tail;
  private readonly all: Tail;
  private readonly leader: Leader;
  /** The group's id (the leader's pid), when it started. */
  private readonly pid: number | undefined;
  private readonly file: string;
  /** The shell the process is, if it is one. */
  private readonly shell: string | false;
  private readonly bypassedShell: boolean;
  private graceTimer: LongTimer | undefined;
  private readonly measured: Measured | undefined;

  constructor(
    private readonly spec: CommandSpec,
    private readonly run: CommandRun,
    spawn: (stdio: StdioOptions) => Started,
  ) {
    this.started = run.clock.now();
    this.stdout = new Tail(spec.captureLimit);
    this.stderr = new Tail(spec.captureLimit);
    this.all = new Tail(spec.captureLimit);
    const needsStdin = spec.input !== undefined || spec.responders.length > 0;
    const stdin = needsStdin ? "pipe" : spec.inheritStdin ? "inherit" : "ignore";
    const output = spec.terminal === "terminal" ? "inherit" : "pipe";
    ({
      leader: this.leader,
      file: this.file,
      shell: this.shell,
      bypassedShell: this.bypassedShell,
    } = spawn([stdin, output, output]));
    this.pid = this.leader.pid;
    if (this.pid !== undefined) {
      const pid = this.pid;
      run.groups.add(pid);
      const measured = (this.measured = run.meter?.watch(pid));
      // First of the exit listeners: the group's proof must change hands before anything
      // signals the group after its leader has gone; and the reap's CPU is read in its turn.
      this.leader.onExit(() => {
        run.groups.leaderExited(pid);
        measured?.reaped();
      });
    }
    this.handleIo();
    this.ended = this.finish(this.leader.ended, needsStdin);
  }

  private handleIo(): void {
    const { spec, leader } = this;
    const answer = respond(spec.responders, (text) => leader.stdin?.write(text));
    // Backpressure: while runner's own stdout (say, a pipe to a slow reader) is full, stop
    // reading the child's output, so the child waits instead of runner's memory growing.
    // Not once the command is being stopped: what is left in its pipes is read at once, so
    // that its end is seen without waiting for that reader.
    const forward = (stream: Output | null, tail: Tail, sink: Sink): void => {
      stream?.on("data", (chunk: Buffer) => {
        this.run.streamed?.(chunk.length);
        tail.push(chunk);
        this.all.push(chunk);
        const full = sink(chunk);
        answer(chunk);
        if (full === undefined || this.state.kind !== "running") return;
        stream.pause();
        void full.then(() => stream.resume());
      });
    };
    forward(leader.stdout, this.stdout, spec.onStdout);
    forward(leader.stderr, this.stderr, spec.onStderr);
    if (spec.input !== undefined) leader.stdin?.write(spec.input);
    // Without responders nothing more is written. (Without `input` either, a pipe is not even
    // opened; a pseudo-terminal's input then ends at once, as an empty pipe would.)
    if (spec.responders.length === 0) leader.stdin?.end();
  }

  /** Stops the command's whole group: `signal` now, SIGKILL after the grace period. */
  private stop(why: "timeout" | "cancelled", signal: NodeJS.Signals = "SIGTERM"): void {
    const { pid, leader } = this;
    if (this.state.kind !== "running" || pid === undefined) return;
    const stopping: Stopping = { kind: "stopping", why, signal, killed: signal === "SIGKILL" };
    this.state = stopping;
    leader.stdout?.resume();
    leader.stderr?.resume();
    this.run.groups.signal(pid, signal);
    // When a stopped command's leader exits, its group may live on: a shell's background jobs
    // ignore SIGINT, outlive the shell and hold its pipes open (so "close" waits). They get
    // SIGTERM at once; the SIGKILL timer stays for whatever ignores that too.
    if (leader.running()) leader.onExit(() => this.run.groups.signal(pid, "SIGTERM"));
    this.graceTimer = longTimer(() => {
      stopping.killed = true;
      this.run.groups.signal(pid, "SIGKILL");
    }, this.spec.killGraceMs);
  }

  private async finish(leaderEnded: Promise<LeaderEnd>, needsStdin: boolean): Promise<CommandEnd> {
    const { spec, pid } = this;
    const timer = spec.timeoutMs === undefined ? undefined : longTimer(() => this.stop("timeout"), spec.timeoutMs);
    // Cancelled by a Ctrl-C (the abort reason names the signal) the command gets that signal,
    // as it would in a shell; at the end of a stopped task's grace period, SIGKILL; cancelled
    // for any other reason, SIGTERM.
    const onAbort = (): void => {
      const reason: unknown = spec.signal.reason;
      const named = reason === "SIGINT" || reason === "SIGTERM" || reason === "SIGHUP" || reason === "SIGKILL";
      this.stop("cancelled", named ? reason : "SIGTERM");
    };
    if (spec.signal.aborted) onAbort();
    else spec.signal.addEventListener("abort", onAbort, { once: true });

    const end = await leaderEnded;
    timer?.cancel();
    spec.signal.removeEventListener("abort", onAbort);
    const stopping = this.state.kind === "stopping" ? this.state : undefined;
    if (pid !== undefined) {
      let leftBehind = false;
      if (stopping !== undefined) {
        // Its pipes closed, but a member that let go of them (`sleep 300 > /dev/null &`) and
        // ignores SIGTERM still runs: a stopped command has ended when its whole group has,
        // SIGKILL at the end of the grace period included.
        let gone = await this.run.groups.waitForEnd(pid, 250);
        while (!gone && !stopping.killed) gone = await this.run.groups.waitForEnd(pid, 250);
        if (!gone) await this.run.groups.waitForEnd(pid, 1000);
      } else {
        leftBehind = this.run.groups.alive(pid);
      }
      this.run.groups.ended(pid, { leftBehind });
    }
    this.graceTimer?.cancel();
    if (needsStdin) this.leader.stdin?.destroy();
    this.state = { kind: "ended" };
    const outcome = this.outcomeOf(end, stopping);
    const durationMs = this.run.clock.now() - this.started;
    const usage = this.measured === undefined ? undefined : await this.measured.usage;
    return {
      outcome,
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      all: this.all.text(),
      durationMs,
      ...(usage === undefined ? {} : { usage }),
    };
  }

  private outcomeOf(leader: LeaderEnd, stopping: Stopping | undefined): Outcome {
    if (stopping?.why === "timeout") return { kind: "timeout", afterMs: this.spec.timeoutMs ?? 0 };
    if (stopping?.why === "cancelled") return { kind: "cancelled", signal: stopping.signal };
    if (leader instanceof Error || this.pid === undefined) {
      const message = spawnMessage(leader instanceof Error ? leader : undefined, this.spec, this.file, this.shell);
      // Said where a shell would say "not found": on the command's stderr, shown and captured.
      this.say(`${message}\n`);
      return { kind: "spawn-error", message };
    }
    if (leader.signal !== null && this.bypassedShell) {
      // Run without the shell, which would have said what ended it and exited 128 + N.
      const report = shellSignalReport(leader.signal);
      this.say(report.line);
      return { kind: "exit", code: report.code };
    }
    if (leader.signal !== null) return { kind: "signal", signal: leader.signal };
    return { kind: "exit", code: leader.code ?? 0 };
  }

  /** A line of the command's own, as its shell would have printed it: on its stderr. */
  private say(text: string): void {
    if (text === "") return;
    const bytes = Buffer.from(text);
    this.stderr.push(bytes);
    this.all.push(bytes);
    void this.spec.onStderr(bytes);
  }
}

/**
 * Starts the command's process, leading its own group. A shell command spawned without the
 * shell goes through it after all when the program cannot be started (not found, not
 * executable, ...), so that the shell tells why in its own words, with its own status.
 */
function spawnCommand(spawner: typeof import("node:child_process"), spec: CommandSpec, stdio: StdioOptions): Started {
  const spawn = (file: string, args: readonly string[], shell: string | false): ChildProcess =>
    spawner.spawn(file, [...args], { shell, cwd: spec.cwd, env: spec.env, stdio, detached: true, windowsHide: true });
  const fallback = spec.shellCommand;
  if (fallback === undefined) {
    return {
      leader: childLeader(spawn(spec.file, spec.args, spec.shell)),
      file: spec.file,
      shell: spec.shell,
      bypassedShell: false,
    };
  }
  try {
    const subprocess = spawn(spec.file, spec.args, false);
    if (subprocess.pid !== undefined) {
      return { leader: childLeader(subprocess), file: spec.file, shell: false, bypassedShell: true };
    }
    subprocess.on("error", () => {}); // Told by the shell, below.
  } catch {
    // An error spawn() throws rather than emits (ENOTDIR, E2BIG): the shell's to tell too.
  }
  return {
    leader: childLeader(spawn(fallback.command, [], fallback.shell)),
    file: fallback.command,
    shell: fallback.shell,
    bypassedShell: false,
  };
}

/**
 * Starts the command on a pseudo-terminal, always through a shell: the shell tells what it
 * would tell of a program that cannot be started (127, 126), where node-pty's child could only
 * exit 1. A program and its arguments go through `exec "$@"`, so nothing needs quoting.
 */
function spawnOnPty(spec: CommandSpec, start: (spawn: PtySpawn) => Leader): Started {
  const [shell, script, args] =
    spec.shellCommand !== undefined
      ? [spec.shellCommand.shell, spec.shellCommand.command, []]
      : spec.shell !== false
        ? [spec.shell, spec.file, []]
        : [DEFAULT_SHELL, 'exec "$@"', [DEFAULT_SHELL, spec.file, ...spec.args]];
  const started = { file: spec.file, shell, bypassedShell: false };
  // node-pty's child would only exit 1 on a directory it cannot enter: said here, as for pipes.
  if (!isDirectory(spec.cwd))
    return { ...started, leader: failedLeader(Object.assign(new Error("ENOENT"), { code: "ENOENT" })) };
  const { columns, rows } = spec.ptySize;
  try {
    return {
      ...started,
      leader: start({ file: shell, args: ["-c", script, ...args], cwd: spec.cwd, env: spec.env, columns, rows }),
    };
  } catch (error) {
    return { ...started, leader: failedLeader(error instanceof Error ? error : new Error(String(error))) };
  }
}

function spawnMessage(
  error: NodeJS.ErrnoException | undefined,
  spec: CommandSpec,
  file: string,
  shell: string | false,
): string {
  // A missing working directory is reported as ENOENT too: tell the two apart.
  if (!isDirectory(spec.cwd)) return `${spec.display}: no such directory: ${spec.cwd}`;
  // Through a shell, the program spawned is the shell: the command itself never started.
  if (shell !== false && error?.code === "ENOENT") {
    const from = shell === DEFAULT_SHELL ? "" : " (from the shell setting)";
    return `${spec.display}: the shell ${shell}${from} does not exist`;
  }
  if (error?.code === "ENOENT") return `${file}: command not found`;
  if (error?.code === "EACCES") return `${file}: permission denied`;
  return `could not start ${spec.display}${error === undefined ? "" : `: ${error.message}`}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
