// The run's up-to-date checks (SPEC §10). A step with `sources` is up to date, and does not
// run, when its fingerprint is the one recorded after its last successful run, each of its
// `outputs` patterns still matches a file, and each of its deps was up to date in this run
// too: a dep that ran may have changed what its dependents read, so they run as well. A
// group task, which has no code, is up to date when its deps are (and its sources, if any). The fingerprint is taken as
// the step starts, before it runs, and recorded only once it passed: an edit made while it
// ran leaves it out of date, and a failed, cancelled or timed-out run records nothing (nor
// does one that passed under -w with a command that failed).
import { isAbsolute, relative } from "node:path";
import type { UpToDateChecker } from "../execution/run-step.ts";
import type { TaskRun, TaskStatusKind } from "../execution/outcomes.ts";
import { cacheDirs, type LoaderWorld } from "../loader/tasks-cache.ts";
import type { Step } from "../plan/plan.ts";
import { fingerprintOf, sourceFiles } from "./fingerprint.ts";
import { findSources, listingUnchanged, outputsPresent } from "./sources.ts";
import { RecordStore, type StoreSettings } from "./store.ts";

/**
 * --watch runs sub-plans: new steps standing for the plan's, without the deps that do not
 * run again. A step's fingerprint still counts its deps as the whole plan has them (else
 * the next plain run would find another fingerprint and run it once more), with the
 * fingerprints the earlier runs of the same plan took of the deps that did not run again.
 */
export interface StepLineage {
  /** The plan's step a sub-plan's step stands for. */
  readonly originalOf: (step: Step) => Step;
  /** By the plan's steps, across the runs of one plan. */
  readonly fingerprints: Map<Step, string>;
}

export interface CheckSettings extends StoreSettings {
  /** The commands' environment, whose values of a task's `env` variables count. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --force: every step runs; a pass is still recorded. */
  readonly force: boolean;
  /** The tasks' code as bundled: a task's `run` may read any value its file or its imports define. */
  readonly code: string;
  /** -n: checked and shown, never recorded (nothing was made). */
  readonly dryRun: boolean;
  /**
   * -w: a run that passed only because a failing command was let through is not recorded, or
   * the next run without -w would find it up to date and pass where its command fails.
   */
  readonly warnOnly: boolean;
  /** Directories inside the project that are never sources, relative to it (runner's own cache). */
  readonly excluded: readonly string[];
  readonly lineage?: StepLineage;
}

/** The checks of a run in `project`, kept where runner keeps its tasks cache. */
export function openChecks(
  world: Pick<LoaderWorld, "env" | "home" | "tmpdir" | "uid" | "cwd"> & { readonly clock: { epochMs(): number } },
  run: Pick<CheckSettings, "project" | "env" | "force" | "dryRun" | "warnOnly" | "code" | "lineage">,
): UpToDateChecker {
  const dirs = cacheDirs(world);
  // A cache inside the project (RUNNER_CACHE_DIR=.cache) is never one of its sources.
  const inside = dirs
    .map((dir) => relative(run.project, dir))
    .filter((path) => path !== "" && !path.startsWith("..") && !isAbsolute(path));
  return upToDateChecker({
    ...run,
    cacheDirs: dirs,
    uid: world.uid,
    epochMs: () => world.clock.epochMs(),
    excluded: inside,
  });
}

type Check = Awaited<ReturnType<UpToDateChecker["check"]>>;

export function upToDateChecker(settings: CheckSettings): UpToDateChecker {
  const store = new RecordStore(settings);
  const fingerprints = settings.lineage?.fingerprints ?? new Map<Step, string>();
  const original = settings.lineage?.originalOf ?? ((step: Step): Step => step);
  const ends = new Map<Step, TaskStatusKind>();
  const unchanged = (step: Step): boolean => ends.get(step) === "up-to-date";

  const check = async (step: Step): Promise<Check> => {
    const { task } = step;
    const deps = original(step).deps.map((dep) => fingerprints.get(dep) ?? "unknown");
    const ran = (record?: () => void): Check => ({
      upToDate: false,
      ended: (run: TaskRun) => {
        ends.set(step, run.status.kind);
        if (run.status.kind !== "passed" || settings.dryRun) return;
        if (settings.warnOnly && run.commands.some((command) => command.exitCode !== 0)) return;
        record?.();
      },
    });
    if (task.sources === undefined) {
      fingerprints.set(
        original(step),
        fingerprintOf({ step, code: settings.code, env: settings.env, deps, files: undefined }),
      );
      // A group has no code: when nothing under it ran, it is as up to date as its deps.
      if (task.group && !settings.force && step.deps.every(unchanged)) {
        ends.set(step, "up-to-date");
        return { upToDate: true };
      }
      return ran();
    }
    const previous = store.read(task.name);
    const nowMs = settings.epochMs();
    // The files of the last record, while no directory they were found in changed.
    const search = JSON.stringify([task.sources, task.outputs, settings.excluded]);
    const listed =
      previous !== undefined && previous.search === search && listingUnchanged(settings.project, previous.dirs, nowMs);
    const listing = listed
      ? { paths: previous.files.paths, dirs: previous.dirs }
      : await findSources(settings.project, task.sources, task.outputs, settings.excluded, nowMs);
    const files = sourceFiles(settings.project, listing.paths, previous, nowMs);
    const fingerprint = fingerprintOf({ step, code: settings.code, env: settings.env, deps, files: files.digest });
    fingerprints.set(original(step), fingerprint);
    const record = { fingerprint, filesDigest: files.digest, files: files.files, search, dirs: listing.dirs };
    if (
      !settings.force &&
      previous?.fingerprint === fingerprint &&
      step.deps.every(unchanged) &&
      (await outputsPresent(settings.project, task.outputs))
    ) {
      ends.set(step, "up-to-date");
      // A folder changed since the record (the task's own run made dist/ beside src/), or
      // files whose stats are not the recorded ones (kept without them, changed too close to
      // the record to trust them; touched): record them as they are now, so that the next
      // check neither walks nor reads anything.
      if (!settings.dryRun && (!listed || files.restated)) {
        store.write(task.name, record);
      }
      return { upToDate: true };
    }
    return ran(() => store.write(task.name, record));
  };

  return {
    check: async (step) => {
      try {
        return await check(step);
      } catch {
        // A check that cannot be made (a directory that cannot be read) only means the step runs.
        return {
          upToDate: false,
          ended: (run) => {
            ends.set(step, run.status.kind);
          },
        };
      }
    },
  };
}
