import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests import this project's own tasks (tasks/index.ts), which `import { task } from
    // "runner-ts"`: that must be the source under test, not a build. The short "runner" too,
    // as tasks files may spell it. Exact matches only, so that "runner-ts/testing" is not
    // read as "runner-ts" + "/testing".
    alias: [
      { find: /^runner(-ts)?$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
      { find: /^runner(-ts)?\/testing$/, replacement: fileURLToPath(new URL("./src/testing.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Two test files at once: most tests now wait on child processes, not on the CPU.
    maxWorkers: 2,
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});
