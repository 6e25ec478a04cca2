// Before any test: a build of the current src/ for the tests that run runner as a program
// (bin/ and dist/ in a directory of its own, so `npm test` needs no `npm run build` and
// never tests a stale dist/), and whose faces the in-process tests hand to tasks files.
// Inside the repository's node_modules, so that the build finds esbuild and cosmiconfig.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { bundle } from "../tasks/bundle.mjs";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

declare module "vitest" {
  export interface ProvidedContext {
    /** A directory holding bin/, dist/ and package.json: runner as the tests run it. */
    runnerBuild: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const out = join(repoRoot, "node_modules", ".cache", "runner-test", String(process.pid));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await bundle({ out });
  cpSync(join(repoRoot, "bin"), join(out, "bin"), { recursive: true });
  cpSync(join(repoRoot, "package.json"), join(out, "package.json"));
  project.provide("runnerBuild", out);
  return () => rmSync(out, { recursive: true, force: true });
}
