// This repository's own build (`runner build`), run by the runner it builds: the public faces
// must come from the sources being built, and the build must run as commands, never inside
// runner's own process (where it would see runner's loaded modules and freeze its event loop).
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { project, repoRoot, runRunner } from "./helpers.ts";

/** A copy of the repository that a test may change, sharing its node_modules, built once. */
function copyOfRepository(): string {
  const copy = project();
  for (const part of ["bin", "src", "tasks", "package.json", "tsconfig.json", "tsconfig.build.json"]) {
    cpSync(join(repoRoot, part), join(copy, part), { recursive: true });
  }
  symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"));
  execFileSync(process.execPath, ["tasks/bundle.mjs"], { cwd: copy });
  return copy;
}

describe("runner build", () => {
  it("writes faces that name what the sources export now, not what the running runner had", async () => {
    const copy = copyOfRepository();
    appendFileSync(join(copy, "src", "index.ts"), "export const addedSinceTheLastBuild = 42;\n");
    const report = join(copy, "build.json");
    // The runner doing the build is the copy's previous build, which lacks the new export.
    const run = await runRunner(["build", "--no-types", "--report", report], {
      cwd: copy,
      env: { RUNNER_CACHE_DIR: join(copy, "cache") },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(readFileSync(join(copy, "dist", "index.js"), "utf8")).toContain("export const addedSinceTheLastBuild");
    const face = (await import(pathToFileURL(join(copy, "dist", "index.js")).href)) as Record<string, unknown>;
    expect(face.addedSinceTheLastBuild).toBe(42);
    // ...and it ran as a command of the task, in a process of its own.
    const json = JSON.parse(readFileSync(report, "utf8")) as { tasks: { commands: { command: string }[] }[] };
    expect(json.tasks[0]?.commands.map((c) => c.command)).toEqual([`${process.execPath} tasks/bundle.mjs`]);
  }, 60_000);

  it("runs the bundler and tsc as one child process, as a dry run shows", async () => {
    const run = await runRunner(["-n", "build"], { cwd: repoRoot });
    expect(run.stdout).toBe(`[dry-run] ${process.execPath} tasks/bundle.mjs --types\n`);
    expect(run.code).toBe(0);
  });
});
