// An edit made while a tasks file is being bundled: the cache must record what was bundled,
// with the stat from before it was read, so that the next run sees the edit. (JSON used to be
// read by esbuild and stat'ed and hashed by runner afterwards: an edit in between was taken
// as bundled, and the stale bundle kept for ever. esbuild's own read cannot be hooked, so this
// pins what replaced it: runner reads the file for esbuild, stat first.) The edit is made
// right after the read, as if the user saved that instant.
import * as fs from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { contentHash } from "../../src/common/hash.ts";
import { project } from "../helpers.ts";

let editAfterRead: string | undefined;
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    readFileSync: ((path: fs.PathOrFileDescriptor, options?: unknown) => {
      const read = real.readFileSync(path, options as undefined);
      if (typeof path === "string" && path === editAfterRead) {
        editAfterRead = undefined;
        real.writeFileSync(path, '{ "version": 2 }\n');
      }
      return read;
    }) as typeof fs.readFileSync,
  };
});

const { transpile } = await import("../../src/loader/transpile.ts");

describe("a JSON import edited while the tasks file is bundled", () => {
  it("is recorded as it was bundled, so the edit shows on the next run", async () => {
    const before = '{ "version": 1 }\n';
    const dir = project({
      "tasks.ts": `import data from "./data.json";\nexport const v = data.version;\n`,
      "data.json": before,
    });
    const path = join(dir, "data.json");
    const stat = fs.statSync(path);
    editAfterRead = path;
    const bundle = await transpile(join(dir, "tasks.ts"), { cjs: {}, esm: {} }, dir);
    expect(fs.readFileSync(path, "utf8")).toBe('{ "version": 2 }\n');
    const input = bundle.inputs.find((i) => i.path === path);
    expect(bundle.code).toMatch(/version: 1/);
    // What was bundled, with the stat from before the read: the edited file matches neither.
    expect(input).toMatchObject({ hash: contentHash(before), size: stat.size, mtimeMs: stat.mtimeMs });
    expect(contentHash(fs.readFileSync(path))).not.toBe(input?.hash);
  });
});
