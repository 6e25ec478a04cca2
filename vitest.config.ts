import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests import this project's own tasks (tasks/index.ts), which `import { task } from
    // "runner"`: that must be the source under test, not a build. Exact matches only, so
    // that "runner/testing" is not read as "runner" + "/testing".
    alias: [
      { find: /^runner$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
      { find: /^runner\/testing$/, replacement: fileURLToPath(new URL("./src/testing.ts", import.meta.url)) },
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
