// A real redis-server for the tests of distributed runs (SPEC §8): started by the test on a
// free loopback port in a temp dir of its own, ended by pid. .ci/run installs redis-server;
// without it the tests skip locally and fail under CI=true.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const hasRedis = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
export const hasOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;

/** In CI a missing server is a failure, not a skip. Call at the top of a test file. */
export function requireRedisInCI(): void {
  if (!hasRedis && process.env.CI === "true") {
    throw new Error("redis-server is not installed; .ci/run installs it");
  }
}

export interface RedisOptions {
  /** `requirepass`: the default user's password. */
  readonly password?: string;
  /** TLS only, on the port, with a throw-away certificate (SAN IP:127.0.0.1). */
  readonly tls?: boolean;
  /** Keep data across a restart (appendonly, fsync always), for the restart test. */
  readonly persist?: boolean;
}

export interface RedisServer {
  readonly port: number;
  /** redis:// or rediss://, with the password when there is one. */
  readonly url: string;
  /** The CA certificate a client must trust (TLS only). */
  readonly caFile: string | undefined;
  readonly dir: string;
  readonly pid: () => number | undefined;
  /** Stops the server (SIGTERM, waiting for it) and starts it again on the same port and dir. */
  readonly restart: (downMs?: number) => Promise<void>;
  readonly stop: () => Promise<void>;
}

/** A free loopback TCP port (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "runner-redis-"));
  const port = await freePort();
  let caFile: string | undefined;
  const args = ["--bind", "127.0.0.1", "--dir", dir, "--save", "", "--maxmemory-policy", "noeviction"];
  args.push(
    ...(options.persist === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  );
  if (options.password !== undefined) args.push("--requirepass", options.password);
  if (options.tls === true) {
    caFile = makeCertificate(dir);
    args.push(
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      join(dir, "server.crt"),
      "--tls-key-file",
      join(dir, "server.key"),
      "--tls-ca-cert-file",
      caFile,
      "--tls-auth-clients",
      "no",
    );
  } else {
    args.push("--port", String(port));
  }
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    started.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    started.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child = started;
    for (let waited = 0; waited < 10_000; waited += 50) {
      if (/Ready to accept connections/.test(log)) return;
      if (started.exitCode !== null) throw new Error(`redis-server did not start:\n${log}`);
      await sleep(50);
    }
    throw new Error(`redis-server did not get ready in 10 s:\n${log}`);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    const timer = setTimeout(() => running.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
  };
  await start();
  const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  return {
    port,
    url: `${options.tls === true ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`,
    caFile,
    dir,
    pid: () => child?.pid,
    restart: async (downMs = 0) => {
      await stop();
      if (downMs > 0) await sleep(downMs);
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`; returns the CA's file. */
function makeCertificate(dir: string): string {
  const run = (...args: string[]): void => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args[0] ?? ""} failed: ${result.stderr}`);
  };
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=runner test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  );
  run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
  writeFileSync(join(dir, "san.ext"), "subjectAltName = IP:127.0.0.1\n");
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-out",
    "server.crt",
    "-extfile",
    "san.ext",
  );
  return join(dir, "ca.crt");
}
