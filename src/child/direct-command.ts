// GNU make's shortcut: a command line that is plain words needs no shell. Through `/bin/sh
// -c`, `sleep 0.5` starts two programs (dash forks even for the last command, then execs
// sleep); spawned directly, one. So ctx.run spawns such a command itself, with its words as
// the argument list, and leaves everything else to the shell: anything the shell would give
// a meaning of its own (quotes, `$`, globs, redirections, `;`, assignments), its reserved
// words and builtins, and every command when the `shell` setting names another shell.
//
// What the program gets is what the shell would have handed it: the same argument list,
// and the same environment, PWD included (see shellPwd). Where the shell would have had a
// say of its own, it still does: a program that cannot be started goes through the shell
// after all (its "not found" message, status 127 or 126), and one that a signal ends is
// reported as the shell reports it (see shellSignalReport; command-process.ts does both).
import { realpathSync, statSync } from "node:fs";
import { constants } from "node:os";

/** The built-in default of the `shell` setting: the only shell bypassed. */
export const DEFAULT_SHELL = "/bin/sh";

/** Words of letters, digits and `_./:,+@%=-`, separated by blanks. */
const PLAIN_WORDS = /^[ \t]*[\w./:,+@%=-]+(?:[ \t]+[\w./:,+@%=-]+)*[ \t]*$/;

/**
 * Command names a shell handles itself: reserved words (a syntax error, say, the shell must
 * report) and the builtins of the usual /bin/sh's (dash, bash, busybox ash). A builtin costs
 * no exec of its own, so bypassing the shell would save nothing; and the program of the same
 * name may differ (`echo -e`, `pwd` in a symlinked directory, `kill -l`) or not exist (`cd`).
 */
// prettier-ignore
const SHELL_WORDS = new Set([
  // Reserved words (`!`, `{`, `}`, `[[` cannot pass PLAIN_WORDS).
  "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in",
  "function", "time", "coproc",
  // Builtins.
  ".", ":", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "chdir", "command", "compgen", "complete",
  "compopt", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit", "export", "false",
  "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "login", "logout", "mapfile",
  "newgrp", "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set", "shift", "shopt",
  "source", "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset",
  "wait",
]);

/** A shell command spawned without the shell: the program, its arguments, its environment. */
export interface DirectCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * How to run `command` without `shell`, or undefined when it needs the shell. `env` and
 * `cwd` (absolute) are what the shell would have been started with.
 */
export function directCommand(
  command: string,
  shell: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): DirectCommand | undefined {
  if (shell !== DEFAULT_SHELL || !PLAIN_WORDS.test(command)) return undefined;
  const [file, ...args] = command.trim().split(/[ \t]+/);
  // `NAME=value cmd` sets a variable for cmd: the shell's business.
  if (file === undefined || file.includes("=") || SHELL_WORDS.has(file)) return undefined;
  // Without PATH each shell searches a default list of its own.
  if (env.PATH === undefined || env.PATH === "") return undefined;
  const pwd = shellPwd(env.PWD, cwd);
  if (pwd === undefined) return undefined;
  return { file, args, env: pwd === env.PWD ? env : { ...env, PWD: pwd } };
}

/**
 * The PWD a POSIX shell exports at start-up (dash, bash): the inherited one when it is an
 * absolute path to the directory the shell runs in, else that directory's physical path.
 * runner's own PWD is where it was started, often not where commands run. Undefined when
 * `cwd` cannot be read (then the shell, which is started anyway, says why).
 */
function shellPwd(inherited: string | undefined, cwd: string): string | undefined {
  if (inherited === cwd) return cwd;
  try {
    if (inherited?.startsWith("/") && sameFile(inherited, cwd)) return inherited;
    return realpathSync.native(cwd);
  } catch {
    return undefined;
  }
}

function sameFile(a: string, b: string): boolean {
  const one = statSync(a, { throwIfNoEntry: false });
  const other = statSync(b);
  return one !== undefined && one.dev === other.dev && one.ino === other.ino;
}

/**
 * strsignal()'s words, as dash prints them under a command a signal ended. Not for SIGINT
 * and SIGPIPE: dash says nothing for those.
 */
const SIGNAL_WORDS: Readonly<Partial<Record<NodeJS.Signals, string>>> = {
  SIGHUP: "Hangup",
  SIGQUIT: "Quit",
  SIGILL: "Illegal instruction",
  SIGTRAP: "Trace/breakpoint trap",
  SIGABRT: "Aborted",
  SIGBUS: "Bus error",
  SIGFPE: "Floating point exception",
  SIGKILL: "Killed",
  SIGUSR1: "User defined signal 1",
  SIGSEGV: "Segmentation fault",
  SIGUSR2: "User defined signal 2",
  SIGALRM: "Alarm clock",
  SIGTERM: "Terminated",
  SIGSTKFLT: "Stack fault",
  SIGXCPU: "CPU time limit exceeded",
  SIGXFSZ: "File size limit exceeded",
  SIGVTALRM: "Virtual timer expired",
  SIGPROF: "Profiling timer expired",
  SIGIO: "I/O possible",
  SIGPOLL: "I/O possible",
  SIGPWR: "Power failure",
  SIGSYS: "Bad system call",
};

/**
 * How the shell reports a command that `signal` ended (one runner did not send): it exits
 * with 128 + the signal's number, after a line naming the signal on stderr.
 */
export function shellSignalReport(signal: NodeJS.Signals): { readonly code: number; readonly line: string } {
  const number: number = constants.signals[signal];
  const words = SIGNAL_WORDS[signal] ?? (signal === "SIGINT" || signal === "SIGPIPE" ? "" : signal);
  return { code: 128 + number, line: words === "" ? "" : `${words}\n` };
}
