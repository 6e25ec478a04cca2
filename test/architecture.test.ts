// The shape of src/: no import cycle between modules or between folders, counting type-only
// imports too (lint's import-x/no-cycle skips those), so that every folder stays below the
// ones that use it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers.ts";

const src = join(repoRoot, "src");

/** Every module of src/ and the modules of src/ it imports, type-only imports included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
  for (const file of files) {
    const path = join(src, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(path, "utf8"), true, true);
    const imports = importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => relative(src, resolve(dirname(path), name)));
    graph.set(file, imports);
  }
  return graph;
}

/** The folder of a module of src/ (`.` for the top-level faces). */
const folderOf = (file: string): string => (file.includes("/") ? (file.split("/")[0] ?? ".") : ".");

/** A cycle of `graph`, as the path that closes it, or undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (done.has(node)) return undefined;
    const at = onPath.indexOf(node);
    if (at !== -1) return [...onPath.slice(at), node];
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe("the module graph of src/", () => {
  const graph = importGraph();

  it("imports only modules that exist", () => {
    const missing = [...graph].flatMap(([file, imports]) =>
      imports.filter((target) => !graph.has(target)).map((target) => `${file} → ${target}`),
    );
    expect(missing).toEqual([]);
  });

  it("has no cycle between modules", () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it("has no cycle between folders", () => {
    const folders = new Map<string, string[]>();
    for (const [file, imports] of graph) {
      const from = folderOf(file);
      const targets = folders.get(from) ?? [];
      for (const target of imports) if (folderOf(target) !== from) targets.push(folderOf(target));
      folders.set(from, [...new Set(targets)]);
    }
    expect(findCycle(folders)).toBeUndefined();
  });

  it("finds a cycle when there is one (the check can fail)", () => {
    expect(
      findCycle(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
        ]),
      ),
    ).toEqual(["a", "b", "c", "a"]);
  });
});
