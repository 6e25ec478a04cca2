// Type-aware linting (typescript-eslint, strict) for src, tests, tasks and bench, and the
// architecture of src/: no import cycles, World as the only door to the process, and which
// folder may use which (test/architecture.test.ts checks type-only imports too).
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** What reaches the process — the World's to give (src/world/world.ts). */
const PROCESS_GLOBALS = [
  { name: "process", message: "Take what you need from the World (src/world/world.ts)." },
  { name: "console", message: "Write through the World's stdout/stderr." },
  { name: "performance", message: "Use the World's clock." },
];
const CLOCK_SYNTAX = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: "Use the World's clock.",
  },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Use the World's clock." },
];

/**
 * `import ... from` patterns a folder of src/ may not use, and why.
 * @param {...[string[], string]} groups
 */
function restrict(...groups) {
  return {
    "no-restricted-imports": ["error", { patterns: groups.map(([group, message]) => ({ group, message })) }],
  };
}
const ABOVE_PLAN = ["execution", "display", "report", "cli", "boot"];
/**
 * @param {string[]} folders
 * @param {string} message
 * @returns {[string[], string]}
 */
const only = (folders, message) => [folders.map((folder) => `**/${folder}/*`), message];

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "bench/node_modules/", ".ci/node24/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        performance: "readonly",
        Buffer: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `() => void write(x)` and `(x) => handler(x)` are the clearest callbacks.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { allowDefaultCaseForExhaustiveSwitch: true, considerDefaultExhaustiveForUnions: false },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".js", ".mjs", ".cjs"] })],
      "import-x/extensions": [".ts"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "no-restricted-globals": ["error", ...PROCESS_GLOBALS],
      "no-restricted-syntax": ["error", ...CLOCK_SYNTAX],
    },
  },
  {
    // The two places that build the real world from the process.
    // A pool worker is a process entry too: a process of its own (its stdio, exit and IPC).
    // The code cache is boot's, before any World (and, for the Redis chunk, a cache of the process's own code).
    files: [
      "src/world/real.ts",
      "src/world/watchdog.ts",
      "src/world/watchdog-worker.ts",
      "src/world/leave.ts",
      "src/boot/boot.ts",
      "src/boot/code-cache.ts",
      "src/pool/worker-main.ts",
      "src/pool/worker-pipes.ts",
    ],
    rules: { "no-restricted-globals": "off", "no-restricted-syntax": "off" },
  },
  // Which folder may use which: each stays below the ones that use it.
  { files: ["src/common/**"], rules: restrict([["../*"], "common/ depends on nothing else in src/."]) },
  {
    files: ["src/world/**"],
    rules: restrict(
      only(
        ["cli", "loader", "config", "plan", "execution", "context", "child", "display", "report", "boot", "pool"],
        "world/ is below everything but common/.",
      ),
    ),
  },
  {
    files: ["src/loader/**", "src/config/**", "src/api/**", "src/context/**", "src/child/**", "src/service/**"],
    rules: restrict(
      only(
        ABOVE_PLAN,
        "The loader, config, API, context, child and service folders are below execution and the displays.",
      ),
    ),
  },
  {
    files: ["src/pool/**"],
    rules: restrict(
      only(ABOVE_PLAN, "The pool is below execution and the displays: execution uses it, not the other way round."),
    ),
  },
  {
    files: ["src/plan/**"],
    rules: restrict(only([...ABOVE_PLAN, "child", "context"], "The plan knows tasks, not how they run.")),
  },
  {
    // Displays and reports see a run only through its outcomes and events.
    files: ["src/display/**", "src/report/**"],
    rules: restrict(
      [
        ["**/execution/*", "!**/execution/outcomes.ts", "!**/execution/events.ts", "!**/execution/exit-status.ts"],
        "Displays and reports see a run through execution/outcomes.ts and events.ts only.",
      ],
      only(
        ["cli", "boot", "child", "loader", "pool", "context/context.ts"],
        "Displays and reports see a run through its events.",
      ),
    ),
  },
  {
    files: ["src/execution/**"],
    rules: restrict(
      only(["display", "report", "cli", "boot"], "execution/ tells reporters through events; it does not know them."),
    ),
  },
  {
    // Tests drive the CLI with loose JSON and fixtures; keep the checks that find bugs.
    files: ["test/**/*.ts", "bench/**/*", "**/*.mjs"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    // Type tests name values only to check their types.
    files: ["test/**/*.test-d.ts"],
    rules: { "@typescript-eslint/no-meaningless-void-operator": "off" },
  },
  {
    // The benchmark driver is plain Node reading hyperfine's and package.json's loose JSON.
    files: ["bench/**/*.mjs"],
    rules: { "@typescript-eslint/no-unsafe-return": "off" },
  },
  {
    // The bin is CommonJS on purpose (bin/package.json): no ES-module loader at start-up.
    files: ["bin/**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
