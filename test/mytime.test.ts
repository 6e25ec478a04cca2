import { describe, expect, it } from "vitest";
import { project, repoRoot, runRunner } from "./helpers.ts";

describe("the book's example", () => {
  it("runs mytime from a tasks.ts with no setup and lists it with its JSDoc", async () => {
    const dir = project({
      "tasks.ts": `/** Print the local time */\nexport function mytime() {\n  console.log("Local time is", new Date().toString());\n}\n`,
    });
    const run = await runRunner(["mytime"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Local time is \w{3} \w{3} \d{2} \d{4} /);
    expect(run.stderr).toBe("");
    const list = await runRunner(["--list"], { cwd: dir });
    expect(list.stdout).toBe("Available tasks:\n\n  mytime    Print the local time\n");
  });

  it("runs this repository's own mytime task", async () => {
    const run = await runRunner(["mytime"], { cwd: repoRoot });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Local time is");
  });
});
