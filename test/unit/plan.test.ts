// The plan (plan/), in process: the order of steps, dedupe, waves, how a step is described,
// and option values with their defaults and the CLI's exact error texts. Collections are
// real ones, built from exports the way a loaded tasks file gives them.
import { describe, expect, it } from "vitest";
import { task, type AnyTaskDefinition } from "../../src/api/task.ts";
import { userError } from "./user-error.ts";
import { buildCollection, type Collection, type Task } from "../../src/loader/collection.ts";
import type { OptionDef, OptionValue } from "../../src/loader/option-declarations.ts";
import { describeStep } from "../../src/plan/describe.ts";
import { coerceValue, finishOptions, usage } from "../../src/plan/option-values.ts";
import { planRun, type Invocation, type Step } from "../../src/plan/plan.ts";
import { planWaves } from "../../src/plan/waves.ts";

const FILE = "/project/tasks.ts";

function collect(exports: Readonly<Record<string, unknown>>): Collection {
  return buildCollection(FILE, "tasks.ts", exports, new Map());
}

function taskOf(collection: Collection, name: string): Task {
  const found = collection.find(name);
  if (found === undefined) throw new Error(`no task ${name}`);
  return found;
}

function invoke(
  collection: Collection,
  name: string,
  given: Readonly<Record<string, OptionValue>> = {},
  words: { args?: string[]; rest?: string[] } = {},
): Invocation {
  return {
    task: taskOf(collection, name),
    given: new Map(Object.entries(given)),
    args: words.args ?? [],
    rest: words.rest ?? [],
  };
}

const names = (steps: readonly Step[]): string[] => steps.map((s) => s.task.name);
const run = (): void => {};

/** The diamond of the serial-run tests: d needs b and c, both need a. */
function diamond(): Collection {
  const a = task({ run });
  const b = task({ deps: [a], run });
  const c = task({ deps: [a], run });
  const d = task({ deps: [b, c], run });
  const say = task({ options: { word: { type: "string", default: "hi" } }, run });
  const greet = task({ deps: [say], run });
  return collect({ a, b, c, d, say, greet, hello: () => {} });
}

/** The build task of the README. */
function readmeBuild(): Collection {
  const clean = task({ run });
  const build = task({
    deps: [clean],
    options: {
      target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
      jobs: { type: "number", default: 4, short: "j" },
      watch: { type: "boolean", default: false },
      entry: { type: "string", positional: true, required: true },
      define: { type: "string", multiple: true },
    },
    run,
  });
  return collect({ build, clean });
}

function defsOf(collection: Collection, name: string): readonly OptionDef[] {
  return taskOf(collection, name).options;
}

function defOf(collection: Collection, name: string, key: string): OptionDef {
  const def = defsOf(collection, name).find((d) => d.key === key);
  if (def === undefined) throw new Error(`no option ${key}`);
  return def;
}

describe("planRun", () => {
  it("puts deps first, depth-first in declared order, then the task", () => {
    const r = task({ run });
    const p = task({ deps: [r], run });
    const q = task({ run });
    const t = task({ deps: [p, q], run });
    const collection = collect({ t, q, p, r });
    expect(names(planRun([invoke(collection, "t")], true))).toEqual(["r", "p", "q", "t"]);
  });

  it("plans a dep shared by two tasks once, and both steps wait for that one step", () => {
    const collection = diamond();
    const steps = planRun([invoke(collection, "d")], true);
    expect(names(steps)).toEqual(["a", "b", "c", "d"]);
    const [a, b, c, d] = steps;
    expect(b!.deps).toEqual([a]);
    expect(c!.deps[0]).toBe(a);
    expect(d!.deps).toHaveLength(2);
    expect(d!.deps[0]).toBe(b);
    expect(d!.deps[1]).toBe(c);
  });

  it("plans a task named again, or reached again as a dep, once", () => {
    const collection = diamond();
    const steps = planRun([invoke(collection, "a"), invoke(collection, "d"), invoke(collection, "a")], true);
    expect(names(steps)).toEqual(["a", "b", "c", "d"]);
    expect(steps[1]!.deps[0]).toBe(steps[0]);
  });

  it("dedupes by task and options: the same options once (defaults included), other options again", () => {
    const collection = diamond();
    const steps = planRun(
      [
        invoke(collection, "say"),
        invoke(collection, "say", { word: "x" }),
        invoke(collection, "say", { word: "x" }),
        invoke(collection, "say", { word: "hi" }),
      ],
      true,
    );
    expect(steps.map((s) => s.options)).toEqual([{ word: "hi" }, { word: "x" }]);
  });

  it("runs a dep with its defaults, not with options the same task was named with", () => {
    const collection = diamond();
    const steps = planRun([invoke(collection, "say", { word: "x" }), invoke(collection, "greet")], true);
    expect(steps.map((s) => [s.task.name, s.options])).toEqual([
      ["say", { word: "x" }],
      ["say", { word: "hi" }],
      ["greet", {}],
    ]);
    expect(steps[2]!.deps[0]).toBe(steps[1]);
  });

  it("keeps a task's args and rest, and dedupes by them too", () => {
    const collection = diamond();
    const steps = planRun(
      [
        invoke(collection, "hello", {}, { args: ["x"] }),
        invoke(collection, "hello", {}, { args: ["x"] }),
        invoke(collection, "hello", {}, { args: ["y"], rest: ["--z"] }),
      ],
      true,
    );
    expect(steps.map((s) => [s.args, s.rest])).toEqual([
      [["x"], []],
      [["y"], ["--z"]],
    ]);
  });

  it("repeats tasks and shared deps when dedupe is off", () => {
    const collection = diamond();
    expect(names(planRun([invoke(collection, "say"), invoke(collection, "say")], false))).toEqual(["say", "say"]);
    const steps = planRun([invoke(collection, "d")], false);
    expect(names(steps)).toEqual(["a", "b", "a", "c", "d"]);
    expect(steps[1]!.deps[0]).toBe(steps[0]);
    expect(steps[3]!.deps[0]).toBe(steps[2]);
  });

  it("fails when a dep cannot run with its defaults, naming both tasks and why", () => {
    const deploy = task({
      options: { env: { type: "string", choices: ["prod", "staging"], required: true } },
      run,
    });
    const release = task({ deps: [deploy], run });
    const collection = collect({ deploy, release });
    expect(userError(() => planRun([invoke(collection, "release")], true)).message).toBe(
      'Task "release" depends on "deploy", which cannot run with its defaults: ' +
        'Task "deploy" needs --env. Usage: runner deploy --env <prod|staging>',
    );
    // Named with a value, the same task plans.
    expect(names(planRun([invoke(collection, "deploy", { env: "prod" })], true))).toEqual(["deploy"]);
  });

  it("fails before planning anything when a named task misses a required option", () => {
    const collection = readmeBuild();
    expect(userError(() => planRun([invoke(collection, "clean"), invoke(collection, "build")], true)).message).toBe(
      'Task "build" needs <entry>. Usage: runner build [options] <entry>',
    );
  });

  it("plans a chain of 20,000 deps without overflowing the stack", () => {
    const exports: Record<string, unknown> = {};
    let previous: AnyTaskDefinition | undefined;
    for (let i = 0; i < 20_000; i++) {
      const next = task({ deps: previous === undefined ? [] : [previous], run });
      exports[`t${i}`] = next;
      previous = next;
    }
    const collection = collect(exports);
    const steps = planRun([invoke(collection, "t19999")], true);
    expect(steps).toHaveLength(20_000);
    expect(steps[0]!.task.name).toBe("t0");
    expect(steps[19_999]!.task.name).toBe("t19999");
    expect(steps[19_999]!.deps).toEqual([steps[19_998]]);
  });
});

describe("planWaves", () => {
  it("puts steps with no deps between them in one wave, in plan order", () => {
    const collection = diamond();
    const steps = planRun([invoke(collection, "hello"), invoke(collection, "a"), invoke(collection, "say")], true);
    expect(planWaves(steps).map(names)).toEqual([["hello", "a", "say"]]);
  });

  it("puts each step one wave after its latest dep", () => {
    const collection = diamond();
    expect(planWaves(planRun([invoke(collection, "d")], true)).map(names)).toEqual([["a"], ["b", "c"], ["d"]]);

    const a = task({ run });
    const b = task({ deps: [a], run });
    const c = task({ deps: [b], run });
    const x = task({ deps: [a, c], run });
    const chain = collect({ a, b, c, x });
    expect(planWaves(planRun([invoke(chain, "x")], true)).map(names)).toEqual([["a"], ["b"], ["c"], ["x"]]);
  });

  it("keeps plan order within a wave across independent chains", () => {
    const p = task({ run });
    const q = task({ deps: [p], run });
    const r = task({ run });
    const s = task({ deps: [r], run });
    const collection = collect({ p, q, r, s });
    const steps = planRun([invoke(collection, "q"), invoke(collection, "s")], true);
    expect(names(steps)).toEqual(["p", "q", "r", "s"]);
    expect(planWaves(steps).map(names)).toEqual([
      ["p", "r"],
      ["q", "s"],
    ]);
  });

  it("has no waves for an empty plan", () => {
    expect(planWaves([])).toEqual([]);
  });
});

describe("describeStep", () => {
  const flags = task({
    options: {
      target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
      jobs: { type: "number", default: 4, short: "j" },
      watch: { type: "boolean", default: false },
      color: { type: "boolean", default: true },
      verbose: { type: "boolean" },
      entry: { type: "string", positional: true },
      define: { type: "string", multiple: true },
      files: { type: "string", positional: true, multiple: true },
    },
    run,
  });
  const collection = collect({ flags, hello: () => {} });
  const described = (given: Readonly<Record<string, OptionValue>>): string =>
    describeStep(planRun([invoke(collection, "flags", given)], true)[0]!);

  it("is the task name alone when every option has its default", () => {
    expect(described({})).toBe("flags");
    expect(described({ target: "es2022", jobs: 4, watch: false, color: true, verbose: false, define: [] })).toBe(
      "flags",
    );
  });

  it("shows options that differ from their defaults, in declaration order", () => {
    expect(described({ jobs: 8, target: "esnext" })).toBe("flags --target esnext --jobs 8");
  });

  it("shows booleans as --flag or --no-flag", () => {
    expect(described({ watch: true })).toBe("flags --watch");
    expect(described({ color: false })).toBe("flags --no-color");
    expect(described({ verbose: true })).toBe("flags --verbose");
  });

  it("shows positionals bare and repeats an option given several times", () => {
    expect(described({ entry: "src/main.ts", define: ["A", "B"], files: ["x.ts", "y.ts"] })).toBe(
      "flags src/main.ts --define A --define B x.ts y.ts",
    );
  });

  it("shows a plain function's args, then the rest after --", () => {
    const step = planRun([invoke(collection, "hello", {}, { args: ["a", "b"], rest: ["--c", "d"] })], true)[0]!;
    expect(describeStep(step)).toBe("hello a b -- --c d");
    expect(describeStep(step)).toBe("hello a b -- --c d");
    const noRest = planRun([invoke(collection, "hello", {}, { args: ["a"] })], true)[0]!;
    expect(describeStep(noRest)).toBe("hello a");
  });
});

describe("coerceValue", () => {
  const collection = readmeBuild();
  const numbered = collect({
    pick: task({
      options: {
        level: { type: "number", choices: [1, 2, 3] },
        maxWorkers: { type: "number" },
        force: { type: "boolean" },
      },
      run,
    }),
  });

  it("reads numbers, or fails with the CLI's error text", () => {
    const jobs = defOf(collection, "build", "jobs");
    expect(coerceValue("12", jobs, "build")).toBe(12);
    expect(coerceValue("-3", jobs, "build")).toBe(-3);
    expect(coerceValue("1.5", jobs, "build")).toBe(1.5);
    for (const word of ["abc", "", " "]) {
      expect(userError(() => coerceValue(word, jobs, "build")).message).toBe(
        `Invalid value "${word}" for --${jobs.flag} of task "build": expected a number.`,
      );
    }
    expect(userError(() => coerceValue("abc", jobs, "build")).message).toBe(
      'Invalid value "abc" for --jobs of task "build": expected a number.',
    );
  });

  it("names the option by its flag", () => {
    const maxWorkers = defOf(numbered, "pick", "maxWorkers");
    expect(userError(() => coerceValue("lots", maxWorkers, "pick")).message).toBe(
      'Invalid value "lots" for --max-workers of task "pick": expected a number.',
    );
  });

  it("checks choices, strings and numbers alike", () => {
    const target = defOf(collection, "build", "target");
    expect(coerceValue("esnext", target, "build")).toBe("esnext");
    expect(userError(() => coerceValue("es5", target, "build")).message).toBe(
      'Invalid value "es5" for --target of task "build": expected one of es2022, esnext.',
    );
    const level = defOf(numbered, "pick", "level");
    expect(coerceValue("2", level, "pick")).toBe(2);
    expect(userError(() => coerceValue("4", level, "pick")).message).toBe(
      'Invalid value "4" for --level of task "pick": expected one of 1, 2, 3.',
    );
  });

  it("reads booleans from true/false, 1/0 and yes/no only", () => {
    const force = defOf(numbered, "pick", "force");
    for (const word of ["true", "1", "yes"]) expect(coerceValue(word, force, "pick")).toBe(true);
    for (const word of ["false", "0", "no"]) expect(coerceValue(word, force, "pick")).toBe(false);
    expect(userError(() => coerceValue("maybe", force, "pick")).message).toBe(
      'Invalid value "maybe" for --force of task "pick": expected true or false.',
    );
  });

  it("keeps a string as it is", () => {
    expect(coerceValue(" src/main.ts ", defOf(collection, "build", "entry"), "build")).toBe(" src/main.ts ");
  });
});

describe("finishOptions", () => {
  const collection = readmeBuild();
  const defs = defsOf(collection, "build");

  it("fills in defaults, false for a boolean, [] for a multiple, undefined for the rest", () => {
    const optional = collect({
      o: task({
        options: { name: { type: "string" }, quiet: { type: "boolean" }, tags: { type: "string", multiple: true } },
        run,
      }),
    });
    expect(finishOptions("o", defsOf(optional, "o"), new Map())).toEqual({
      name: undefined,
      quiet: false,
      tags: [],
    });
    expect(finishOptions("build", defs, new Map([["entry", "src/main.ts"]]))).toEqual({
      target: "es2022",
      jobs: 4,
      watch: false,
      entry: "src/main.ts",
      define: [],
    });
  });

  it("lets what the command line gave win over the defaults", () => {
    const given = new Map<string, OptionValue>([
      ["entry", "a.ts"],
      ["target", "esnext"],
      ["jobs", 8],
      ["watch", true],
      ["define", ["A", "B"]],
    ]);
    expect(finishOptions("build", defs, given)).toEqual({
      target: "esnext",
      jobs: 8,
      watch: true,
      entry: "a.ts",
      define: ["A", "B"],
    });
  });

  it("fails for a missing required positional with the usage line", () => {
    expect(userError(() => finishOptions("build", defs, new Map())).message).toBe(
      'Task "build" needs <entry>. Usage: runner build [options] <entry>',
    );
  });

  it("fails for a missing required option, boolean, or an empty required list", () => {
    const deploy = collect({
      deploy: task({
        options: {
          env: { type: "string", choices: ["prod", "staging"], required: true },
          yes: { type: "boolean", required: true },
          dryRun: { type: "boolean" },
          files: { type: "string", positional: true, multiple: true, required: true },
        },
        run,
      }),
    });
    const deployDefs = defsOf(deploy, "deploy");
    const line = "Usage: runner deploy --env <prod|staging> --yes [options] <files...>";
    expect(userError(() => finishOptions("deploy", deployDefs, new Map())).message).toBe(
      `Task "deploy" needs --env. ${line}`,
    );
    expect(userError(() => finishOptions("deploy", deployDefs, new Map([["env", "prod"]]))).message).toBe(
      `Task "deploy" needs --yes. ${line}`,
    );
    const withoutFiles = new Map<string, OptionValue>([
      ["env", "prod"],
      ["yes", true],
      ["files", []],
    ]);
    expect(userError(() => finishOptions("deploy", deployDefs, withoutFiles)).message).toBe(
      `Task "deploy" needs <files...>. ${line}`,
    );
    withoutFiles.set("files", ["a"]);
    expect(finishOptions("deploy", deployDefs, withoutFiles)).toEqual({
      env: "prod",
      yes: true,
      dryRun: false,
      files: ["a"],
    });
  });
});

describe("usage", () => {
  it("spells out required options, then [options] when there are others, then positionals", () => {
    const collection = collect({
      deploy: task({
        options: {
          env: { type: "string", choices: ["prod", "staging"], required: true },
          count: { type: "number", required: true },
          files: { type: "string", positional: true, multiple: true, required: true },
          verbose: { type: "boolean" },
        },
        run,
      }),
      copy: task({
        options: {
          from: { type: "string", positional: true, required: true },
          to: { type: "string", positional: true },
        },
        run,
      }),
      clean: task({ run }),
    });
    expect(usage("deploy", defsOf(collection, "deploy"))).toBe(
      "runner deploy --env <prod|staging> --count <number> [options] <files...>",
    );
    expect(usage("copy", defsOf(collection, "copy"))).toBe("runner copy <from> [to]");
    expect(usage("clean", defsOf(collection, "clean"))).toBe("runner clean");
  });
});
