// Services (SPEC §11) through the real CLI, with a real HTTP server: its dependents start
// once it is ready (its output, its port or its URL), it takes no -j slot, it is stopped
// (`service stopped`) once they are done, and nothing of it outlives the run. A service
// that is never ready, or dies while needed, fails the run with a clear message.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, collectOutput, normalize, project, runnerBin, runRunner, writeFiles } from "./helpers.ts";
import { isAlive, killIfAlive, readPid, spawnRunner, waitUntilGone } from "./process-helpers.ts";

// The server writes its pid, prints "listening" once it listens (in colour, on stderr when
// LOG_TO=stderr), and answers every request with its body; /health answers 503 until
// HEALTHY_AFTER requests came, to show a URL service waits for 2xx.
const SERVER = `const http = require("node:http");
const fs = require("node:fs");
fs.writeFileSync("server.pid", String(process.pid));
fs.writeFileSync("server.ppid", String(process.ppid));
let asked = 0;
const server = http.createServer((req, res) => {
  if (req.url === "/health" && ++asked <= Number(process.env.HEALTHY_AFTER ?? 0)) res.statusCode = 503;
  res.end("hello from the server");
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  const log = process.env.LOG_TO === "stderr" ? console.error : console.log;
  log("\\u001b[32mlistening\\u001b[39m on " + process.env.PORT);
});
`;

const TASKS = `import { task } from "runner-ts";
const port = Number(process.env.PORT);
const ready =
  process.env.READY === "port" ? { port } :
  process.env.READY === "url" ? { url: \`http://127.0.0.1:\${port}/health\` } :
  /listening on \\d+/;
export const server = task({ service: { ready }, run: (ctx) => ctx.run("node server.js") });
export const probe = task({
  deps: [server],
  async run() {
    const response = await fetch(\`http://127.0.0.1:\${port}/\`);
    console.log("body: " + (await response.text()));
  },
});
export const lint = task({ run: (ctx) => ctx.run("echo linted") });
// Tests that fail, and a report after them (a post task) that still asks the server.
export const report = task({
  deps: [server],
  async run() {
    const response = await fetch(\`http://127.0.0.1:\${port}/\`);
    console.log("report: " + (await response.text()));
  },
});
export const failing = task({ deps: [server], post: [report], run() { throw new Error("tests failed"); } });
// Two tasks that need the server one after another, each a while: it outlives --timeout 1s.
export const slowA = task({ deps: [server], run: (ctx) => ctx.run("sleep 0.8") });
export const slowB = task({ deps: [server], run: (ctx) => ctx.run("sleep 0.8") });
export const both = task({ deps: [slowA, slowB], run() {} });
// Never ready: it prints, then waits.
export const mute = task({
  service: { ready: /never printed/ },
  readyTimeout: "1s",
  run: (ctx) => ctx.run("echo $$ > mute.pid; echo warming up; sleep 300"),
});
export const needsMute = task({ deps: [mute], run: (ctx) => ctx.run("touch needs-mute-ran") });
// Ready, then dies while its dependent still runs.
export const fragile = task({
  service: { ready: /listening/ },
  run: (ctx) => ctx.run("echo $$ > fragile.pid; echo listening; while [ ! -e dependent-started ]; do sleep 0.05; done; echo 'out of memory' >&2; exit 3"),
});
// Each reads a line of the terminal's input, if it has any.
export const reader = task({
  service: { ready: /reading/ },
  run: (ctx) => ctx.run("echo reading; read line && echo service read $line; sleep 300"),
});
export const needsReader = task({ deps: [reader], run: (ctx) => ctx.run("read line; echo dependent read $line") });
export const needsFragile = task({
  deps: [fragile],
  run: (ctx) => ctx.run("echo $$ > dependent.pid; touch dependent-started; sleep 300"),
});
`;

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) killIfAlive(pid);
});

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function serverProject(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = project({ "tasks.ts": TASKS, "server.js": SERVER });
  return { dir, env: { PORT: String(await freePort()) } };
}

/** The server's pid (it wrote it once it started), and it is gone after the run. */
async function expectServerGone(dir: string, file = "server.pid"): Promise<void> {
  const pid = readPid(dir, file);
  leftovers.push(pid);
  expect(await waitUntilGone(pid)).toBe(true);
}

describe("a service and the task that needs it", () => {
  it.each([
    ["output", {}],
    ["output on stderr", { LOG_TO: "stderr" }],
    ["port", { READY: "port" }],
    ["url", { READY: "url", HEALTHY_AFTER: "3" }],
  ] as const)(
    "ready by its %s: the dependent gets an answer, the server is stopped as 'service stopped', exit 0",
    async (_how, extra) => {
      const { dir, env } = await serverProject();
      const run = await runRunner(["probe"], { cwd: dir, env: { ...env, ...extra } });
      expect(run.stdout).toContain("body: hello from the server");
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/✔ server\s+service stopped/);
      expect(run.stderr).toMatch(/1 passed, 1 service stopped/);
      await expectServerGone(dir);
    },
  );

  it("with -p -j1 the service takes no slot: its dependent and another task still run", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["-p", "-j1", "--output", "prefixed", "probe", "lint"], { cwd: dir, env });
    expect(run.stdout).toMatch(/probe\s+│ body: hello from the server/);
    expect(run.stdout).toMatch(/lint\s+│ linted/);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/2 passed, 1 service stopped/);
    await expectServerGone(dir);
  });

  it("in a serial run the service's lines say whose they are, as with -p", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["--output", "prefixed", "probe"], { cwd: dir, env });
    expect(stripVTControlCharacters(run.stdout)).toMatch(/server\s+│ listening on \d+/);
    expect(run.stdout).toMatch(/probe\s+│ body: hello from the server/);
    expect(run.code).toBe(0);
    await expectServerGone(dir);
  });

  it("the terminal's input is its dependent's in a serial run, and its own only when it runs alone", async () => {
    const { dir, env } = await serverProject();
    const withDependent = await runRunner(["needs-reader"], { cwd: dir, env, input: "hello\n" });
    expect(withDependent.stdout).toContain("dependent read hello");
    expect(withDependent.stdout).not.toContain("service read");
    expect(withDependent.code).toBe(0);
    // Alone it runs until stopped: it read the line, then it is stopped by a signal.
    const child = spawn(process.execPath, [runnerBin, "reader"], { cwd: dir, env: cleanEnv(env) });
    const output = collectOutput(child);
    child.stdin.end("hello\n");
    for (let waited = 0; waited < 20_000 && !output.stdout().includes("service read hello"); waited += 50) {
      await sleep(50);
    }
    expect(output.stdout()).toContain("service read hello");
    child.kill("SIGINT");
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(130);
  });

  it("a failure does not stop it while a post task that needs it is still to run", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["failing"], { cwd: dir, env });
    expect(run.stdout).toContain("report: hello from the server");
    expect(run.stderr).toMatch(/✖ failing\s+failed/);
    expect(run.stderr).toMatch(/✔ report\s+passed/);
    expect(run.stderr).toMatch(/✔ server\s+service stopped/);
    expect(run.code).toBe(1);
    await expectServerGone(dir);
  });

  it("--report records the service as service-stopped", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["--report", "run.json", "probe"], { cwd: dir, env });
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as {
      tasks: { name: string; status: string }[];
    };
    expect(report.tasks.map((entry) => [entry.name, entry.status])).toEqual([
      ["server", "service-stopped"],
      ["probe", "passed"],
    ]);
    await expectServerGone(dir);
  });
});

describe("what a service does not share with other tasks", () => {
  it("the run's --timeout is not its limit: it lives on while the tasks that need it run", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["--timeout", "1s", "both"], { cwd: dir, env });
    expect(run.stderr).toMatch(/✔ server\s+service stopped/);
    expect(run.stderr).toMatch(/3 passed, 1 service stopped/);
    expect(run.code).toBe(0);
    await expectServerGone(dir);
  });

  it("--retries does not start it again", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["--retries", "2", "needs-mute"], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✖ mute\s+failed/);
    expect(run.stderr).not.toContain("attempt 2 of 3");
    expect(run.stdout.split("warming up")).toHaveLength(2);
  });

  it("with --isolate it runs in runner's own process, and is stopped as ever", async () => {
    const { dir, env } = await serverProject();
    const child = spawnRunner(["--isolate", "probe"], dir, env);
    const output = collectOutput(child);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(output.stdout()).toContain("body: hello from the server");
    expect(output.stderr()).toMatch(/✔ server\s+service stopped/);
    expect(code).toBe(0);
    // `node server.js` is started with no shell: its parent is whoever ran the task's code.
    expect(readPid(dir, "server.ppid")).toBe(child.pid);
    await expectServerGone(dir);
  });

  it("a dry run lists its command and its dependents', as for any task", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["--dry-run", "--output", "prefixed", "slow-a"], { cwd: dir, env });
    expect(run.stdout).toMatch(/server\s+│ \[dry-run\] node server\.js/);
    expect(run.stdout).toMatch(/slow-a\s+│ \[dry-run\] sleep 0\.8/);
    expect(run.code).toBe(0);
  });
});

describe("a service that fails", () => {
  it("is stopped when not ready within readyTimeout: its output, the reason, its dependent skipped, non-zero exit", async () => {
    const { dir, env } = await serverProject();
    const run = await runRunner(["needs-mute"], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.all).toContain("warming up");
    expect(run.stderr).toContain("✖ mute: not ready within 1s (its output did not match /never printed/)");
    expect(run.stderr).toMatch(/needs-mute\s+skipped/);
    expect(existsSync(join(dir, "needs-mute-ran"))).toBe(false);
    const pid = readPid(dir, "mute.pid");
    leftovers.push(pid);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it("says which port answered nothing, or which URL gave no 2xx", async () => {
    const { dir, env } = await serverProject();
    const port = env.PORT ?? "";
    writeTasks(
      dir,
      `
      export const onPort = task({ service: { ready: { port: ${port} } }, readyTimeout: "1s", run: (ctx) => ctx.run("sleep 300") });
      export const onUrl = task({ service: { ready: { url: "http://127.0.0.1:${port}/health" } }, readyTimeout: "1s", run: (ctx) => ctx.run("sleep 300") });
      export const usesPort = task({ deps: [onPort], run() {} });
      export const usesUrl = task({ deps: [onUrl], run() {} });
    `,
    );
    const byPort = await runRunner(["uses-port"], { cwd: dir, env });
    expect(byPort.code).toBe(1);
    expect(byPort.stderr).toContain(`not ready within 1s (nothing accepted connections on 127.0.0.1:${port})`);
    const byUrl = await runRunner(["uses-url"], { cwd: dir, env });
    expect(byUrl.code).toBe(1);
    expect(byUrl.stderr).toContain(`not ready within 1s (http://127.0.0.1:${port}/health did not answer 2xx`);
  });

  it.each([[[]], [["-k"]]] as const)(
    "fails the run (%j) when it exits while a task that needs it still runs; that task is cancelled",
    async (flags) => {
      const { dir, env } = await serverProject();
      const run = await runRunner([...flags, "needs-fragile", "lint"], { cwd: dir, env });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("✖ fragile: service exited (status 3) before the tasks that need it were done");
      expect(run.all).toContain("out of memory");
      expect(run.stderr).toMatch(/needs-fragile\s+cancelled/);
      // -k: what does not need the service goes on.
      if (flags.length > 0) expect(run.stderr).toMatch(/✔ lint\s+passed/);
      for (const file of ["dependent.pid", "fragile.pid"]) {
        const pid = readPid(dir, file);
        leftovers.push(pid);
        expect(await waitUntilGone(pid)).toBe(true);
      }
    },
  );
});

describe("a service run alone", () => {
  it("runs until Ctrl-C: exit 130, cancelled, the server gone", async () => {
    const { dir, env } = await serverProject();
    const child = spawnRunner(["server"], dir, env);
    const output = collectOutput(child);
    const ended = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    for (let waited = 0; !output.all().includes("listening") && waited < 20_000; waited += 50) await sleep(50);
    expect(output.all()).toContain("listening");
    // Running on past its readiness: nothing in the run needs it to end.
    await sleep(500);
    const pid = readPid(dir, "server.pid");
    leftovers.push(pid);
    expect(isAlive(pid)).toBe(true);
    child.kill("SIGINT");
    expect(await ended).toBe(130);
    expect(normalize(output.stderr())).toContain("1 task: 1 cancelled");
    expect(await waitUntilGone(pid)).toBe(true);
  });
});

describe("service declarations", () => {
  it.each([
    ["a service that is not an object", `service: "yes"`, `has service "yes"`],
    ["a ready that is none of the three", `service: { ready: 3000 }`, "has service.ready 3000"],
    ["a port out of range", `service: { ready: { port: 70000 } }`, "has service.ready.port 70000"],
    ["a readyTimeout that is no duration", `service: { ready: /x/ }, readyTimeout: "soon"`, `has readyTimeout "soon"`],
    ["a readyTimeout on a task that is no service", `readyTimeout: "5s"`, "has readyTimeout but is no service"],
  ])("%s is one line, exit 2", async (_what, declaration, message) => {
    const dir = project({
      "tasks.ts": `import { task } from "runner-ts";\nexport const api = task({ ${declaration}, run() {} });\n`,
    });
    const run = await runRunner(["api"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});

function writeTasks(dir: string, body: string): void {
  writeFiles(dir, { "tasks.ts": `import { task } from "runner-ts";\n${body}\n` });
}
