// runner's entry (dist/cli.js). Node 22.1+ can keep the code it compiles on disk: turned on
// before the rest of runner is imported, the CLI, its chunks and the cached tasks bundles
// start from compiled code. It lives in runner's own cache directory (never the shared
// temp dir, where another user could plant code). Node 20 has no compile cache.
import module from "node:module";
import { join } from "node:path";
import { cacheDir, makeDir } from "./load.ts";

const enableCompileCache = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
if (enableCompileCache !== undefined) {
  // Made here first: Node's own recursive mkdir never returns on some filesystems (/proc).
  const compiled = join(cacheDir(process.env), "compiled");
  try {
    makeDir(compiled);
    enableCompileCache(compiled);
  } catch {
    // No usable cache directory: start without the compile cache.
  }
}
const { start } = await import("./cli.ts");
await start();
