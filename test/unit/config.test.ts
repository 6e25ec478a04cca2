// The configuration (config/resolve.ts, config/settings.ts), in process: defaults < config
// file < environment < command line, every key's check, and the error texts naming where a
// bad value came from. Config files are made-up paths: nothing is read from disk.
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { userError } from "./user-error.ts";
import { checkConfigFile, resolveConfig, type ConfigSources } from "../../src/config/resolve.ts";
import {
  defaults,
  ENV_NAMES,
  KEYS,
  type ConfigKey,
  type RawConfig,
  type RunnerConfig,
} from "../../src/config/settings.ts";

const RC = "/x/.runnerrc.json";

function resolved(sources: Partial<ConfigSources> = {}): RunnerConfig {
  return resolveConfig({ file: undefined, env: {}, cli: {}, cliNames: {}, ...sources });
}

/** The config with only `values` in a config file at `path`. */
function fromFile(values: unknown, path = RC): RunnerConfig {
  return resolved({ file: checkConfigFile({ path, values }) });
}

/** The config with only `text` in the environment variable of `key`. */
function fromEnv(key: ConfigKey, text: string): unknown {
  return resolved({ env: { [ENV_NAMES[key]]: text } })[key];
}

/** The message of the UserError `fn` throws (failing when it throws nothing or something else). */
const errorOf = (fn: () => unknown): string => userError(fn).message;

const envError = (key: ConfigKey, text: string): string => errorOf(() => fromEnv(key, text));
const fileError = (values: unknown, path = RC): string => errorOf(() => fromFile(values, path));

describe("settings", () => {
  it("has a default for every key", () => {
    expect(defaults()).toEqual({
      jobs: availableParallelism(),
      output: undefined,
      timeout: undefined,
      retries: 0,
      killGrace: 3000,
      shell: "/bin/sh",
      env: {},
      echo: false,
      color: undefined,
      file: undefined,
      dotenv: [],
      captureLimit: 1024 * 1024,
      isolate: false,
      isolateMaxRss: undefined,
      redis: undefined,
      redisQueue: "runner",
      redisLockDuration: 30_000,
      redisStalledInterval: 30_000,
      redisMaxStalled: 1,
      workerGrace: 30_000,
    });
    expect([...KEYS].sort()).toEqual(Object.keys(defaults()).sort());
  });

  it("names each key's environment variable RUNNER_ and the key in capitals", () => {
    for (const key of KEYS) {
      expect(ENV_NAMES[key]).toBe(`RUNNER_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
    }
    expect(ENV_NAMES.killGrace).toBe("RUNNER_KILL_GRACE");
    expect(ENV_NAMES.captureLimit).toBe("RUNNER_CAPTURE_LIMIT");
  });
});

describe("precedence", () => {
  /** For each key: a config file value, environment text and command-line text, and what each resolves to. */
  const LEVELS: readonly {
    key: ConfigKey;
    file: unknown;
    fileResult: unknown;
    env: string;
    envResult: unknown;
    cli: string;
    cliResult: unknown;
  }[] = [
    { key: "jobs", file: 2, fileResult: 2, env: "3", envResult: 3, cli: "4", cliResult: 4 },
    {
      key: "output",
      file: "grouped",
      fileResult: "grouped",
      env: "interleaved",
      envResult: "interleaved",
      cli: "quiet",
      cliResult: "quiet",
    },
    { key: "timeout", file: "5m", fileResult: 300_000, env: "90s", envResult: 90_000, cli: "1h", cliResult: 3_600_000 },
    { key: "retries", file: 1, fileResult: 1, env: "2", envResult: 2, cli: "3", cliResult: 3 },
    { key: "killGrace", file: "1s", fileResult: 1000, env: "2000", envResult: 2000, cli: "3s", cliResult: 3000 },
    {
      key: "shell",
      file: "/bin/bash",
      fileResult: "/bin/bash",
      env: "zsh",
      envResult: "zsh",
      cli: "fish",
      cliResult: "fish",
    },
    {
      key: "env",
      file: { A: "file" },
      fileResult: { A: "file" },
      env: '{"A":"env"}',
      envResult: { A: "env" },
      cli: '{"A":"cli"}',
      cliResult: { A: "cli" },
    },
    { key: "echo", file: true, fileResult: true, env: "no", envResult: false, cli: "true", cliResult: true },
    { key: "color", file: false, fileResult: false, env: "on", envResult: true, cli: "0", cliResult: false },
    {
      key: "file",
      file: "ci.ts",
      fileResult: "/x/ci.ts",
      env: "/env/tasks.ts",
      envResult: "/env/tasks.ts",
      cli: "/cli/tasks.ts",
      cliResult: "/cli/tasks.ts",
    },
    {
      key: "dotenv",
      file: [".env"],
      fileResult: [{ path: "/x/.env", required: false }],
      env: "/a.env,/b.env",
      envResult: [
        { path: "/a.env", required: false },
        { path: "/b.env", required: false },
      ],
      cli: "/c.env",
      cliResult: [{ path: "/c.env", required: false }],
    },
    { key: "captureLimit", file: 2048, fileResult: 2048, env: "4096", envResult: 4096, cli: "8192", cliResult: 8192 },
    { key: "isolate", file: true, fileResult: true, env: "no", envResult: false, cli: "true", cliResult: true },
    {
      key: "isolateMaxRss",
      file: "1GB",
      fileResult: 1e9,
      env: "512MiB",
      envResult: 512 * 2 ** 20,
      cli: "1000",
      cliResult: 1000,
    },
    {
      key: "redis",
      file: "redis://a:6379",
      fileResult: "redis://a:6379",
      env: "rediss://b:6380",
      envResult: "rediss://b:6380",
      cli: "redis://c",
      cliResult: "redis://c",
    },
    { key: "redisQueue", file: "a", fileResult: "a", env: "b.c", envResult: "b.c", cli: "d-e", cliResult: "d-e" },
    {
      key: "redisLockDuration",
      file: "10s",
      fileResult: 10_000,
      env: "1000",
      envResult: 1000,
      cli: "1m",
      cliResult: 60_000,
    },
    {
      key: "redisStalledInterval",
      file: 500,
      fileResult: 500,
      env: "2s",
      envResult: 2000,
      cli: "750ms",
      cliResult: 750,
    },
    { key: "redisMaxStalled", file: 0, fileResult: 0, env: "3", envResult: 3, cli: "5", cliResult: 5 },
    { key: "workerGrace", file: "1m", fileResult: 60_000, env: "0", envResult: 0, cli: "5s", cliResult: 5000 },
  ];

  it("covers every key", () => {
    expect(LEVELS.map((level) => level.key)).toEqual(KEYS);
  });

  it.each(LEVELS)("resolves $key: defaults < file < environment < command line", (level) => {
    const { key } = level;
    const file = checkConfigFile({ path: RC, values: { [key]: level.file } });
    const env = { [ENV_NAMES[key]]: level.env };
    const cli: RawConfig = { [key]: level.cli };
    expect(resolved()[key]).toEqual(defaults()[key]);
    expect(resolved({ file })[key]).toEqual(level.fileResult);
    expect(resolved({ file, env })[key]).toEqual(level.envResult);
    expect(resolved({ env })[key]).toEqual(level.envResult);
    expect(resolved({ file, env, cli })[key]).toEqual(level.cliResult);
    expect(resolved({ cli })[key]).toEqual(level.cliResult);
    // The other keys keep their defaults.
    const others = (config: RunnerConfig): Record<string, unknown> =>
      Object.fromEntries(Object.entries(config).filter(([k]) => k !== key));
    expect(others(resolved({ file, env, cli }))).toEqual(others(defaults()));
  });

  it("ignores an empty environment variable", () => {
    const file = checkConfigFile({ path: RC, values: { jobs: 2 } });
    expect(resolved({ file, env: { RUNNER_JOBS: "" } }).jobs).toBe(2);
    expect(resolved({ env: { RUNNER_SHELL: "", RUNNER_ENV: "" } })).toMatchObject({ shell: "/bin/sh", env: {} });
  });

  it("reads only RUNNER_* variables", () => {
    expect(resolved({ env: { JOBS: "3", jobs: "3", RUNNER_jobs: "3" } }).jobs).toBe(availableParallelism());
  });

  it("gives a frozen result", () => {
    const config = resolved({ env: { RUNNER_JOBS: "3" } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { jobs: number }).jobs = 1;
    }).toThrow(TypeError);
    expect(config.jobs).toBe(3);
  });
});

describe("checks", () => {
  it("wants jobs a whole number ≥ 1", () => {
    expect(fromEnv("jobs", "1")).toBe(1);
    expect(fromEnv("jobs", "12")).toBe(12);
    // Plain decimal digits only: no blanks, hex, exponents or Infinity.
    for (const text of [" 12 ", "0x10", "1e3", "Infinity", "+3"]) {
      expect(envError("jobs", text)).toContain(`Invalid value "${text}" for RUNNER_JOBS`);
    }
    expect(envError("jobs", "many")).toBe(
      'Invalid value "many" for RUNNER_JOBS in the environment: expected a whole number ≥ 1.',
    );
    expect(envError("jobs", "0")).toBe(
      'Invalid value "0" for RUNNER_JOBS in the environment: expected a whole number ≥ 1.',
    );
    expect(envError("jobs", "1.5")).toContain('Invalid value "1.5" for RUNNER_JOBS');
    expect(envError("jobs", " ")).toContain('Invalid value " " for RUNNER_JOBS');
    expect(fileError({ jobs: 0 })).toBe(`Invalid value 0 for jobs in ${RC}: expected a whole number ≥ 1.`);
    // A file gives typed values: the text "3" is not a number there, and shows quoted.
    expect(fileError({ jobs: "3" })).toBe(`Invalid value "3" for jobs in ${RC}: expected a whole number ≥ 1.`);
  });

  it("wants retries a whole number ≥ 0", () => {
    expect(fromEnv("retries", "0")).toBe(0);
    expect(fromFile({ retries: 2 }).retries).toBe(2);
    expect(envError("retries", "-1")).toBe(
      'Invalid value "-1" for RUNNER_RETRIES in the environment: expected a whole number ≥ 0.',
    );
    expect(fileError({ retries: 1.5 })).toBe(`Invalid value 1.5 for retries in ${RC}: expected a whole number ≥ 0.`);
  });

  it("reads timeout and killGrace as durations: 90s, 5m, 1h, or milliseconds", () => {
    for (const key of ["timeout", "killGrace"] as const) {
      expect(fromEnv(key, "90s")).toBe(90_000);
      expect(fromEnv(key, "5m")).toBe(300_000);
      expect(fromEnv(key, "1h")).toBe(3_600_000);
      expect(fromEnv(key, "250ms")).toBe(250);
      expect(fromEnv(key, "1500")).toBe(1500);
      expect(fromFile({ [key]: 1500 })[key]).toBe(1500);
      expect(fromFile({ [key]: "2s" })[key]).toBe(2000);
    }
    expect(fromEnv("timeout", "0")).toBe(0);
    expect(envError("timeout", "soon")).toBe(
      'Invalid value "soon" for RUNNER_TIMEOUT in the environment: expected a duration like "90s", "5m", "1h" or milliseconds.',
    );
    expect(fileError({ timeout: -1 })).toBe(
      `Invalid value -1 for timeout in ${RC}: expected a duration like "90s", "5m", "1h" or milliseconds.`,
    );
    expect(envError("killGrace", "3 days")).toBe(
      'Invalid value "3 days" for RUNNER_KILL_GRACE in the environment: expected a duration like "3s" or milliseconds.',
    );
  });

  it("wants output one of the modes", () => {
    for (const mode of ["prefixed", "grouped", "interleaved", "quiet"]) {
      expect(fromEnv("output", mode)).toBe(mode);
      expect(fromFile({ output: mode }).output).toBe(mode);
    }
    expect(envError("output", "fancy")).toBe(
      'Invalid value "fancy" for RUNNER_OUTPUT in the environment: expected one of prefixed, grouped, interleaved, quiet.',
    );
  });

  it("wants env an object of strings, as JSON text in the environment", () => {
    expect(fromEnv("env", '{"A":"1","B":""}')).toEqual({ A: "1", B: "" });
    expect(fromFile({ env: { NODE_ENV: "test" } }).env).toEqual({ NODE_ENV: "test" });
    const expected = "expected an object of string values.";
    expect(envError("env", "A=1")).toBe(`Invalid value "A=1" for RUNNER_ENV in the environment: ${expected}`);
    expect(envError("env", '{"A":1}')).toBe(`Invalid value "{"A":1}" for RUNNER_ENV in the environment: ${expected}`);
    expect(envError("env", '["A"]')).toBe(`Invalid value "["A"]" for RUNNER_ENV in the environment: ${expected}`);
    expect(envError("env", "null")).toBe(`Invalid value "null" for RUNNER_ENV in the environment: ${expected}`);
    expect(fileError({ env: { A: 1 } })).toBe(`Invalid value {"A":1} for env in ${RC}: ${expected}`);
    // In a file, JSON text is only a string.
    expect(fileError({ env: '{"A":"1"}' })).toBe(`Invalid value "{"A":"1"}" for env in ${RC}: ${expected}`);
  });

  it("reads echo and color from text true/1/yes/on and false/0/no/off", () => {
    for (const key of ["echo", "color"] as const) {
      for (const text of ["true", "1", "yes", "on"]) expect(fromEnv(key, text)).toBe(true);
      for (const text of ["false", "0", "no", "off"]) expect(fromEnv(key, text)).toBe(false);
      expect(fromFile({ [key]: true })[key]).toBe(true);
      expect(fromFile({ [key]: false })[key]).toBe(false);
    }
    expect(envError("echo", "maybe")).toBe(
      'Invalid value "maybe" for RUNNER_ECHO in the environment: expected true or false.',
    );
    expect(envError("color", "sometimes")).toBe(
      'Invalid value "sometimes" for RUNNER_COLOR in the environment: expected true or false.',
    );
    // A file gives typed values: the text "yes" is not a boolean there.
    expect(fileError({ echo: "yes" })).toBe(`Invalid value "yes" for echo in ${RC}: expected true or false.`);
  });

  it("wants shell and file non-empty text", () => {
    expect(fromEnv("shell", "/bin/bash")).toBe("/bin/bash");
    expect(fileError({ shell: "" })).toBe(`Invalid value "" for shell in ${RC}: expected the path or name of a shell.`);
    expect(fileError({ file: 3 })).toBe(`Invalid value 3 for file in ${RC}: expected a path.`);
  });

  it("reads dotenv comma-separated or as JSON from text, a list or a string in a file, false for none", () => {
    const optional = (path: string) => ({ path, required: false });
    expect(fromEnv("dotenv", "/a.env,/b.env")).toEqual([optional("/a.env"), optional("/b.env")]);
    expect(fromEnv("dotenv", "/a.env")).toEqual([optional("/a.env")]);
    expect(fromEnv("dotenv", "/a.env,,/b.env,")).toEqual([optional("/a.env"), optional("/b.env")]);
    expect(fromEnv("dotenv", `["/a.env", {"path": "/ci.env", "required": true}]`)).toEqual([
      optional("/a.env"),
      { path: "/ci.env", required: true },
    ]);
    expect(fromFile({ dotenv: ".env" }).dotenv).toEqual([optional("/x/.env")]);
    expect(fromFile({ dotenv: [".env", ".env.local"] }).dotenv).toEqual([
      optional("/x/.env"),
      optional("/x/.env.local"),
    ]);
    expect(fromFile({ dotenv: [".env", { path: ".env.ci", required: true }] }).dotenv).toEqual([
      optional("/x/.env"),
      { path: "/x/.env.ci", required: true },
    ]);
    expect(fromFile({ dotenv: [{ path: ".env", required: false }] }).dotenv).toEqual([optional("/x/.env")]);
    expect(fromFile({ dotenv: [] }).dotenv).toEqual([]);
    expect(fromFile({ dotenv: false }).dotenv).toEqual([]);
    const expected = 'expected a path, or a list of paths and { "path": …, "required": true } objects.';
    expect(fileError({ dotenv: true })).toBe(`Invalid value true for dotenv in ${RC}: ${expected}`);
    expect(fileError({ dotenv: [".env", 3] })).toBe(`Invalid value [".env",3] for dotenv in ${RC}: ${expected}`);
    expect(fileError({ dotenv: "" })).toBe(`Invalid value "" for dotenv in ${RC}: ${expected}`);
    expect(fileError({ dotenv: [{ path: ".env", required: "yes" }] })).toBe(
      `Invalid value [{"path":".env","required":"yes"}] for dotenv in ${RC}: ${expected}`,
    );
    expect(fileError({ dotenv: [{ file: ".env" }] })).toBe(
      `Invalid value [{"file":".env"}] for dotenv in ${RC}: ${expected}`,
    );
    expect(envError("dotenv", "[oops")).toContain(expected);
  });

  it("wants captureLimit a whole number of bytes from 1024 to 256 MiB", () => {
    expect(fromEnv("captureLimit", "1024")).toBe(1024);
    expect(envError("captureLimit", "1023")).toBe(
      'Invalid value "1023" for RUNNER_CAPTURE_LIMIT in the environment: expected a whole number of bytes from 1024 to 268435456 (256 MiB).',
    );
    expect(fileError({ captureLimit: 100 })).toBe(
      `Invalid value 100 for captureLimit in ${RC}: expected a whole number of bytes from 1024 to 268435456 (256 MiB).`,
    );
  });

  it("names the command line's spelling of a key, or --key without one", () => {
    const cliNames = { jobs: "--jobs", echo: "--echo" } as const;
    expect(errorOf(() => resolved({ cli: { jobs: "abc" }, cliNames }))).toBe(
      'Invalid value "abc" for --jobs: expected a whole number ≥ 1.',
    );
    expect(errorOf(() => resolved({ cli: { jobs: "abc" }, cliNames: { jobs: "-j" } }))).toBe(
      'Invalid value "abc" for -j: expected a whole number ≥ 1.',
    );
    expect(errorOf(() => resolved({ cli: { retries: "x" } }))).toBe(
      'Invalid value "x" for --retries: expected a whole number ≥ 0.',
    );
  });

  it("checks the command line even when the environment is valid, and the environment even when the command line overrides it", () => {
    expect(errorOf(() => resolved({ env: { RUNNER_JOBS: "2" }, cli: { jobs: "0" } }))).toBe(
      'Invalid value "0" for --jobs: expected a whole number ≥ 1.',
    );
    expect(errorOf(() => resolved({ env: { RUNNER_JOBS: "none" }, cli: { jobs: "2" } }))).toBe(
      'Invalid value "none" for RUNNER_JOBS in the environment: expected a whole number ≥ 1.',
    );
  });
});

describe("checkConfigFile", () => {
  it("fails for a config that is not an object", () => {
    for (const values of [null, [], "jobs: 3", 3, true]) {
      expect(errorOf(() => checkConfigFile({ path: RC, values }))).toBe(
        `Invalid configuration in ${RC}: expected an object of settings.`,
      );
    }
  });

  it("fails for an unknown setting, suggesting a close one", () => {
    expect(errorOf(() => checkConfigFile({ path: "/x/.runnerrc.yml", values: { jbos: 2 } }))).toBe(
      'Unknown setting "jbos" in /x/.runnerrc.yml. Did you mean "jobs"?',
    );
    expect(errorOf(() => checkConfigFile({ path: RC, values: { jobs: 2, killgrace: 10 } }))).toBe(
      `Unknown setting "killgrace" in ${RC}. Did you mean "killGrace"?`,
    );
  });

  it("lists the known settings when none is close", () => {
    expect(errorOf(() => checkConfigFile({ path: RC, values: { verbosity: 2 } }))).toBe(
      `Unknown setting "verbosity" in ${RC}. Known settings: jobs, output, timeout, retries, killGrace, shell, env, echo, color, file, dotenv, captureLimit, isolate, isolateMaxRss, redis, redisQueue, redisLockDuration, redisStalledInterval, redisMaxStalled, workerGrace.`,
    );
  });

  it("keeps the path, checks the values and leaves out undefined ones", () => {
    expect(checkConfigFile({ path: RC, values: { timeout: "5m", echo: true, jobs: undefined } })).toEqual({
      path: RC,
      values: { timeout: 300_000, echo: true },
    });
    expect(checkConfigFile({ path: RC, values: {} })).toEqual({ path: RC, values: {} });
  });

  it("makes file and dotenv paths absolute, relative to the config file", () => {
    const path = "/project/config/.runnerrc.json";
    const checked = checkConfigFile({
      path,
      values: { file: "../tasks/ci.ts", dotenv: [".env", "../shared.env", "/etc/runner.env"] },
    });
    expect(checked.values).toEqual({
      file: "/project/tasks/ci.ts",
      dotenv: ["/project/config/.env", "/project/shared.env", "/etc/runner.env"].map((path) => ({
        path,
        required: false,
      })),
    });
    expect(checkConfigFile({ path, values: { file: "/abs/tasks.ts" } }).values.file).toBe("/abs/tasks.ts");
    expect(checkConfigFile({ path, values: { dotenv: ".env" } }).values.dotenv).toEqual([
      { path: "/project/config/.env", required: false },
    ]);
    // Other text settings are not paths.
    expect(checkConfigFile({ path, values: { shell: "bash" } }).values.shell).toBe("bash");
  });
});
