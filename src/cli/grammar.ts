// runner's own options, declared once with commander: their names, values and help text.
// This is the only module that touches commander. The command line is matched once, in
// command-line.ts, against the shapes declared here; `coreOptionsOf` turns the matches into
// a plain, read-only options object, as commander itself would.
import { Command, Option } from "commander";

export interface CoreOptions {
  readonly list: boolean | string | undefined;
  readonly help: boolean | string | undefined;
  readonly version: boolean;
  readonly file: string | undefined;
  readonly cwd: string | undefined;
  readonly jobs: string | undefined;
  /** -p, or -j n with n > 1. */
  readonly parallel: boolean;
  readonly keepGoing: boolean;
  readonly output: string | undefined;
  readonly echo: boolean | undefined;
  readonly warnOnly: boolean;
  readonly timeout: string | undefined;
  readonly retries: string | undefined;
  readonly dryRun: boolean;
  /** -B: run every task, up to date or not (SPEC §10). */
  readonly force: boolean;
  /** Every task's code runs in a pool worker (SPEC §7). */
  readonly isolate: boolean;
  /** --watch: run, then re-run what a change to the tasks' sources affects, until stopped (SPEC §10). */
  readonly watch: boolean;
  /** --redis <url>: dispatch the run's tasks to workers through Redis (SPEC §8); with --worker, where to take jobs from. */
  readonly redis: string | undefined;
  /** --no-redis: run here, whatever RUNNER_REDIS or the redis setting says. */
  readonly local: boolean;
  /** --worker: take tasks from Redis and run them, until stopped. */
  readonly worker: boolean;
  /** --concurrency <n>: tasks a worker runs at once. */
  readonly concurrency: string | undefined;
  readonly plan: boolean;
  readonly json: boolean;
  /** --report <file>: where to write the run's JSON report. */
  readonly report: string | undefined;
  /** --junit <file>: where to write the run's JUnit XML. */
  readonly junit: string | undefined;
  /** --graph [format]: print the plan's dependency graph in this format (given, or the default). */
  readonly graph: string | undefined;
  /** --trace <file>: where to write the run as Chrome trace events. */
  readonly trace: string | undefined;
  /** --stats: each summary line shows the task's CPU time and peak memory. */
  readonly stats: boolean;
  readonly color: boolean | undefined;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly completion: string | undefined;
  readonly dedupe: boolean;
  /** Hidden: answer a completion request (used by the completion scripts). */
  readonly complete: boolean;
}

/** How a core option is spelt and reads its value. */
export interface CoreOptionShape {
  readonly short: string | undefined;
  readonly long: string;
  readonly value: "none" | "required" | "optional";
  /** The CoreOptions key it sets. */
  readonly key: string;
  /** `--no-echo`: sets its key to false. */
  readonly negate: boolean;
  /** Hidden from help, completion and suggestions. */
  readonly hidden: boolean;
  /**
   * The values an option may take (commander's `choices`). An optional value with choices
   * takes the next word only when it is one of them: `runner --graph test` graphs `test`.
   */
  readonly choices: readonly string[] | undefined;
}

/** One core option found on the command line: true for a flag, else its value. */
export interface CoreMatch {
  readonly shape: CoreOptionShape;
  readonly value: string | true;
}

/** `--graph`'s formats; the first is the default. */
export const GRAPH_FORMATS = ["mermaid", "dot"] as const;

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
    .option("-j, --jobs <n>", "at most n tasks at once (default: available CPUs); n > 1 implies -p")
    .option("-p, --parallel", "run the named tasks concurrently (deps still come first)")
    .option("-k, --keep-going", "after a failure, keep running what does not depend on it")
    .option("--output <mode>", "parallel output: prefixed, grouped, interleaved or quiet")
    .option("-e, --echo", "print each command before it runs")
    .option("--no-echo", "do not print commands (overrides config)")
    .option("-w, --warn-only", "a failing command does not fail its task")
    .option("--timeout <duration>", "per-task time limit: 90s, 5m, 1h or milliseconds")
    .option("--retries <n>", "re-run a failed task up to n times")
    .option("-n, --dry-run", "run task code but print commands instead of running them")
    .option("-B, --force", "run every task, even those that are up to date")
    .option("--isolate", "run each task's code in a pooled worker process (at most -j of them)")
    .option("--watch", "re-run the tasks (and what depends on them) when their sources change")
    .option("--redis <url>", "run the tasks on workers through Redis (redis:// or rediss://)")
    .option("--no-redis", "run here, even when RUNNER_REDIS or the redis setting names a server")
    .option("--worker", "take tasks from Redis (--redis) and run them, until stopped")
    .option("--concurrency <n>", "tasks a --worker runs at once (default: available CPUs)")
    .option("--plan", "print what would run, in order, and run nothing")
    .option("--json", "machine-readable output for --list and --plan")
    .option("--report <file>", "write a JSON report of the run (also when it fails)")
    .option("--junit <file>", "write JUnit XML, one testcase per task")
    .addOption(
      new Option("--graph [format]", "print the dependency graph of what would run, and run nothing").choices(
        GRAPH_FORMATS,
      ),
    )
    .option("--trace <file>", "write the run as Chrome trace events (Perfetto, chrome://tracing)")
    .option("--stats", "show each task's CPU time and peak memory in the summary (Linux)")
    .option("--color", "force colours on")
    .option("--no-color", "force colours off")
    .option("-q, --quiet", "fewer of the runner's own lines")
    .option("-v, --verbose", "more of the runner's own lines")
    .option("--no-dedupe", "run a task again when it is named again with the same options")
    .addOption(new Option("--completion <shell>", "print a completion script for bash, zsh or fish"))
    .addOption(new Option("--complete", "answer a completion request").hideHelp());
}

let declared: { readonly program: Command; readonly shapes: readonly CoreOptionShape[] } | undefined;

function declaration(): NonNullable<typeof declared> {
  if (declared === undefined) {
    const command = program();
    const shapes = command.options.flatMap((option): CoreOptionShape[] =>
      option.long === undefined
        ? []
        : [
            {
              short: option.short,
              long: option.long,
              value: option.required ? "required" : option.optional ? "optional" : "none",
              key: option.attributeName(),
              negate: option.negate,
              hidden: option.hidden,
              choices: option.argChoices,
            },
          ],
    );
    declared = { program: command, shapes };
  }
  return declared;
}

export function coreOptionShapes(): readonly CoreOptionShape[] {
  return declaration().shapes;
}

export function coreHelp(): string {
  return declaration().program.helpInformation();
}

/** The options the matches set, later ones winning, as commander would parse them. */
export function coreOptionsOf(matches: readonly CoreMatch[]): CoreOptions {
  const o: Record<string, string | boolean> = {};
  for (const { shape, value } of matches) o[shape.key] = shape.negate ? false : value;
  const text = (key: string): string | undefined => (typeof o[key] === "string" ? o[key] : undefined);
  const flag = (key: string): boolean | undefined => (typeof o[key] === "boolean" ? o[key] : undefined);
  const either = (key: string): boolean | string | undefined => o[key];
  return Object.freeze({
    list: either("list"),
    help: either("help"),
    version: flag("version") === true,
    file: text("file"),
    cwd: text("cwd"),
    jobs: text("jobs"),
    // `-j4` on the command line asks for four at once, as make's -j does: it implies -p.
    // (`-j1` stays serial; `RUNNER_JOBS` and the `jobs` setting only cap a parallel run.)
    parallel: flag("parallel") === true || (/^\d+$/.test(text("jobs") ?? "") && Number(text("jobs")) > 1),
    keepGoing: flag("keepGoing") === true,
    output: text("output"),
    echo: flag("echo"),
    warnOnly: flag("warnOnly") === true,
    timeout: text("timeout"),
    retries: text("retries"),
    dryRun: flag("dryRun") === true,
    force: flag("force") === true,
    isolate: flag("isolate") === true,
    watch: flag("watch") === true,
    redis: text("redis"),
    local: o.redis === false,
    worker: flag("worker") === true,
    concurrency: text("concurrency"),
    plan: flag("plan") === true,
    json: flag("json") === true,
    report: text("report"),
    junit: text("junit"),
    graph: o.graph === true ? GRAPH_FORMATS[0] : text("graph"),
    trace: text("trace"),
    stats: flag("stats") === true,
    color: flag("color"),
    quiet: flag("quiet") === true,
    verbose: flag("verbose") === true,
    completion: text("completion"),
    dedupe: flag("dedupe") !== false,
    complete: flag("complete") === true,
  });
}
