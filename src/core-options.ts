// The runner's own options, defined once with commander. This is the only module that
// touches commander: it returns a plain, read-only options object.
import { Command, CommanderError, Option } from "commander";
import { UserError } from "./errors.ts";

export interface CoreOptions {
  readonly list: boolean | string | undefined;
  readonly help: boolean | string | undefined;
  readonly version: boolean;
  readonly file: string | undefined;
  readonly cwd: string | undefined;
  readonly jobs: string | undefined;
  readonly parallel: boolean;
  readonly keepGoing: boolean;
  readonly output: string | undefined;
  readonly echo: boolean | undefined;
  readonly warnOnly: boolean;
  readonly timeout: string | undefined;
  readonly retries: string | undefined;
  readonly dryRun: boolean;
  readonly plan: boolean;
  readonly json: boolean;
  /** --report <file>: where to write the run's JSON report. */
  readonly report: string | undefined;
  /** --junit <file>: where to write the run's JUnit XML. */
  readonly junit: string | undefined;
  readonly color: boolean | undefined;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly completion: string | undefined;
  readonly dedupe: boolean;
  /** Hidden: answer a completion request (used by the completion scripts). */
  readonly complete: boolean;
}

/** How a core option reads its value, for the argument splitter. */
export interface CoreOptionShape {
  readonly short: string | undefined;
  readonly long: string;
  readonly value: "none" | "required" | "optional";
}

// The splitter checks every token before commander sees it; should commander still object,
// its error reaches the user as one line (parseCoreOptions), not as its own print-out.
function program(): Command {
  return new Command("runner")
    .usage("[core options] [task [task options]]... [-- rest]")
    .description("Run the tasks exported by tasks.ts (or tasks.mts, tasks.js, tasks/index.ts, ...).")
    .helpOption(false)
    .option("-V, --version", "print the version")
    .option("-l, --list [namespace]", "list tasks (all, or one namespace's)")
    .option("-h, --help [task]", "show this help, or a task's options")
    .option("-f, --file <path>", "the tasks file to use (before any task name)")
    .option("-C, --cwd <dir>", "where the search for the tasks file starts (before any task name)")
    .option("-j, --jobs <n>", "at most n tasks at once (used by parallel runs; default: available CPUs)")
    .option("-p, --parallel", "run the named tasks concurrently (deps still come first)")
    .option("-k, --keep-going", "after a failure, keep running what does not depend on it")
    .option("--output <mode>", "parallel output: prefixed, grouped, interleaved or quiet")
    .option("-e, --echo", "print each command before it runs")
    .option("--no-echo", "do not print commands (overrides config)")
    .option("-w, --warn-only", "a failing command does not fail its task")
    .option("--timeout <duration>", "per-task time limit: 90s, 5m, 1h or milliseconds")
    .option("--retries <n>", "re-run a failed task up to n times")
    .option("-n, --dry-run", "run task code but print commands instead of running them")
    .option("--plan", "print what would run, in order, and run nothing")
    .option("--json", "machine-readable output for --list and --plan")
    .option("--report <file>", "write a JSON report of the run (also when it fails)")
    .option("--junit <file>", "write JUnit XML, one testcase per task")
    .option("--color", "force colours on")
    .option("--no-color", "force colours off")
    .option("-q, --quiet", "fewer of the runner's own lines")
    .option("-v, --verbose", "more of the runner's own lines")
    .option("--no-dedupe", "run a task again when it is named again with the same options")
    .addOption(new Option("--completion <shell>", "print a completion script for bash, zsh or fish"))
    .addOption(new Option("--complete", "answer a completion request").hideHelp())
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
}

let shared: Command | undefined;
/** For metadata and help only: parsing uses a fresh program, as commander keeps values. */
function getProgram(): Command {
  shared ??= program();
  return shared;
}

export function coreOptionShapes(): readonly CoreOptionShape[] {
  return getProgram().options.flatMap((option) =>
    option.long === undefined
      ? []
      : [
          {
            short: option.short,
            long: option.long,
            value: option.required ? "required" : option.optional ? "optional" : "none",
          } satisfies CoreOptionShape,
        ],
  );
}

/** Parses the core tokens the splitter collected (already checked for shape). */
export function parseCoreOptions(tokens: readonly string[]): CoreOptions {
  let o: Record<string, unknown>;
  try {
    o = program()
      .parse([...tokens], { from: "user" })
      .opts();
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const text = error.message.replace(/^error: /, "");
    throw new UserError(`${text.charAt(0).toUpperCase()}${text.slice(1)}.`);
  }
  return Object.freeze({
    list: o.list as boolean | string | undefined,
    help: o.help as boolean | string | undefined,
    version: o.version === true,
    file: o.file as string | undefined,
    cwd: o.cwd as string | undefined,
    jobs: o.jobs as string | undefined,
    parallel: o.parallel === true,
    keepGoing: o.keepGoing === true,
    output: o.output as string | undefined,
    echo: o.echo as boolean | undefined,
    warnOnly: o.warnOnly === true,
    timeout: o.timeout as string | undefined,
    retries: o.retries as string | undefined,
    dryRun: o.dryRun === true,
    plan: o.plan === true,
    json: o.json === true,
    report: o.report as string | undefined,
    junit: o.junit as string | undefined,
    color: o.color as boolean | undefined,
    quiet: o.quiet === true,
    verbose: o.verbose === true,
    completion: o.completion as string | undefined,
    dedupe: o.dedupe !== false,
    complete: o.complete === true,
  });
}

export function coreHelp(): string {
  return getProgram().helpInformation();
}
