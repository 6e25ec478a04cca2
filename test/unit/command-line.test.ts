// The command line (cli/command-line.ts), in process: the leading core options, task
// invocations with their options, positionals and rest, core options after a task name, and
// the one-line errors with their suggestions. The core option shapes are the real ones.
import { describe, expect, it } from "vitest";
import { task } from "../../src/api/task.ts";
import { UserError } from "../../src/common/user-error.ts";
import { userError } from "./user-error.ts";
import { misplacedLoadOption, readLeading, splitArgs, unknownTask } from "../../src/cli/command-line.ts";
import { coreOptionShapes, coreOptionsOf, type CoreOptions } from "../../src/cli/grammar.ts";
import { buildCollection } from "../../src/loader/collection.ts";
import type { OptionValue } from "../../src/loader/option-declarations.ts";

const shapes = coreOptionShapes();
const run = (): void => {};

function docsBuild(): void {}
function docsServe(): void {}
function siteBuild(): void {}

const collection = buildCollection(
  "/project/tasks.ts",
  "tasks.ts",
  {
    clean: task({ run }),
    build: task({
      options: {
        target: { type: "string", choices: ["es2022", "esnext"], default: "es2022" },
        jobs: { type: "number", default: 4, short: "j" },
        watch: { type: "boolean", default: false },
        entry: { type: "string", positional: true },
        define: { type: "string", multiple: true },
      },
      run,
    }),
    copy: task({
      options: { from: { type: "string", positional: true }, to: { type: "string", positional: true } },
      run,
    }),
    lint: task({
      options: { fix: { type: "boolean" }, files: { type: "string", positional: true, multiple: true } },
      run,
    }),
    seek: task({ options: { by: { type: "number", positional: true } }, run }),
    shift: task({ options: { offset: { type: "number", short: "o" } }, run }),
    paint: task({ options: { colour: { type: "string" } }, run }),
    test: task({ run }),
    greet: () => {},
    _internal: () => {},
    docs: { build: docsBuild, serve: docsServe },
    site: { build: siteBuild, default: siteBuild },
  },
  new Map(),
);

interface Shown {
  readonly task: string;
  readonly given: Readonly<Record<string, OptionValue>>;
  readonly args: readonly string[];
  readonly rest: readonly string[];
}

interface Parsed {
  readonly core: CoreOptions;
  readonly tasks: readonly Shown[];
  readonly rest: readonly string[];
}

/** The whole line as main.ts reads it: the leading core options, then the rest. */
function parse(argv: readonly string[]): Parsed {
  const leading = readLeading(argv, shapes);
  const split = splitArgs(argv, leading.next, collection, shapes);
  return {
    core: coreOptionsOf([...leading.matches, ...split.matches]),
    tasks: split.invocations.map((inv) => ({
      task: inv.task.name,
      given: Object.fromEntries(inv.given),
      args: inv.args,
      rest: inv.rest,
    })),
    rest: split.rest,
  };
}

/** The one task the line names, as parse shows it. */
function only(argv: readonly string[]): Shown {
  const { tasks } = parse(argv);
  expect(tasks).toHaveLength(1);
  return tasks[0]!;
}

function leadingCore(argv: readonly string[]): CoreOptions {
  return coreOptionsOf(readLeading(argv, shapes).matches);
}

/** The message of the UserError `fn` throws (failing when it throws nothing or something else). */
const errorOf = (fn: () => unknown): string => userError(fn).message;

describe("readLeading", () => {
  it("stops at the first bare word, at --, at a lone - and at an unknown option", () => {
    expect(readLeading(["-q", "build", "-v"], shapes).next).toBe(1);
    expect(readLeading(["-v", "--", "x"], shapes).next).toBe(1);
    expect(readLeading(["-q", "-", "x"], shapes).next).toBe(1);
    expect(readLeading(["-q", "--tagret", "build"], shapes).next).toBe(1);
    expect(readLeading([], shapes)).toEqual({ matches: [], next: 0 });
    const core = leadingCore(["-q", "build", "-v"]);
    expect([core.quiet, core.verbose]).toEqual([true, false]);
  });

  it.each([[["-j4"]], [["-j", "4"]], [["--jobs=4"]], [["--jobs", "4"]]])("reads %j as jobs 4", (words) => {
    const leading = readLeading([...words, "build"], shapes);
    expect(leading.next).toBe(words.length);
    expect(coreOptionsOf(leading.matches).jobs).toBe("4");
  });

  it("splits combined short flags, the last of which may take a value", () => {
    const kq = leadingCore(["-kq"]);
    expect([kq.keepGoing, kq.quiet, kq.parallel]).toEqual([true, true, false]);
    const kqp = leadingCore(["-kqp"]);
    expect([kqp.keepGoing, kqp.quiet, kqp.parallel]).toEqual([true, true, true]);
    expect(leadingCore(["-qj4"])).toMatchObject({ quiet: true, jobs: "4" });
    const spaced = readLeading(["-qj", "4", "build"], shapes);
    expect(spaced.next).toBe(2);
    expect(coreOptionsOf(spaced.matches)).toMatchObject({ quiet: true, jobs: "4" });
  });

  it("takes a value for --list and --help only when a bare word follows", () => {
    expect(leadingCore(["--list"]).list).toBe(true);
    expect(leadingCore(["-l"]).list).toBe(true);
    expect(leadingCore(["--list", "docs"]).list).toBe("docs");
    expect(leadingCore(["--list=docs"]).list).toBe("docs");
    expect(leadingCore(["--list", "--json"])).toMatchObject({ list: true, json: true });
    const beforeRest = readLeading(["--list", "--", "docs"], shapes);
    expect(beforeRest.next).toBe(1);
    expect(coreOptionsOf(beforeRest.matches).list).toBe(true);
    expect(leadingCore(["--help", "build"]).help).toBe("build");
    expect(leadingCore(["-h"]).help).toBe(true);
    expect(leadingCore([]).list).toBeUndefined();
  });

  it("reads --no-echo, --no-color and --no-dedupe as false, and leaves unset ones undefined or at their default", () => {
    expect(leadingCore(["--no-echo"]).echo).toBe(false);
    expect(leadingCore(["-e"]).echo).toBe(true);
    expect(leadingCore([]).echo).toBeUndefined();
    expect(leadingCore(["--no-color"]).color).toBe(false);
    expect(leadingCore(["--color"]).color).toBe(true);
    expect(leadingCore([]).color).toBeUndefined();
    expect(leadingCore(["--no-dedupe"]).dedupe).toBe(false);
    expect(leadingCore([]).dedupe).toBe(true);
  });

  it("lets a later option win", () => {
    expect(leadingCore(["--echo", "--no-echo"]).echo).toBe(false);
    expect(leadingCore(["--no-echo", "-e"]).echo).toBe(true);
    expect(leadingCore(["--no-color", "--color"]).color).toBe(true);
    expect(leadingCore(["-j2", "--jobs", "3"]).jobs).toBe("3");
    expect(leadingCore(["--list", "docs", "--list"]).list).toBe(true);
  });

  it("fails for a missing required value", () => {
    for (const words of [["--jobs"], ["--jobs", "--parallel"], ["-j", "--", "x"], ["-qj"]]) {
      expect(errorOf(() => readLeading(words, shapes))).toBe("Option --jobs needs a value.");
    }
    expect(errorOf(() => readLeading(["-f"], shapes))).toBe("Option --file needs a value.");
  });

  it("fails for a value given to a flag", () => {
    expect(errorOf(() => readLeading(["--parallel=x"], shapes))).toBe("Option --parallel takes no value.");
    expect(errorOf(() => readLeading(["--no-echo=1"], shapes))).toBe("Option --no-echo takes no value.");
  });

  it("fails for an unknown letter in combined short flags", () => {
    expect(errorOf(() => readLeading(["-kx"], shapes))).toBe('Unknown option "-x".');
  });
});

describe("task options", () => {
  it.each([[["--target", "esnext"]], [["--target=esnext"]]])("reads %j", (words) => {
    expect(only(["build", ...words]).given).toEqual({ target: "esnext" });
  });

  it.each([[["-j8"]], [["-j", "8"]], [["--jobs", "8"]], [["--jobs=8"]]])(
    "reads %j as the task's own number option, not the core --jobs",
    (words) => {
      const { core, tasks } = parse(["build", ...words]);
      expect(tasks).toEqual([{ task: "build", given: { jobs: 8 }, args: [], rest: [] }]);
      expect(core.jobs).toBeUndefined();
    },
  );

  it("reads booleans as --flag, --no-flag and --flag=<value>", () => {
    expect(only(["build", "--watch"]).given).toEqual({ watch: true });
    expect(only(["build", "--no-watch"]).given).toEqual({ watch: false });
    expect(only(["build", "--watch=false"]).given).toEqual({ watch: false });
    expect(only(["build", "--watch", "--no-watch"]).given).toEqual({ watch: false });
    expect(errorOf(() => parse(["build", "--no-watch=1"]))).toBe('Option --no-watch of task "build" takes no value.');
  });

  it("collects a repeatable option in order", () => {
    expect(only(["build", "--define", "A", "--define=B"]).given).toEqual({ define: ["A", "B"] });
  });

  it("fails for a missing or invalid value with the CLI's texts", () => {
    expect(errorOf(() => parse(["build", "--target"]))).toBe('Option --target of task "build" needs a value.');
    expect(errorOf(() => parse(["build", "--target", "--watch"]))).toBe(
      'Option --target of task "build" needs a value.',
    );
    expect(errorOf(() => parse(["build", "--target", "es5"]))).toBe(
      'Invalid value "es5" for --target of task "build": expected one of es2022, esnext.',
    );
    expect(errorOf(() => parse(["build", "-j", "abc"]))).toBe(
      'Invalid value "abc" for --jobs of task "build": expected a number.',
    );
  });

  it("takes negative numbers as values of number options", () => {
    expect(only(["shift", "--offset", "-3"]).given).toEqual({ offset: -3 });
    expect(only(["shift", "-o", "-3"]).given).toEqual({ offset: -3 });
    expect(only(["shift", "--offset=-3"]).given).toEqual({ offset: -3 });
  });
});

describe("positionals, args and rest", () => {
  it("fills positionals in order, then starts the next task", () => {
    expect(parse(["copy", "a", "b", "clean"]).tasks).toEqual([
      { task: "copy", given: { from: "a", to: "b" }, args: [], rest: [] },
      { task: "clean", given: {}, args: [], rest: [] },
    ]);
    expect(only(["copy", "a"]).given).toEqual({ from: "a" });
    expect(only(["copy", "--to", "b", "a"]).given).toEqual({ from: "a", to: "b" });
  });

  it("gives a multiple positional every later bare word, task names too", () => {
    expect(only(["lint", "a", "--fix", "b", "clean"]).given).toEqual({ files: ["a", "b", "clean"], fix: true });
  });

  it("takes a negative number as a number positional, but not as a string one", () => {
    expect(only(["seek", "-3"]).given).toEqual({ by: -3 });
    expect(only(["seek", "-2.5"]).given).toEqual({ by: -2.5 });
    expect(errorOf(() => parse(["copy", "-3"]))).toBe('Unknown option "-3" for task "copy".');
  });

  it("gives a plain function's extra words to its args, until a task name", () => {
    expect(parse(["greet", "hello", "world", "clean"]).tasks).toEqual([
      { task: "greet", given: {}, args: ["hello", "world"], rest: [] },
      { task: "clean", given: {}, args: [], rest: [] },
    ]);
    expect(errorOf(() => parse(["clean", "zzz"]))).toBe('Unknown task "zzz".');
  });

  it("gives what follows -- to the last task, unparsed", () => {
    const { tasks, core } = parse(["clean", "build", "x", "--", "a", "--target", "-q"]);
    expect(tasks).toEqual([
      { task: "clean", given: {}, args: [], rest: [] },
      { task: "build", given: { entry: "x" }, args: [], rest: ["a", "--target", "-q"] },
    ]);
    expect(core.quiet).toBe(false);
    expect(only(["greet", "--", "--x"])).toEqual({ task: "greet", given: {}, args: [], rest: ["--x"] });
  });

  it("keeps what follows -- for the default task when no task was named", () => {
    expect(parse(["--", "a", "b"])).toMatchObject({ tasks: [], rest: ["a", "b"] });
    const { core, tasks, rest } = parse(["-q", "--", "--list"]);
    expect([core.quiet, core.list, tasks, rest]).toEqual([true, undefined, [], ["--list"]]);
  });
});

describe("core options after a task name", () => {
  it("reads them where the task has no option of that name", () => {
    const { core, tasks } = parse(["clean", "-q", "-p", "--jobs", "3", "-k", "--no-dedupe"]);
    expect(tasks).toEqual([{ task: "clean", given: {}, args: [], rest: [] }]);
    expect(core).toMatchObject({ quiet: true, parallel: true, jobs: "3", keepGoing: true, dedupe: false });
    expect(parse(["test", "-j8"]).core.jobs).toBe("8");
    expect(parse(["build", "-kq"]).core).toMatchObject({ keepGoing: true, quiet: true });
    expect(parse(["clean", "-qj4"]).core).toMatchObject({ quiet: true, jobs: "4" });
  });

  it("turns `build --help` into help for build, without taking the next word", () => {
    expect(parse(["build", "--help"]).core.help).toBe("build");
    expect(parse(["docs.build", "-h"]).core.help).toBe("docs.build");
    const { core, tasks } = parse(["test", "--help", "clean"]);
    expect(core.help).toBe("test");
    expect(tasks.map((t) => t.task)).toEqual(["test", "clean"]);
    expect(parse(["test", "-qh"]).core).toMatchObject({ quiet: true, help: "test" });
  });

  it.each([
    [["--file", "other.ts"], "--file"],
    [["--file=other.ts"], "--file"],
    [["-f", "other.ts"], "--file"],
    [["-qf", "other.ts"], "--file"],
    [["--cwd", "/elsewhere"], "--cwd"],
    [["-C", "/elsewhere"], "--cwd"],
  ])("refuses %j after a task name", (words, long) => {
    expect(errorOf(() => parse(["clean", ...words]))).toBe(`Option ${long} must come before the first task name.`);
  });

  it("accepts --file and --cwd before the first task name", () => {
    expect(parse(["--file", "other.ts", "-C", "/elsewhere", "clean"]).core).toMatchObject({
      file: "other.ts",
      cwd: "/elsewhere",
    });
  });
});

describe("unknown options", () => {
  it("suggests the task's own option", () => {
    expect(errorOf(() => parse(["build", "--tagret", "esnext"]))).toBe(
      'Unknown option "--tagret" for task "build". Did you mean "--target"?',
    );
    expect(errorOf(() => parse(["build", "--tagret=esnext"]))).toBe(
      'Unknown option "--tagret" for task "build". Did you mean "--target"?',
    );
    expect(errorOf(() => parse(["build", "--no-wach"]))).toBe(
      'Unknown option "--no-wach" for task "build". Did you mean "--no-watch"?',
    );
  });

  it("prefers the task's own option to a closer core one", () => {
    expect(errorOf(() => parse(["paint", "--colr"]))).toBe(
      'Unknown option "--colr" for task "paint". Did you mean "--colour"?',
    );
    // Without a task, the same word is a misspelt core option.
    expect(errorOf(() => parse(["--colr"]))).toBe('Unknown option "--colr". Did you mean "--color"?');
  });

  it("suggests a core option when the task has none close, and nothing when none is close", () => {
    expect(errorOf(() => parse(["build", "--verbos"]))).toBe(
      'Unknown option "--verbos" for task "build". Did you mean "--verbose"?',
    );
    expect(errorOf(() => parse(["build", "--zzzz"]))).toBe('Unknown option "--zzzz" for task "build".');
    expect(errorOf(() => parse(["--verbos", "clean"]))).toBe('Unknown option "--verbos". Did you mean "--verbose"?');
    expect(errorOf(() => parse(["--zzzz"]))).toBe('Unknown option "--zzzz".');
    expect(errorOf(() => parse(["clean", "-kx"]))).toBe('Unknown option "-x" for task "clean".');
  });
});

describe("unknownTask", () => {
  it("suggests a close task name or namespace", () => {
    expect(errorOf(() => parse(["biuld"]))).toBe('Unknown task "biuld". Did you mean "build"?');
    expect(unknownTask("docs.buld", collection).message).toBe('Unknown task "docs.buld". Did you mean "docs.build"?');
    expect(unknownTask("doc", collection).message).toBe('Unknown task "doc". Did you mean "docs"?');
    expect(unknownTask("zzz", collection).message).toBe('Unknown task "zzz".');
  });

  it("never suggests a hidden task", () => {
    expect(collection.find("_internal")?.hidden).toBe(true);
    expect(unknownTask("_internl", collection).message).toBe('Unknown task "_internl".');
  });

  it("lists what a namespace with no default holds", () => {
    const message = '"docs" is a namespace with no default task; run one of its tasks: docs.build, docs.serve.';
    expect(errorOf(() => parse(["docs"]))).toBe(message);
    expect(unknownTask("docs", collection).message).toBe(message);
  });

  it("runs a namespace's default when it has one", () => {
    expect(only(["site"]).task).toBe("site.build");
  });
});

describe("misplacedLoadOption", () => {
  it("finds a --file or --cwd after the first task name", () => {
    expect(misplacedLoadOption(["build", "--file", "x.ts"], 0, shapes, new Set())?.message).toBe(
      "Option --file must come before the first task name.",
    );
    expect(misplacedLoadOption(["-q", "build", "-C", "/elsewhere"], 1, shapes, new Set())?.message).toBe(
      "Option --cwd must come before the first task name.",
    );
    expect(misplacedLoadOption(["build", "--file=x.ts"], 0, shapes, new Set())).toBeInstanceOf(UserError);
  });

  it("ignores what was given before the first task name, words before `from`, and words after --", () => {
    expect(misplacedLoadOption(["build", "--file", "x.ts"], 0, shapes, new Set(["--file"]))).toBeUndefined();
    expect(misplacedLoadOption(["build", "--file", "x.ts"], 0, shapes, new Set(["--cwd"]))).toBeInstanceOf(UserError);
    expect(misplacedLoadOption(["--file", "x.ts", "build"], 2, shapes, new Set())).toBeUndefined();
    expect(misplacedLoadOption(["build", "--", "--file", "x.ts"], 0, shapes, new Set())).toBeUndefined();
    expect(misplacedLoadOption(["build", "-q", "--jobs", "2"], 0, shapes, new Set())).toBeUndefined();
  });
});
