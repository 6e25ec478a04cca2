// runner's entry (dist/cli.js). Node 22.1+ can keep the code it compiles on disk: turned on
// before the rest of runner is imported, the CLI, its chunks and the cached tasks bundles
// start from compiled code. It lives in runner's own cache directory (never the shared
// temp dir, where another user could plant code). Node 20 has no compile cache.
import module from "node:module";
import { join } from "node:path";
import { cacheDir } from "./load.ts";

(module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(
  join(cacheDir(process.env), "compiled"),
);
const { start } = await import("./cli.ts");
await start();
