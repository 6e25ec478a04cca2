// `runner --watch <tasks>` (SPEC §10): run the plan, then wait for its sources to change and
// run again what the change affects, until Ctrl-C. A change while a run is going stops that
// run as a Ctrl-C would (process trees get SIGTERM, then SIGKILL after the grace period) and
// the next run takes in what it had left to do (work-left.ts). A change to the tasks file, or
// to a file it imports, loads the tasks again and runs the whole plan anew (the up-to-date
// check skips what it skips in any run); a tasks file that no longer loads is said in one
// line, and the loop waits for the next change. A run that fails does not end the loop: only
// a signal does, with the exit status a signal gives a run.
import { displayPath } from "../common/display-path.ts";
import { UserError } from "../common/user-error.ts";
import { signalExitStatus } from "../execution/exit-status.ts";
import { FATAL_SIGNALS } from "../execution/signal-policy.ts";
import type { Collection, Task } from "../loader/collection.ts";
import { projectDir } from "../loader/discover.ts";
import type { Step } from "../plan/plan.ts";
import { anyOf, projectPath, sourcePatterns, type Picomatch, type SourcePatterns } from "../watch/source-patterns.ts";
import { startWatcher, type Watcher } from "../watch/watcher.ts";
import { WorkLeft } from "../watch/work-left.ts";
import type { World } from "../world/world.ts";
import type { RunRequest } from "./run.ts";
import { checkWatchedSources } from "./watch-check.ts";

/** The tasks as loaded (once more after each change to the tasks file) and the plan made of them. */
export interface WatchedPlan {
  readonly steps: readonly Step[];
  readonly collection: Collection;
  readonly locate: RunRequest["locate"];
  readonly sourceHash: string;
  readonly codeHash: string;
  /** The tasks file and the local files it imports. */
  readonly files: readonly string[];
}

export interface WatchRequest {
  /** How every run runs; its plan comes from `plan`. */
  readonly run: Omit<RunRequest, "steps" | "collection" | "locate" | "sourceHash" | "codeHash" | "restart" | "ended">;
  readonly plan: WatchedPlan;
  /** Loads the tasks file again and plans the same command line; throws a UserError when it cannot. */
  /** `givenUp` is aborted when a signal ends the watch before the load is done. */
  readonly reload: (givenUp: AbortSignal) => Promise<WatchedPlan>;
}

export async function watchLoop(world: World, request: WatchRequest): Promise<number> {
  const pm: Picomatch = (await import("picomatch")).default;
  const { runSteps } = await import("./run.ts");
  const say = (line: string): void => world.stderr.write(`${request.run.stderrStyle.dim(`runner: ${line}`)}\n`);

  let stoppedBy: string | undefined;
  // (A function: the signal handler sets it while the loop awaits.)
  const stopped = (): boolean => stoppedBy !== undefined;
  let wake = (): void => {};
  // Aborted by the first signal: a reload waiting on the tasks file's top-level await gives way to it.
  const signalled = new AbortController();
  const firstSignal = new Promise<void>((resolve) => signalled.signal.addEventListener("abort", () => resolve()));
  // From here to the end, a signal ends the loop: during a run the run's own signal policy
  // stops its tasks too; between runs nothing else would answer it (Node would just die).
  const removeSignals = world.onSignal(FATAL_SIGNALS, (signal) => {
    stoppedBy ??= signal;
    signalled.abort();
    wake();
  });
  // The watcher keeps nothing alive (watcher.ts), so that a run or a reload that awaits what
  // nothing can settle is told so by the event loop running empty, as without --watch. That
  // must not end the watch: the loop is kept up a second longer each time it runs empty, and
  // empties again after it, for the next stall to be seen too.
  const removeIdle = world.onIdle(() => setTimeout(() => {}, 1000));

  let plan = request.plan;
  let patterns = patternsOf(plan, pm);
  const changed = new Set<string>();
  let reloading = false;
  // The tasks no longer load: any change may be the fix.
  let broken = false;
  let restart: AbortController | undefined;
  let work = new WorkLeft(plan.steps);
  // The steps' fingerprints across the runs of one plan (incremental/checker.ts's lineage).
  let fingerprints = new Map<Step, string>();
  // The plan's steps whose sources changed since they last ran.
  let due = new Set<Step>();
  // A run is due: the first one, and one after each change (not one after a run: a run that
  // failed waits for a change before it does what it left undone).
  let runDue = true;
  let changedText = "";

  const open = (watched: WatchedPlan): Promise<Watcher> =>
    startWatcher(
      { dir: projectDir(watched.collection.file), sources: patterns.all, files: watched.files },
      {
        changed: (paths) => {
          for (const path of paths) changed.add(path);
          if (paths.some((path) => watched.files.includes(path))) reloading = true;
          // Whatever changed, the run going now is stale: it stops, and the next one takes over.
          restart?.abort("SIGTERM");
          wake();
        },
        nearby: (paths) => {
          if (!broken) return;
          for (const path of paths) changed.add(path);
          wake();
        },
        failed: (message) => say(`cannot watch every file (${message}); changes may be missed`),
      },
    );
  let watcher: Watcher | undefined;

  try {
    // Ready before the first run starts (chokidar has looked at every file by then): a change
    // made while a run goes would be missed by a watcher still looking.
    watcher = await open(plan);
    while (!stopped()) {
      if (changed.size > 0) {
        const paths = [...changed];
        changed.clear();
        changedText = describeChange(paths, world.cwd);
        runDue = true;
        if (broken) reloading = true;
        const relative = paths.map((path) => projectPath(projectDir(plan.collection.file), path));
        for (const step of plan.steps) {
          if (relative.some((path) => patterns.of(step.task)?.matches(path) === true)) due.add(step);
        }
      }
      if (reloading) {
        reloading = false;
        say(`${changedText} changed: loading the tasks again`);
        try {
          const next = await Promise.race([request.reload(signalled.signal), firstSignal.then(() => undefined)]);
          if (next === undefined) continue;
          checkWatchedSources(next.steps);
          plan = next;
          patterns = patternsOf(plan, pm);
          work = new WorkLeft(plan.steps);
          fingerprints = new Map();
          due = new Set();
          // The whole plan runs anew, as the line above said.
          changedText = "";
          broken = false;
          // The new watcher is ready before the old one closes: no change falls between them.
          const old = watcher;
          watcher = await open(plan);
          await old.close();
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          // The old watcher stays: the next change to the tasks file tries again.
          world.stderr.write(`${error.message.split("\n")[0] ?? ""}\n`);
          broken = true;
          due.clear();
        }
        continue;
      }
      const sub = runDue && !broken ? work.next((step) => due.has(step)) : undefined;
      due = new Set();
      runDue = false;
      if (sub !== undefined && sub.steps.length > 0) {
        if (changedText !== "") say(`${changedText} changed: re-running ${namesOf(sub.originals)}`);
        changedText = "";
        restart = new AbortController();
        const { collection, locate, sourceHash, codeHash } = plan;
        const originals = new Map(sub.steps.map((step, i) => [step, sub.originals[i] ?? step]));
        const run: RunRequest = {
          ...request.run,
          collection,
          locate,
          sourceHash,
          codeHash,
          steps: sub.steps,
          lineage: { originalOf: (step) => originals.get(step) ?? step, fingerprints },
          restart: restart.signal,
          ended: (runs) => work.took(sub, runs),
        };
        await runSteps(world, run);
        restart = undefined;
        // A change during the run stopped it: the loop takes the change in, and runs what was left with it.
        continue;
      }
      if (stopped() || changed.size > 0) continue;
      say(`watching ${plural(watcher.count(), "file")} for changes (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        // The watcher's handles keep the process up; this, in case there were none to keep.
        const keepAlive = setInterval(() => {}, 1 << 30);
        wake = () => {
          clearInterval(keepAlive);
          wake = () => {};
          resolve();
        };
      });
    }
    say("stopped watching");
    return signalExitStatus(stoppedBy ?? "SIGINT");
  } finally {
    await watcher?.close();
    removeIdle();
    removeSignals();
  }
}

interface PlanPatterns {
  /** Every task's sources together: what the watcher watches. */
  readonly all: SourcePatterns;
  readonly of: (task: Task) => SourcePatterns | undefined;
}

function patternsOf(plan: WatchedPlan, pm: Picomatch): PlanPatterns {
  // What a task of the plan makes (its `outputs`) is no reason to run anything: a run would
  // otherwise start the next one (build writes dist/ while a task with dist/ in its sources
  // waits), and a task that makes its own sources would never stop.
  const excluded = [...new Set(plan.steps.flatMap((step) => step.task.outputs))];
  const byTask = new Map<Task, SourcePatterns>();
  for (const { task } of plan.steps) {
    if (task.sources === undefined || byTask.has(task)) continue;
    byTask.set(task, sourcePatterns(task.sources, pm, { excluded }));
  }
  return { all: anyOf([...byTask.values()]), of: (task) => byTask.get(task) };
}

/** `src/a.ts`, `src/a.ts and 2 more`. */
function describeChange(paths: readonly string[], cwd: string): string {
  const first = paths[0] === undefined ? "a file" : displayPath(paths[0], cwd);
  return paths.length > 1 ? `${first} and ${paths.length - 1} more` : first;
}

/** `build, test`: each task once, in plan order. */
function namesOf(steps: readonly Step[]): string {
  return [...new Set(steps.map((step) => step.task.name))].join(", ");
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
