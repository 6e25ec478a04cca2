// The project a command line is about: its tasks file (from --file, RUNNER_FILE, the
// `file` setting or the search), its configuration, and its tasks, loaded and checked.
import { dirname, resolve } from "node:path";
import { displayPath } from "../common/display-path.ts";
import { messageOf } from "../common/error-text.ts";
import { oneLine } from "../common/show-value.ts";
import { UserError } from "../common/user-error.ts";
import type { CheckedConfigFile } from "../config/resolve.ts";
import { findConfigFile } from "../config/search.ts";
import { buildCollection, type Collection } from "../loader/collection.ts";
import { checkStartDir, checkTasksFile, findTasksFile, projectDir } from "../loader/discover.ts";
import { loadTasks, type LoadedTasks, type LoaderWorld } from "../loader/tasks-cache.ts";
import type { World } from "../world/world.ts";
import type { CoreOptions } from "./grammar.ts";

export interface Project {
  readonly collection: Collection;
  readonly configFile: CheckedConfigFile | undefined;
  /** Whether the tasks came from the cache (for -v). */
  readonly fromCache: boolean;
  /** Where task code threw an error, in the user's files (tasks-cache.ts). */
  readonly locate: LoadedTasks["locate"];
  /** The tasks' content hash, for distributed runs (LoadedTasks.sourceHash). */
  readonly sourceHash: string;
  /** The tasks' code as bundled (LoadedTasks.codeHash), for up-to-date checks. */
  readonly codeHash: string;
  /** The tasks file and the local files it imports (LoadedTasks.files). */
  readonly files: readonly string[];
}

export type ProjectWorld = LoaderWorld & Pick<World, "platform" | "chdir">;

/**
 * Finds and loads the project that `leading` (the core options before the first task name)
 * points at. Throws the search's error when there is no tasks file.
 */
export async function loadProject(world: ProjectWorld, leading: CoreOptions): Promise<Project> {
  const startDir = leading.cwd === undefined ? world.cwd : checkStartDir(resolve(world.cwd, leading.cwd));
  const loadTs = async (path: string): Promise<unknown> => {
    const loaded = await loadTasks(path, world);
    return loaded.exports.default ?? loaded.exports;
  };
  let configFile = await findConfigFile(startDir, world, loadTs);
  let file: string;
  if (leading.file !== undefined) file = checkTasksFile(resolve(world.cwd, leading.file), "--file");
  else if (world.env.RUNNER_FILE) file = checkTasksFile(resolve(world.cwd, world.env.RUNNER_FILE), "RUNNER_FILE");
  else if (configFile?.values.file !== undefined) {
    file = checkTasksFile(resolve(dirname(configFile.path), configFile.values.file), `file in ${configFile.path}`);
  } else {
    file = findTasksFile(startDir);
  }
  const tasksDir = projectDir(file);
  enterProjectDir(world, tasksDir);
  if (tasksDir !== startDir) configFile = await findConfigFile(tasksDir, world, loadTs);
  const { exports, docs, fromCache, locate, sourceHash, codeHash, files } = await loadTasks(file, world);
  const collection = buildCollection(file, displayPath(file, world.cwd), exports, docs);
  return { collection, configFile, fromCache, locate, sourceHash, codeHash, files };
}

/**
 * Makes the project directory the process's working directory before the tasks file (or a
 * JavaScript config file) is loaded, so that its code — top level and tasks alike — sees
 * the directory its commands run in (SPEC §3): `fs.existsSync("marker.txt")` and
 * `ctx.run("test -f marker.txt")` agree, wherever runner was started. runner's own paths
 * keep `world.cwd`, the directory the user typed them in.
 */
function enterProjectDir(world: Pick<World, "chdir">, dir: string): void {
  try {
    world.chdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? messageOf(error);
    throw new UserError(`Cannot enter the project directory ${oneLine(dir)} (${code}).`);
  }
}
