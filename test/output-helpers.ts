// Running the CLI where the output modes can be seen exactly: stdout and stderr as bytes,
// both in one file (their true order), or on a pseudo-terminal (util-linux `script`), with
// a small model of the screen to tell what is left on it at the end.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runnerBin } from "./helpers.ts";

const TIMEOUT_MS = 25_000;

/** The environment of a run: without the colour and CI variables of whoever runs the tests. */
export function testEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  // Without TERM too: the status line's tests set it where they want a terminal.
  return cleanEnv({ TERM: undefined, ...extra });
}

export interface BytesResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** Runs runner with stdout and stderr as pipes, collected as bytes. */
export function runBytes(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
  onStart: (pid: number) => void = () => {},
): Promise<BytesResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runnerBin, ...args], { cwd, env: testEnv(env), stdio: "pipe" });
    if (child.pid !== undefined) onStart(child.pid);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    });
    child.stdin.end();
  });
}

/**
 * Runs runner with stdout and stderr both writing to one file, so the text shows the
 * order in which runner wrote to each (two pipes read by the test could not).
 */
export function runMerged(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ code: number | null; text: string }> {
  const file = join(mkdtempSync(join(tmpdir(), "runner-merged-")), "out");
  const fd = openSync(file, "a");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runnerBin, ...args], { cwd, env: testEnv(env), stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, text: readFileSync(file, "utf8") });
    });
  });
}

export interface TerminalRun {
  /** Everything written to the terminal so far, escape codes and all. */
  readonly transcript: () => string;
  /** Settles once `text` has been written to the terminal. */
  readonly when: (text: string) => Promise<void>;
  /** The run's end: exit status and the whole transcript. */
  readonly ended: Promise<{ code: number | null; transcript: string }>;
}

/**
 * Runs runner on a pseudo-terminal: its stdout and stderr are the terminal, or its stdout
 * goes to the file `stdoutFile` (in `cwd`).
 */
export function runInTerminal(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
  stdoutFile?: string,
): TerminalRun {
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const words = [process.execPath, runnerBin, ...args].map(quote);
  const command = stdoutFile === undefined ? words.join(" ") : `${words.join(" ")} > ${quote(stdoutFile)}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd,
    env: testEnv({ TERM: "xterm", ...env }),
    stdio: ["pipe", "pipe", "inherit"],
  });
  let transcript = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    transcript += text;
    for (const waiter of [...waiters]) {
      if (!transcript.includes(waiter.text)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const ended = new Promise<{ code: number | null; transcript: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin.end();
      for (const waiter of waiters.splice(0)) waiter.resolve();
      resolve({ code, transcript });
    });
  });
  return {
    transcript: () => transcript,
    when: (text) =>
      new Promise((resolve) => {
        if (transcript.includes(text)) resolve();
        else waiters.push({ text, resolve });
      }),
    ended,
  };
}

/**
 * What a terminal shows at the end of `transcript`, one string per row, colours dropped.
 * It knows what runner writes: text, `\r`, `\n`, erase-line (`ESC[2K`) and colours (`ESC[…m`);
 * any other escape sequence fails the test rather than be misread.
 */
export function screen(transcript: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let column = 0;
  for (let index = 0; index < transcript.length; index++) {
    const char = transcript[index]!;
    if (char === "\r") column = 0;
    else if (char === "\n") {
      row++;
      rows[row] ??= [];
    } else if (char === "\x1b") {
      // ESC, then `[`, parameters and a final letter.
      const match = /^\[([0-9;]*)([A-Za-z])/.exec(transcript.slice(index + 1, index + 16));
      if (match === null || (match[2] !== "m" && !(match[2] === "K" && match[1] === "2"))) {
        throw new Error(`unexpected escape sequence ${JSON.stringify(transcript.slice(index, index + 8))}`);
      }
      if (match[2] === "K") rows[row] = [];
      index += match[0].length;
    } else {
      const line = rows[row]!;
      while (line.length < column) line.push(" ");
      line[column] = char;
      column++;
    }
  }
  return rows.map((line) => line.join("").trimEnd());
}
