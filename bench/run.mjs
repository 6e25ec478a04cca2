#!/usr/bin/env node
// runner against its peers, side by side on this machine (SPEC §9). Plain Node, no build step.
//
//   npm run bench                      full run, writes bench/RESULTS.md and prints the tables
//   npm run bench -- --quick           fewer runs, the slowest peers skipped, 100 MB instead of 1 GB
//   npm run bench -- --node <path>     run runner, `node -e 0` and the Node-based peers under
//                                      another Node (also: NODE=<path>)
//   npm run bench -- --append          add this run as a new section of RESULTS.md
//   npm run bench -- --out <file>      write somewhere else than bench/RESULTS.md
//   npm run bench -- --only 1,4        only these scenarios
//   npm run bench -- --no-setup        do not run bench/setup.sh when a peer is missing
//
// Every command is timed with hyperfine (warm-up, several runs, JSON export); the tables
// show medians. A peer that is not installed is a "missing" row, a command that fails is a
// "failed" row: neither stops the run. Scenarios 10–11 start their own redis-server (on a
// free loopback port) and `runner --worker` processes, and end them afterwards; without
// redis-server they are "skipped" rows. Scenario 12 makes its 5,000-file project in the
// temp dir and runs each tool's build once before timing the up-to-date check. Nothing here is asserted by the test suite.
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const benchDir = import.meta.dirname;
const root = dirname(benchDir);
const fixtures = join(benchDir, "fixtures");
const basic = join(fixtures, "basic");
const load = join(fixtures, "load");
const isolate = join(fixtures, "isolate");
const commands = JSON.parse(readFileSync(join(load, "commands.json"), "utf8"));

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag("--quick");
const append = flag("--append");
const out = value("--out") ?? join(benchDir, "RESULTS.md");
const only = value("--only")?.split(",").map(Number);
const nodeBin = value("--node") ?? process.env.NODE ?? process.execPath;
if (flag("--help") || flag("-h")) {
  console.log(
    readFileSync(import.meta.filename, "utf8")
      .split("\n")
      .slice(1, 13)
      .join("\n")
      .replace(/^\/\/ ?/gm, ""),
  );
  process.exit(0);
}

// A fresh clone: install the peers first (bench/setup.sh reports what it cannot install).
const peerDirs = ["concurrently", "hereby", "npm-run-all2", "rust-just-linux-x64", "wireit"];
const needSetup =
  peerDirs.some((d) => !existsSync(join(benchDir, "node_modules", d))) ||
  spawnSync("sh", ["-c", "command -v hyperfine && command -v invoke && test -x /usr/bin/time"]).status !== 0;
if (needSetup && !flag("--no-setup")) spawnSync("sh", [join(benchDir, "setup.sh")], { stdio: "inherit" });

const R = quick
  ? { startup: { warmup: 1, runs: 5 }, load: { warmup: 1, runs: 3 }, slow: { warmup: 0, runs: 1 } }
  : { startup: { warmup: 3, runs: 20 }, load: { warmup: 1, runs: 10 }, slow: { warmup: 0, runs: 2 } };
const hugeBytes = quick ? 100_000_000 : 1_000_000_000;

// ------------------------------------------------------ the Node under test
// A directory with `node` first on PATH: runner, `node -e 0` and every `#!/usr/bin/env node`
// peer (concurrently, hereby, run-p, npm) then run under the chosen Node.
const tmp = mkdtempSync(join(os.tmpdir(), "runner-bench-"));
const tmpBin = join(tmp, "bin");
spawnSync("mkdir", ["-p", tmpBin]);
symlinkSync(nodeBin, join(tmpBin, "node"));
const env = { ...process.env, PATH: `${tmpBin}${delimiter}${process.env.PATH ?? ""}`, FORCE_COLOR: "0", NO_COLOR: "1" };
delete env.npm_config_prefix;

/** A spawnSync stream as text: it is null when the program could not be started at all. */
const streamText = (/** @type {unknown} */ value) => (typeof value === "string" ? value.trim() : "");

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env, maxBuffer: 64 << 20, ...opts });
  return {
    ok: r.status === 0 && !r.error,
    out: streamText(r.stdout),
    err: streamText(r.stderr) || r.error?.message || "",
  };
}
function which(cmd) {
  const r = sh("sh", ["-c", `command -v ${cmd}`]);
  return r.ok && r.out ? r.out : undefined;
}
const firstLine = (s) => s.split("\n")[0] ?? "";

// ------------------------------------------------------------- the tools
const pkgBin = (pkg, bin) => {
  try {
    const p = JSON.parse(readFileSync(join(benchDir, "node_modules", pkg, "package.json"), "utf8"));
    const rel = typeof p.bin === "string" ? p.bin : p.bin?.[bin];
    const file = rel && join(benchDir, "node_modules", pkg, rel);
    return file && existsSync(file) ? { file, version: p.version } : undefined;
  } catch {
    return undefined;
  }
};
const tools = {};
{
  const cli = join(root, "bin", "runner.js");
  tools.runner = existsSync(join(root, "dist", "runner.cjs"))
    ? { argv: ["node", cli], version: JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version }
    : { missing: "dist/ not built (npm install, or node tasks/bundle.mjs)" };
  for (const [name, pkg, bin] of [
    ["concurrently", "concurrently", "concurrently"],
    ["hereby", "hereby", "hereby"],
    ["run-p", "npm-run-all2", "run-p"],
  ]) {
    const b = pkgBin(pkg, bin);
    tools[name] = b
      ? { argv: ["node", b.file], version: `${pkg}@${b.version}` }
      : { missing: `bench/node_modules/${pkg} not installed (bench/setup.sh)` };
  }
  const justNative = join(benchDir, "node_modules", "rust-just-linux-x64", "bin", "just");
  const just = existsSync(justNative) ? justNative : which("just");
  tools.just = just
    ? { argv: [just], version: firstLine(sh(just, ["--version"]).out) }
    : { missing: "rust-just not installed (bench/setup.sh)" };
  const invoke = which("invoke");
  tools.invoke = invoke
    ? { argv: [invoke], version: `invoke ${firstLine(sh(invoke, ["--version"]).out).replace(/^Invoke\s*/i, "")}` }
    : { missing: "python3-invoke not installed (bench/setup.sh, as root)" };
  const wireit = pkgBin("wireit", "wireit");
  tools.wireit = wireit
    ? { argv: ["node", wireit.file], version: `wireit@${wireit.version}` }
    : { missing: "bench/node_modules/wireit not installed (bench/setup.sh)" };
  // go-task's npm package downloads its binary in a postinstall script (npm 11 does not run
  // it), and its releases come from GitHub: it is measured only where `task` is on PATH.
  const goTask = which("task");
  tools["go-task"] = goTask
    ? { argv: [goTask], version: `go-task ${firstLine(sh(goTask, ["--version"]).out)}` }
    : { missing: "go-task not installed (its npm package downloads the binary from GitHub at install)" };
  const npm = which("npm");
  tools.npm = npm ? { argv: [npm], version: `npm ${sh(npm, ["--version"]).out}` } : { missing: "npm not on PATH" };
  tools.node = { argv: ["node"], version: sh("node", ["--version"]).out };
  tools.sh = { argv: ["sh"], version: "sh" };
  tools.time = existsSync("/usr/bin/time") ? { argv: ["/usr/bin/time"] } : { missing: "GNU time" };
}
const hyperfine = which("hyperfine");
if (!hyperfine) {
  console.error("bench: hyperfine is not installed (apt-get install -y hyperfine, or bench/setup.sh)");
  process.exit(1);
}
const hyperfineVersion = sh(hyperfine, ["--version"]).out;

// ------------------------------------------------------------- measuring
const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/**
 * One row: time `args` (after the tool's own argv) with hyperfine, in `cwd`.
 * Returns { label, kind, median, runs, status, note }.
 */
function measure({ label, tool, args, cwd, kind = "peer", speed = "load", skip, extraEnv, ideal }) {
  const row = { label, kind, tool };
  if (ideal !== undefined) return { ...row, status: "ok", median: ideal, runs: "—" };
  const t = tools[tool];
  if (t.missing) return { ...row, status: "missing", note: t.missing };
  if (skip) return { ...row, status: "skipped", note: skip };
  const { warmup, runs } = R[speed];
  const json = join(tmp, `${Math.random().toString(36).slice(2)}.json`);
  const cmd = [...t.argv, ...args].map(quote).join(" ");
  process.stderr.write(`  ${label} ... `);
  const r = sh(
    hyperfine,
    ["-N", "--style", "none", "--warmup", String(warmup), "--runs", String(runs), "--export-json", json, cmd],
    { cwd, env: { ...env, ...extraEnv }, timeout: 15 * 60_000 },
  );
  if (!r.ok || !existsSync(json)) {
    const why = (r.err || r.out).split("\n").filter(Boolean).slice(-2).join(" ").slice(0, 160);
    process.stderr.write(`failed\n`);
    return { ...row, status: "failed", note: why || "hyperfine failed" };
  }
  const res = JSON.parse(readFileSync(json, "utf8")).results[0];
  process.stderr.write(`${fmt(res.median)}\n`);
  return { ...row, status: "ok", median: res.median, runs: res.times.length };
}

/** Peak RSS (kB) and wall time of one run, via /usr/bin/time -v or /proc/<pid>/status VmHWM. */
function peakRss({ label, args, cwd, extraEnv }) {
  const row = { label, kind: "runner", tool: "runner" };
  if (tools.runner.missing) return { ...row, status: "missing", note: tools.runner.missing };
  const full = [...tools.runner.argv, ...args];
  process.stderr.write(`  ${label} ... `);
  const start = performance.now();
  let kb;
  let ok;
  let err;
  if (!tools.time.missing) {
    const r = sh("/usr/bin/time", ["-v", ...full], {
      cwd,
      env: { ...env, ...extraEnv },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.err);
    kb = m ? Number(m[1]) : undefined;
    ok = r.ok;
    err = r.err.split("\n").slice(-3).join(" ");
  } else {
    // Sample VmHWM (the kernel's own high-water mark) while the process runs.
    const script = `${full.map(quote).join(" ")} >/dev/null 2>&1 & p=$!; hwm=0
      while kill -0 $p 2>/dev/null; do v=$(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null); [ -n "$v" ] && hwm=$v; sleep 0.05; done
      wait $p; s=$?; echo $hwm; exit $s`;
    const r = sh("sh", ["-c", script], { cwd, env: { ...env, ...extraEnv } });
    kb = Number(r.out.split("\n").pop()) || undefined;
    ok = r.ok;
    err = r.err;
  }
  const seconds = (performance.now() - start) / 1000;
  process.stderr.write(`${kb ? `${(kb / 1024).toFixed(0)} MB` : "?"} in ${fmt(seconds)}\n`);
  if (!ok || !kb) return { ...row, status: "failed", note: err.slice(0, 160) || "no peak RSS" };
  return { ...row, status: "ok", rssMB: kb / 1024, median: seconds, runs: 1 };
}

function fmt(s) {
  if (s === undefined) return "";
  return s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`;
}

// ------------------------------------------------------------- scenarios
const trueNames = Array.from({ length: 200 }, (_, i) => `t${i + 1}`);
const remoteTrueNames = trueNames.slice(0, 100);
const sleepNames = Array.from({ length: 8 }, (_, i) => `s${i + 1}`);
const burnNames = Array.from({ length: 4 }, (_, i) => `b${i + 1}`);
const nodeFloor = { label: "node -e 0", tool: "node", args: ["-e", "0"], kind: "floor", speed: "startup" };
const spawnLoop = (n, j, c) => ({
  label: `bare spawn loop (node, ${n} × \`${c}\`, ${j} at a time)`,
  tool: "node",
  args: [join(benchDir, "spawn-loop.mjs"), String(n), String(j), c],
  kind: "floor",
});

/** Scenarios 2 and 3: every tool running one task of the basic fixture, against `node -e 0`. */
function runOneTask(name) {
  return [
    nodeFloor,
    { label: `runner ${name}`, tool: "runner", args: [name], kind: "runner", speed: "startup" },
    { label: `invoke ${name}`, tool: "invoke", args: [name], speed: "startup" },
    { label: `hereby ${name}`, tool: "hereby", args: [name], speed: "startup" },
    { label: `just ${name}`, tool: "just", args: [name], speed: "startup" },
    { label: `npm run ${name}`, tool: "npm", args: ["run", "--silent", name], speed: "startup" },
  ];
}

const scenarios = [
  {
    id: 1,
    title: "List the tasks of the `mytime` example",
    cwd: basic,
    ratio: "floor",
    target: { text: "runner --list ≤ 1.25 × node -e 0", row: "runner --list", vs: "node -e 0", factor: 1.25 },
    rows: [
      nodeFloor,
      { label: "runner --list", tool: "runner", args: ["--list"], kind: "runner", speed: "startup" },
      { label: "invoke --list", tool: "invoke", args: ["--list"], speed: "startup" },
      { label: "hereby --tasks", tool: "hereby", args: ["--tasks"], speed: "startup" },
      { label: "just --list", tool: "just", args: ["--list"], speed: "startup" },
      { label: "npm run (lists scripts)", tool: "npm", args: ["run"], speed: "startup" },
    ],
  },
  {
    id: 2,
    title: "Run `mytime`",
    cwd: basic,
    ratio: "floor",
    target: undefined,
    rows: runOneTask("mytime"),
  },
  {
    id: 3,
    title: "One task running `echo hi`",
    cwd: basic,
    ratio: "floor",
    target: { text: "runner hello ≤ 1.5 × node -e 0", row: "runner hello", vs: "node -e 0", factor: 1.5 },
    rows: runOneTask("hello"),
  },
  {
    id: 4,
    title: "200 tasks each running `true`, 2 at a time",
    cwd: load,
    ratio: "peer",
    target: {
      text: "runner ≤ 0.8 × concurrently -m 2",
      row: "runner -p -j2 t1 … t200",
      vs: "concurrently -m 2",
      factor: 0.8,
    },
    rows: [
      spawnLoop(200, 2, commands.true),
      { label: "runner -p -j2 t1 … t200", tool: "runner", args: ["-p", "-j2", ...trueNames], kind: "runner" },
      { label: "concurrently -m 2", tool: "concurrently", args: ["-m", "2", ...trueNames.map(() => commands.true)] },
      {
        label: "run-p --max-parallel 2 t1 … t200",
        tool: "run-p",
        args: ["--max-parallel", "2", ...trueNames],
        speed: "slow",
        skip: quick ? "skipped with --quick (about 13 s a run)" : undefined,
      },
    ],
  },
  {
    id: 5,
    title: "8 tasks each running `sleep 0.5`, 8 at a time",
    cwd: load,
    ratio: "peer",
    target: { text: "runner ≤ 1.1 × the ideal 0.5 s", row: "runner -p -j8 s1 … s8", absolute: 0.55 },
    rows: [
      spawnLoop(8, 8, commands.sleep),
      { label: "runner -p -j8 s1 … s8", tool: "runner", args: ["-p", "-j8", ...sleepNames], kind: "runner" },
      { label: "concurrently -m 8", tool: "concurrently", args: ["-m", "8", ...sleepNames.map(() => commands.sleep)] },
      { label: "run-p --max-parallel 8 s1 … s8", tool: "run-p", args: ["--max-parallel", "8", ...sleepNames] },
      { label: "just sleeps ([parallel] deps)", tool: "just", args: ["sleeps"] },
      { label: "hereby sleeps (8 deps)", tool: "hereby", args: ["sleeps"] },
    ],
  },
  {
    id: 6,
    title: "One task printing 20 MB of text, captured and shown",
    cwd: load,
    ratio: "peer",
    target: {
      text: "runner ≤ 0.5 × concurrently",
      rows: ["runner big", "runner -p --output prefixed big"],
      vs: "concurrently",
      factor: 0.5,
    },
    rows: [
      { label: "sh -c (direct shell)", tool: "sh", args: ["-c", commands.big], kind: "floor" },
      { label: "runner big", tool: "runner", args: ["big"], kind: "runner" },
      {
        label: "runner -p --output prefixed big",
        tool: "runner",
        args: ["-p", "--output", "prefixed", "big"],
        kind: "runner",
      },
      { label: "concurrently", tool: "concurrently", args: [commands.big] },
      { label: "run-p big", tool: "run-p", args: ["big"] },
      {
        label: "invoke big",
        tool: "invoke",
        args: ["big"],
        speed: "slow",
        skip: quick ? "skipped with --quick (about 30–50 s a run)" : undefined,
      },
    ],
  },
  {
    id: 7,
    title: `One task printing ${hugeBytes >= 1e9 ? "1 GB" : `${hugeBytes / 1e6} MB`} of text: peak RSS`,
    cwd: load,
    ratio: "rss",
    target: { text: "runner peak RSS ≤ 150 MB", rssMB: 150 },
    rss: true,
    rows: [
      { label: "runner huge", args: ["huge"] },
      { label: "runner -p --output prefixed huge", args: ["-p", "--output", "prefixed", "huge"] },
    ],
  },
  {
    id: 8,
    title: "4 isolated tasks each burning 1 s of CPU in JavaScript, 2 at a time",
    cwd: isolate,
    ratio: "ideal",
    target: {
      text: "runner --isolate ≤ 1.15 × the ideal 2 s",
      row: "runner -p -j2 --isolate b1 … b4",
      absolute: 2 * 1.15,
    },
    rows: [
      { label: "ideal (4 × 1 s of CPU on 2 CPUs)", kind: "ideal", ideal: 2 },
      {
        label: "runner -p -j2 --isolate b1 … b4",
        tool: "runner",
        args: ["-p", "-j2", "--isolate", ...burnNames],
        kind: "runner",
      },
      {
        label: "runner -p -j2 b1 … b4 (in-process)",
        tool: "runner",
        args: ["-p", "-j2", ...burnNames],
        kind: "runner",
        speed: "slow",
      },
      {
        label: "fork pool (node, 4 jobs, 2 workers)",
        tool: "node",
        args: [join(benchDir, "fork-burn.mjs"), "4", "2", "1000"],
      },
    ],
  },
  {
    id: 9,
    title: "200 isolated tasks each running `true`, 2 at a time",
    // Scenario 4's tasks, isolated.
    cwd: load,
    ratio: "row",
    ratioRow: "runner -p -j2 t1 … t200 (in-process)",
    target: {
      text: "runner --isolate ≤ 1.3 × the same run in-process",
      row: "runner -p -j2 --isolate t1 … t200",
      vs: "runner -p -j2 t1 … t200 (in-process)",
      factor: 1.3,
    },
    rows: [
      {
        label: "runner -p -j2 --isolate t1 … t200",
        tool: "runner",
        args: ["-p", "-j2", "--isolate", ...trueNames],
        kind: "runner",
      },
      {
        label: "runner -p -j2 t1 … t200 (in-process)",
        tool: "runner",
        args: ["-p", "-j2", ...trueNames],
        kind: "runner",
      },
    ],
  },
  {
    id: 10,
    title: "100 tasks each running `true` through 2 local workers over Redis, 2 at a time",
    // Scenario 4's first 100 tasks; the workers run them from the same tasks file.
    cwd: load,
    ratio: "row",
    ratioRow: "runner -p -j2 t1 … t100 (local)",
    ratioName: "× local",
    remote: { workers: ["w1", "w2"] },
    target: {
      text: "runner --redis ≤ 3 × the same run locally",
      row: "runner --redis … -p -j2 t1 … t100 (2 workers)",
      vs: "runner -p -j2 t1 … t100 (local)",
      factor: 3,
    },
    rows: (url) => [
      {
        label: "runner --redis … -p -j2 t1 … t100 (2 workers)",
        tool: "runner",
        args: ["--redis", url, "-p", "-j2", ...remoteTrueNames],
        kind: "runner",
      },
      {
        label: "runner -p -j2 t1 … t100 (local)",
        tool: "runner",
        args: ["-p", "-j2", ...remoteTrueNames],
        kind: "runner",
      },
    ],
  },
  {
    id: 11,
    title: "One remote task printing 20 MB of text, captured and shown",
    // Scenario 6's task, through one worker.
    cwd: load,
    ratio: "row",
    ratioRow: "runner big (local)",
    ratioName: "× local",
    remote: { workers: ["w1"] },
    target: {
      text: "runner --redis ≤ 3 × the same task locally",
      row: "runner --redis … big (1 worker)",
      vs: "runner big (local)",
      factor: 3,
    },
    rows: (url) => [
      { label: "runner --redis … big (1 worker)", tool: "runner", args: ["--redis", url, "big"], kind: "runner" },
      { label: "runner big (local)", tool: "runner", args: ["big"], kind: "runner" },
    ],
  },
  {
    id: 12,
    title: "`build` up to date, its sources matching 5,000 files",
    // Made at run time in the temp dir (5,000 files are not worth a commit): see makeIncremental.
    cwd: join(tmp, "incremental"),
    prepare: makeIncremental,
    ratio: "row",
    ratioRow: "runner --list (same project)",
    ratioName: "× --list",
    target: {
      text: "runner build (up to date) ≤ 1.5 × runner --list on the same project",
      row: "runner build (up to date)",
      vs: "runner --list (same project)",
      factor: 1.5,
    },
    rows: [
      { label: "runner build (up to date)", tool: "runner", args: ["build"], kind: "runner", speed: "startup" },
      { label: "runner --list (same project)", tool: "runner", args: ["--list"], kind: "runner", speed: "startup" },
      {
        label: "wireit build (fresh, run directly)",
        tool: "wireit",
        args: [],
        speed: "startup",
        extraEnv: {
          npm_lifecycle_event: "build",
          npm_package_json: join(tmp, "incremental", "package.json"),
          npm_config_user_agent: "npm/11 node",
        },
      },
      { label: "task build (go-task, up to date)", tool: "go-task", args: ["build"], speed: "startup" },
    ],
  },
];

/**
 * Scenario 12's project: 5,000 source files in 50 folders, one `build` task over them in
 * runner's tasks.ts, wireit's package.json and go-task's Taskfile.yml, each run once so that
 * every tool has recorded its fingerprint before it is timed.
 */
function makeIncremental(dir) {
  rmSync(dir, { recursive: true, force: true });
  for (let d = 0; d < 50; d++) {
    mkdirSync(join(dir, "src", `m${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) {
      writeFileSync(join(dir, "src", `m${d}`, `f${f}.ts`), `export const v${d}_${f} = ${d * 100 + f};\n`);
    }
  }
  writeFileSync(
    join(dir, "build.mjs"),
    `import { mkdirSync, writeFileSync } from "node:fs";\nmkdirSync("dist", { recursive: true });\nwriteFileSync("dist/out.txt", "built\\n");\n`,
  );
  writeFileSync(
    join(dir, "tasks.ts"),
    [
      `import { task } from "runner-ts";`,
      ``,
      `/** Build dist/ from src/ */`,
      `export const build = task({`,
      `  sources: ["src/**/*.ts"],`,
      `  outputs: ["dist/**"],`,
      `  run: (ctx) => ctx.exec(process.execPath, ["build.mjs"]),`,
      `});`,
      ``,
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: "incremental",
        private: true,
        scripts: { build: "wireit" },
        wireit: { build: { command: "node build.mjs", files: ["src/**/*.ts"], output: ["dist/**"] } },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, "Taskfile.yml"),
    `version: "3"\ntasks:\n  build:\n    sources: ["src/**/*.ts"]\n    generates: ["dist/**"]\n    cmds: ["node build.mjs"]\n`,
  );
  const scenario = scenarios.find((sc) => sc.id === 12);
  for (const row of scenario?.rows ?? []) {
    const t = tools[row.tool];
    if (t.missing || row.args[0] === "--list") continue;
    const r = sh(t.argv[0], [...t.argv.slice(1), ...row.args], { cwd: dir, env: { ...env, ...row.extraEnv } });
    if (!r.ok) process.stderr.write(`  ${row.label}: the first run failed: ${(r.err || r.out).slice(-200)}\n`);
  }
}

// --------------------------------------------- Redis and workers (10–11)
const redisServer = which("redis-server");

/** A free loopback TCP port (asked of the kernel, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * A background process whose stdout and stderr go to `log`: hyperfine runs under spawnSync,
 * which blocks this event loop, so a pipe would fill up and stall the process.
 */
function background(cmd, args, { cwd, extraEnv, log }) {
  const fd = openSync(log, "w");
  const child = spawn(cmd, args, { cwd, env: { ...env, ...extraEnv }, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => {
    child.once("error", () => resolve());
    child.once("exit", () => resolve());
  });
  const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return { child, exited, running, log };
}

/**
 * Waits for `pattern` in the process's log; throws with the log's last lines if it ends or takes too long.
 * @param {ReturnType<typeof background>} p
 * @param {RegExp} pattern
 * @param {number} timeoutMs
 * @param {string} what
 */
async function waitForLine(p, pattern, timeoutMs, what) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const text = existsSync(p.log) ? readFileSync(p.log, "utf8") : "";
    if (pattern.test(text)) return;
    const tail = text.trim().split("\n").slice(-2).join(" ").slice(0, 200);
    if (!p.running()) throw new Error(`${what} ended before it was ready${tail ? `: ${tail}` : ""}`);
    if (performance.now() > end)
      throw new Error(`${what} not ready in ${timeoutMs / 1000} s${tail ? `: ${tail}` : ""}`);
    await sleep(25);
  }
}

/** SIGTERM, then waits (SIGKILL after `graceMs`). Only this script's own children, by pid. */
async function stopProcess(p, graceMs) {
  if (!p.running()) return;
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.running() && p.child.kill("SIGKILL"), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/**
 * A redis-server of its own (loopback, free port, temp dir, no persistence) and `names.length`
 * workers (`runner --worker --concurrency 1`) in `cwd`, each waited for until it says it is
 * waiting for tasks. Returns the URL and `stop()`, which ends the workers, then the server.
 */
async function startRemote(cwd, names) {
  const dir = mkdtempSync(join(tmp, "redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  /** @type {ReturnType<typeof background>[]} */
  const workers = [];
  let server;
  const stop = async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 30_000)));
    if (server) await stopProcess(server, 5000);
  };
  try {
    server = background(
      redisServer,
      ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--save", "", "--appendonly", "no"].concat([
        "--maxmemory-policy",
        "noeviction",
      ]),
      { cwd: dir, log: join(dir, "redis.log") },
    );
    await waitForLine(server, /Ready to accept connections/, 10_000, "redis-server");
    for (const name of names) {
      const [cmd, ...args] = tools.runner.argv;
      workers.push(
        background(cmd, [...args, "--worker", "--redis", url, "--concurrency", "1"], {
          cwd,
          extraEnv: { RUNNER_WORKER_NAME: name },
          log: join(dir, `${name}.log`),
        }),
      );
    }
    await Promise.all(
      workers.map((w, i) => {
        const line = new RegExp(`^runner worker ${names[i]}: waiting for tasks on `, "m");
        return waitForLine(w, line, 30_000, `worker ${names[i]}`);
      }),
    );
    process.stderr.write(`  redis-server on port ${port}, ${names.length} worker(s) ready\n`);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A remote scenario's rows: its server and workers started first, ended afterwards whatever happens. */
async function measureRemote(sc) {
  const rows = (url, extra = {}) => sc.rows(url).map((r) => measure({ ...r, cwd: sc.cwd, ...extra }));
  if (!redisServer) {
    process.stderr.write("  skipped: redis-server is not installed (apt-get install -y redis-server)\n");
    return rows("", { skip: "redis-server is not installed" });
  }
  if (tools.runner.missing) return rows("");
  let remote;
  try {
    remote = await startRemote(sc.cwd, sc.remote.workers);
    return rows(remote.url);
  } catch (error) {
    const note = error instanceof Error ? error.message : String(error);
    process.stderr.write(`  failed: ${note}\n`);
    return sc.rows("").map((r) => ({ label: r.label, kind: r.kind ?? "peer", tool: r.tool, status: "failed", note }));
  } finally {
    await remote?.stop();
  }
}

// ------------------------------------------------------------------ run
const results = [];
for (const sc of scenarios) {
  if (only && !only.includes(sc.id)) continue;
  process.stderr.write(`${sc.id}. ${sc.title}\n`);
  sc.prepare?.(sc.cwd);
  const rows = sc.remote
    ? await measureRemote(sc)
    : sc.rss
      ? sc.rows.map((r) => peakRss({ ...r, cwd: sc.cwd, extraEnv: { BENCH_BYTES: String(hugeBytes) } }))
      : sc.rows.map((r) => measure({ ...r, cwd: sc.cwd }));
  results.push({ sc, rows });
}
rmSync(tmp, { recursive: true, force: true });

// --------------------------------------------------------------- report
function judge(sc, rows) {
  const t = sc.target;
  if (!t) return [];
  const get = (label) => rows.find((r) => r.label === label);
  const lines = [];
  for (const label of t.rows ?? [t.row]) {
    const r = label ? get(label) : rows.find((x) => x.kind === "runner");
    if (!r || r.status !== "ok") {
      lines.push(`${t.text}: not measured (${r?.status ?? "no row"})`);
      continue;
    }
    if (t.rssMB !== undefined) {
      for (const x of rows.filter((x) => x.status === "ok")) {
        lines.push(
          `${x.label}: ${x.rssMB.toFixed(0)} MB — target ${t.rssMB} MB: **${x.rssMB <= t.rssMB ? "met" : "missed"}**`,
        );
      }
      break;
    }
    if (t.absolute !== undefined) {
      lines.push(`${t.text} (${fmt(t.absolute)}): ${fmt(r.median)} — **${r.median <= t.absolute ? "met" : "missed"}**`);
      continue;
    }
    const ref = get(t.vs);
    if (!ref || ref.status !== "ok") {
      lines.push(`${t.text}: reference \`${t.vs}\` ${ref?.status ?? "absent"}, cannot judge`);
      continue;
    }
    const ratio = r.median / ref.median;
    lines.push(`${t.text} (\`${label}\`): ${ratio.toFixed(2)} × — **${ratio <= t.factor ? "met" : "missed"}**`);
  }
  return lines;
}

function table(sc, rows) {
  const ok = rows.filter((r) => r.status === "ok");
  let ref;
  let refName;
  if (sc.ratio === "floor") {
    ref = ok.find((r) => r.label === "node -e 0")?.median;
    refName = "× node -e 0";
  } else if (sc.ratio === "ideal") {
    ref = ok.find((r) => r.kind === "ideal")?.median;
    refName = "× ideal";
  } else if (sc.ratio === "row") {
    ref = ok.find((r) => r.label === sc.ratioRow)?.median;
    refName = sc.ratioName ?? "× in-process";
  } else if (sc.ratio === "peer") {
    const peers = ok.filter((r) => r.kind === "peer");
    ref = peers.length ? Math.min(...peers.map((r) => r.median)) : undefined;
    refName = "× best peer";
  }
  const head =
    sc.ratio === "rss" ? ["tool", "peak RSS", "wall time", "note"] : ["tool", "median", refName, "runs", "note"];
  const lines = [
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 || i === head.length - 1 ? "---" : "---:")).join("|")}|`,
  ];
  for (const r of rows) {
    const label = r.kind === "runner" ? `**${r.label}**` : r.kind === "floor" ? `${r.label} (floor)` : r.label;
    if (r.status !== "ok") {
      lines.push(`| ${label} | ${r.status} |${sc.ratio === "rss" ? "" : " |"} | ${r.note ?? ""} |`);
    } else if (sc.ratio === "rss") {
      lines.push(`| ${label} | ${r.rssMB.toFixed(0)} MB | ${fmt(r.median)} | |`);
    } else {
      const ratio = ref ? (r.median / ref).toFixed(2) : "";
      lines.push(`| ${label} | ${fmt(r.median)} | ${ratio} | ${r.runs} | |`);
    }
  }
  return lines;
}

const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const cpus = os.cpus();
const versions = ["concurrently", "hereby", "run-p", "just", "invoke", "npm", "wireit", "go-task"]
  .map((k) => (tools[k].missing ? `${k}: missing` : tools[k].version))
  .join(", ");
const section = [
  `## Node ${tools.node.version}${quick ? " (--quick)" : ""}`,
  "",
  `- date: ${date}`,
  `- Node (runner, \`node -e 0\` and the Node-based peers): ${tools.node.version}`,
  `- CPUs: ${os.availableParallelism()} × ${cpus[0]?.model.trim() ?? "unknown"}; ${os.type()} ${os.release()} ${os.arch()}`,
  `- runner ${tools.runner.version ?? "missing"}; ${versions}; ${hyperfineVersion}`,
  `- hyperfine -N, medians of ${R.startup.runs} runs (start-up), ${R.load.runs} (throughput), ${R.slow.runs} (slow peers); output discarded`,
  "",
];
for (const { sc, rows } of results) {
  section.push(`### ${sc.id}. ${sc.title}`, "", ...table(sc, rows), "");
  const verdict = judge(sc, rows);
  section.push(...(verdict.length ? verdict.map((l) => `Target (SPEC §9): ${l}`) : ["Target (SPEC §9): none"]), "");
}
const text = section.join("\n");
console.log(text);

const intro = [
  "# Benchmark results",
  "",
  "Written by `bench/run.mjs` (`npm run bench`; see the top of that file for its options).",
  "Ratios are against `node -e 0` for the start-up scenarios (1–3), against the fastest",
  "peer for the throughput ones (4–6), against the ideal 2 s for the CPU burn (8),",
  "against the same run in-process for 200 isolated tasks (9) and against the same run",
  "locally for the runs through workers over Redis (10–11) and against `runner --list` on",
  "the same project for an up-to-date build (12); the SPEC §9 targets are checked under",
  "each table.",
  "What each missed target costs, and why, is in bench/README.md.",
  "",
].join("\n");
if (append && existsSync(out)) writeFileSync(out, `${readFileSync(out, "utf8").trimEnd()}\n\n${text}`);
else writeFileSync(out, `${intro}\n${text}`);
// Keep the file as `prettier --check .` wants it (tables aligned), when prettier is installed.
const prettier = join(root, "node_modules", ".bin", "prettier");
if (existsSync(prettier)) spawnSync(prettier, ["--write", "--log-level", "warn", out], { stdio: "inherit" });
console.error(`bench: wrote ${relative(process.cwd(), out) || out}`);
