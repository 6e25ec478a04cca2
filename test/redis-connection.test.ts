// The connections of distributed runs (remote/connection.ts, SPEC §8 "Connections") against
// a real redis-server: the preflight check passes with a password from the URL or from
// REDIS_PASSWORD and over TLS with a CA trusted through NODE_EXTRA_CA_CERTS; a wrong or
// missing password, an unreachable port, an untrusted certificate, TLS and plain text
// mixed up are each one line within a few seconds, with no password in it; the clients
// each role gets ride out a restart, and a dispatcher's gives up when Redis stays gone.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../src/common/user-error.ts";
import {
  connectRedis,
  preflight,
  redisErrorLine,
  redisOptions,
  type Redis,
  type PreflightResult,
} from "../src/remote/connection.ts";
import { parseRedisTarget, type RedisTarget } from "../src/remote/redis-target.ts";
import { cleanEnv, repoRoot } from "./helpers.ts";
import { freePort, hasOpenssl, hasRedis, requireRedisInCI, startRedis, type RedisServer } from "./redis-server.ts";

requireRedisInCI();

const PASSWORD = "s3cret-Pa55word";
const target = (url: string, env: Record<string, string> = {}): RedisTarget => parseRedisTarget(url, env, "--redis");

/** The UserError `promise` rejects with, and how long that took. */
async function failure(promise: Promise<unknown>): Promise<{ message: string; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return { message: (error as UserError).message, ms: performance.now() - started };
  }
  throw new Error("expected a UserError, the promise resolved");
}

describe.skipIf(!hasRedis)("preflight against a server with a password", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await server.stop();
  });
  const plainUrl = (): string => `redis://127.0.0.1:${server.port}`;

  it("passes with the password in the URL, and with it in REDIS_PASSWORD", async () => {
    await expect(preflight(target(server.url))).resolves.toEqual({});
    await expect(preflight(target(plainUrl(), { REDIS_PASSWORD: PASSWORD }))).resolves.toEqual({});
  });

  it("says a wrong password was refused, fast, without showing it", async () => {
    const { message, ms } = await failure(preflight(target(`redis://:wrong-${PASSWORD}@127.0.0.1:${server.port}`)));
    expect(message).toBe(`runner: Redis at redis://:***@127.0.0.1:${server.port} refused the password`);
    expect(ms).toBeLessThan(5000);

    const fromEnv = await failure(preflight(target(plainUrl(), { REDIS_PASSWORD: "not-it-either" })));
    expect(fromEnv.message).toBe(
      `runner: Redis at redis://127.0.0.1:${server.port} refused the password (from REDIS_PASSWORD)`,
    );
    expect(fromEnv.message).not.toContain("not-it");
  });

  it("says a password is needed when none is given", async () => {
    const { message, ms } = await failure(preflight(target(plainUrl())));
    expect(message).toBe(
      `runner: Redis at redis://127.0.0.1:${server.port} needs a password (set it in the URL or REDIS_PASSWORD)`,
    );
    expect(ms).toBeLessThan(5000);
  });

  it("takes a user of Redis's ACL, and a user that may not use CONFIG gets no warning", async () => {
    const admin = await connectRedis(target(server.url), "dispatcher");
    try {
      await admin.call("ACL", "SETUSER", "bob", "on", ">bobs-Pa55", "~*", "&*", "+@all", "-config");
      await expect(preflight(target(`redis://bob:bobs-Pa55@127.0.0.1:${server.port}`))).resolves.toEqual({});
      const wrong = await failure(preflight(target(`redis://bob:nope-Pa55@127.0.0.1:${server.port}`)));
      expect(wrong.message).toBe(
        `runner: Redis at redis://bob:***@127.0.0.1:${server.port} refused the password of user bob`,
      );
    } finally {
      admin.disconnect();
    }
  });

  it("warns when the server may evict BullMQ's keys", async () => {
    const admin = await connectRedis(target(server.url), "dispatcher");
    try {
      await admin.config("SET", "maxmemory-policy", "allkeys-lru");
      const result: PreflightResult = await preflight(target(server.url));
      expect(result.evictionWarning).toBe(
        `Redis at redis://:***@127.0.0.1:${server.port} has maxmemory-policy allkeys-lru: BullMQ needs noeviction, ` +
          "or a full server can drop jobs (CONFIG SET maxmemory-policy noeviction)",
      );
    } finally {
      await admin.config("SET", "maxmemory-policy", "noeviction");
      admin.disconnect();
    }
  });

  it("refuses a database the server does not have, instead of using database 0", async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}/99`;
    const { message } = await failure(preflight(target(url)));
    expect(message).toBe(
      `runner: Redis at redis://:***@127.0.0.1:${server.port}/99 has no database 99 (ERR DB index is out of range)`,
    );
    expect((await failure(connectRedis(target(url), "worker"))).message).toBe(message);
  });
});

describe.skipIf(!hasRedis)("preflight against nothing", () => {
  it("says a port with nothing listening cannot be reached, within a few seconds", async () => {
    const port = await freePort();
    const { message, ms } = await failure(preflight(target(`redis://:${PASSWORD}@127.0.0.1:${port}`)));
    expect(message).toBe(`runner: cannot reach Redis at redis://:***@127.0.0.1:${port} (connection refused)`);
    expect(ms).toBeLessThan(5000);
  });

  it("says a host that does not exist cannot be reached", async () => {
    const { message, ms } = await failure(preflight(target("redis://no-such-host.invalid:6379")));
    expect(message).toBe(
      "runner: cannot reach Redis at redis://no-such-host.invalid:6379 (host no-such-host.invalid not found)",
    );
    expect(ms).toBeLessThan(5000);
  });
});

/**
 * A child `node` that runs preflight (then a worker connection's PING) on the URL it is
 * given and prints the outcome: NODE_EXTRA_CA_CERTS is read when a process starts, so a
 * CA trusted that way can only be tried in a process of its own. The child runs this
 * module's sources, bundled, with ioredis (and bullmq) from the repository's node_modules.
 */
async function childCheck(url: string, env: Record<string, string | undefined>) {
  const ioredis = pathToFileURL(join(repoRoot, "node_modules", "ioredis", "built", "index.js")).href;
  // Not used here, but redis-modules.ts, where connection.ts takes ioredis from, names it too.
  const bullmq = pathToFileURL(join(repoRoot, "node_modules", "bullmq", "dist", "cjs", "index.js")).href;
  const script = join(childDir, "check.mjs");
  await build({
    stdin: {
      contents: `
        import { connectRedis, preflight } from "../src/remote/connection.ts";
        import { parseRedisTarget } from "../src/remote/redis-target.ts";
        try {
          const target = parseRedisTarget(process.argv[2], process.env, "--redis");
          await preflight(target);
          const client = await connectRedis(target, "worker", "runner test");
          process.stdout.write("preflight passed, PING " + (await client.ping()) + "\\n");
          client.disconnect();
        } catch (error) {
          process.stdout.write(error.message + "\\n");
        }
        // What keeps the process from exiting (its stdout pipe aside), a second on: a closed
        // connection must leave nothing behind (such as ioredis's 2 s disconnect timer).
        const left = () => process.getActiveResourcesInfo().filter((name) => name !== "PipeWrap");
        for (let waited = 0; waited < 1000 && left().length > 0; waited += 20) await new Promise((r) => setTimeout(r, 20));
        if (left().length > 0) process.stdout.write("left: " + left().join(" ") + "\\n");`,
      resolveDir: join(repoRoot, "test"),
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: script,
    logLevel: "silent",
    plugins: [
      {
        name: "ioredis-from-the-repository",
        setup(b) {
          b.onResolve({ filter: /^ioredis$/ }, () => ({ path: ioredis, external: true }));
          b.onResolve({ filter: /^bullmq$/ }, () => ({ path: bullmq, external: true }));
        },
      },
    ],
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script, url], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
let childDir: string;

describe.skipIf(!hasRedis || !hasOpenssl)("TLS", () => {
  let server: RedisServer;
  let plain: RedisServer;
  beforeAll(async () => {
    [server, plain] = await Promise.all([startRedis({ tls: true, password: PASSWORD }), startRedis()]);
    childDir = mkdtempSync(join(tmpdir(), "runner-redis-child-"));
  });
  afterAll(async () => {
    await Promise.all([server.stop(), plain.stop()]);
    rmSync(childDir, { recursive: true, force: true });
  });

  it("connects to rediss:// when the CA is trusted through NODE_EXTRA_CA_CERTS", async () => {
    const result = await childCheck(server.url, { NODE_EXTRA_CA_CERTS: server.caFile });
    expect(result).toEqual({ code: 0, stdout: "preflight passed, PING PONG\n", stderr: "" });
  });

  it("says, in one line, that a certificate nobody trusts is not trusted", async () => {
    const line =
      `runner: TLS to Redis at rediss://:***@127.0.0.1:${server.port} failed: its certificate is not trusted ` +
      "(self-signed certificate in certificate chain); trust its CA with NODE_EXTRA_CA_CERTS=<ca.pem>";
    const { message, ms } = await failure(preflight(target(server.url)));
    expect(message).toBe(line);
    expect(ms).toBeLessThan(5000);
    // And nothing else: no "[ioredis] Unhandled error event", no stack.
    expect(await childCheck(server.url, { NODE_EXTRA_CA_CERTS: undefined })).toEqual({
      code: 0,
      stdout: `${line}\n`,
      stderr: "",
    });
  });

  it("says a certificate for another host is not for this one", async () => {
    const url = `rediss://:${PASSWORD}@localhost:${server.port}`;
    const result = await childCheck(url, { NODE_EXTRA_CA_CERTS: server.caFile });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(
      new RegExp(
        `^runner: TLS to Redis at rediss://:\\*\\*\\*@localhost:${server.port} failed: its certificate is not for localhost \\(.*\\)\\n$`,
      ),
    );
  });

  it("says plain redis:// to a TLS port was closed, and suggests rediss://, within a few seconds", async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    const { message, ms } = await failure(preflight(target(url)));
    expect(message).toBe(
      `runner: Redis at redis://:***@127.0.0.1:${server.port} closed the connection (if that port takes TLS, use rediss://)`,
    );
    expect(message).not.toContain(PASSWORD);
    expect(ms).toBeLessThan(5000);
  });

  it("says rediss:// to a plain port got no TLS handshake, and suggests redis://, within a few seconds", async () => {
    const { message, ms } = await failure(preflight(target(`rediss://127.0.0.1:${plain.port}`)));
    expect(message).toBe(
      `runner: TLS to Redis at rediss://127.0.0.1:${plain.port} failed: no TLS handshake within 3 s (if that port takes no TLS, use redis://)`,
    );
    expect(ms).toBeLessThan(5000);
  });
});

describe("redisOptions", () => {
  const at = target("rediss://bob:pw@queue.example:6390/3");

  it("gives blocking roles commands that wait for a reconnect that never stops trying", () => {
    for (const role of ["worker", "reader"] as const) {
      const options = redisOptions(at, role);
      expect(options).toMatchObject({
        host: "queue.example",
        port: 6390,
        username: "bob",
        password: "pw",
        db: 3,
        tls: { servername: "queue.example" },
        lazyConnect: true,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
      });
      expect(options.socketTimeout).toBeUndefined();
      const retry = options.retryStrategy as (times: number) => number;
      expect([1, 5, 20, 1000].map(retry)).toEqual([100, 500, 2000, 2000]);
    }
  });

  it("sends no server name for an IP address (SNI takes names only)", () => {
    expect(redisOptions(target("rediss://127.0.0.1"), "worker").tls).toEqual({});
    expect(redisOptions(target("redis://127.0.0.1"), "worker").tls).toBeUndefined();
  });
});

describe.skipIf(!hasRedis)("connections through a restart", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("a worker's and a dispatcher's command sent while Redis is down completes once it is back", async () => {
    const errors: unknown[] = [];
    const worker = await connectRedis(target(server.url), "worker", "w", { onError: (e) => errors.push(e) });
    const dispatcher = await connectRedis(target(server.url), "dispatcher", "d");
    try {
      const restarted = server.restart(1500);
      // Sent while the server is stopping or down: they wait in the offline queue.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const replies = Promise.all([
        worker.set("k", "from worker"),
        dispatcher.get("k").then(() => dispatcher.incr("n")),
      ]);
      await restarted;
      await expect(replies).resolves.toEqual(["OK", 1]);
      expect(errors.length).toBeGreaterThan(0); // it was told, and nothing printed "Unhandled error event"
    } finally {
      worker.disconnect();
      dispatcher.disconnect();
    }
  });

  it("a dispatcher's commands fail, with one line, once Redis has been gone for its give-up time", async () => {
    const gone = await startRedis();
    const at = target(gone.url);
    const dispatcher: Redis = await connectRedis(at, "dispatcher", "d", { giveUpAfterMs: 1500 });
    try {
      await gone.stop();
      const started = performance.now();
      const error: unknown = await dispatcher.ping().then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(performance.now() - started).toBeLessThan(5000);
      expect(redisErrorLine(at, error)).toBe(`lost the connection to Redis at redis://127.0.0.1:${gone.port}`);
    } finally {
      dispatcher.disconnect();
      await gone.stop();
    }
  });
});
