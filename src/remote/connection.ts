// Connections to the Redis of a distributed run (SPEC §8 "Connections"). Every client runner
// makes comes from here, so that each has an `error` listener (without one, ioredis prints
// "[ioredis] Unhandled error event" and a stack), each connects lazily (connect errors are
// ours to turn into one line), and each role reconnects as the run needs:
//
// - worker, reader: blocking commands (BullMQ's worker, XREAD BLOCK) on connections that must
//   outlive any Redis restart. They reconnect forever with a capped backoff, and a command
//   waits (maxRetriesPerRequest: null, as BullMQ requires) until the server is back.
// - dispatcher: the run's own commands (adding jobs, writing cancels). A user whose Redis
//   restarts, or fails over, in the middle of an hour-long run expects the run to go on: so
//   it reconnects too, and commands wait in the offline queue meanwhile. But a user whose
//   Redis is gone for good expects a clear failure, not a run that hangs: so after
//   DISPATCHER_GIVE_UP_MS of trying without getting back, the client stops reconnecting and
//   every waiting command fails ("lost the connection to Redis at …"). A connection that is
//   up but silent (a vanished machine, no RST) is dropped after SOCKET_TIMEOUT_MS without a
//   reply and counts as lost. Never run a blocking command on a dispatcher connection: the
//   socket time-out would cut it.
//
// ioredis is loaded only when a run uses Redis (redis-modules.ts says how).
import { createConnection, isIP } from "node:net";
import type { RedisOptions } from "ioredis";
import { UserError } from "../common/user-error.ts";
import { closedLine, noHandshakeLine, redisErrorLine } from "./redis-errors.ts";
import type { RedisTarget } from "./redis-target.ts";

export { redisErrorLine } from "./redis-errors.ts";

export type RedisRole = "dispatcher" | "worker" | "reader";
export type Redis = import("ioredis").Redis;

/** How long a dispatcher connection keeps trying to get back to its server. */
export const DISPATCHER_GIVE_UP_MS = 60_000;
/** How long a dispatcher's command may wait for a reply on a live socket. */
export const SOCKET_TIMEOUT_MS = 30_000;
/** The preflight check's time limit, for connecting and for each answer. */
export const PREFLIGHT_TIMEOUT_MS = 3000;

export interface ConnectionTuning {
  /** A dispatcher's reconnect budget (DISPATCHER_GIVE_UP_MS); tests shorten it. */
  readonly giveUpAfterMs?: number;
}

export interface ConnectOptions extends ConnectionTuning {
  /** Told of every error of the connection after it is up (it reconnects by itself). */
  readonly onError?: (error: unknown) => void;
}

export interface PreflightResult {
  /** One line (no `runner: ` prefix) when the server may evict BullMQ's keys. */
  readonly evictionWarning?: string;
}

/**
 * ioredis's options, with replies in the shapes of RESP2 (its default, `legacy`) as the
 * type of `new Redis(options)` wants them said.
 */
export type ClientOptions = RedisOptions & { replyMapping?: "legacy" };

/** The wait before reconnect attempt `times` (1, 2, …): 0.1 s more each time, at most 2 s. */
export const reconnectDelay = (times: number): number => Math.min(times * 100, 2000);

/** The ioredis options of a connection of `role` to `target`. */
export function redisOptions(target: RedisTarget, role: RedisRole, tuning: ConnectionTuning = {}): ClientOptions {
  const common: ClientOptions = {
    host: target.host,
    port: target.port,
    username: target.username,
    password: target.password,
    db: target.db,
    // Node's own CA store, which honours NODE_EXTRA_CA_CERTS: that is how a user trusts a
    // private CA (NODE_EXTRA_CA_CERTS=/path/ca.pem runner …). SNI takes a name, never an IP.
    ...(target.tls ? { tls: isIP(target.host) === 0 ? { servername: target.host } : {} } : {}),
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    // After a fail-over the old primary answers READONLY: reconnect (to the new one, through
    // DNS) and send the command again.
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 2 : false),
  };
  switch (role) {
    case "worker":
    case "reader":
      return { ...common, retryStrategy: reconnectDelay };
    case "dispatcher":
      return {
        ...common,
        retryStrategy: giveUpAfter(tuning.giveUpAfterMs ?? DISPATCHER_GIVE_UP_MS),
        socketTimeout: SOCKET_TIMEOUT_MS,
      };
    default: {
      const unknown: never = role;
      throw new Error(`unknown Redis role ${String(unknown)}`);
    }
  }
}

/**
 * A retry strategy that reconnects with reconnectDelay until `ms` have passed since the
 * connection was lost, then stops (ioredis then fails every waiting command). A timer, not
 * a clock: ioredis restarts the count (`times` 1) each time it gets back.
 */
function giveUpAfter(ms: number): (times: number) => number | null {
  let expired = false;
  let timer: NodeJS.Timeout | undefined;
  return (times) => {
    if (times === 1) {
      clearTimeout(timer);
      expired = false;
      timer = setTimeout(() => (expired = true), ms);
      timer.unref();
    }
    return expired ? null : reconnectDelay(times);
  };
}

/**
 * A connected client of `role`, named `name` in CLIENT LIST. Throws a one-line UserError when
 * it cannot connect (after preflight, that is a server that went away in between).
 */
export async function connectRedis(
  target: RedisTarget,
  role: RedisRole,
  name?: string,
  options: ConnectOptions = {},
): Promise<Redis> {
  const { Redis } = await import("./redis-modules.ts");
  const client = new Redis({
    ...redisOptions(target, role, options),
    ...(name === undefined ? {} : { connectionName: clientName(name) }),
  });
  let first: unknown;
  client.on("error", (error: unknown) => {
    first ??= error;
    options.onError?.(error);
  });
  try {
    await client.connect();
  } catch (error) {
    end(client);
    throw new UserError(`runner: ${redisErrorLine(target, first ?? error)}`);
  }
  // A database that does not exist is an error event, and the client goes on in database 0.
  if (isDbError(first)) {
    end(client);
    throw new UserError(`runner: ${redisErrorLine(target, first)}`);
  }
  return client;
}

/**
 * Checks, within a few seconds, that `target` answers and takes the password: a throw-away
 * connection that never retries, PING, then reads maxmemory-policy (when CONFIG is allowed).
 * Any failure is a one-line UserError (`runner: cannot reach Redis at … (connection refused)`).
 */
export async function preflight(target: RedisTarget, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<PreflightResult> {
  const { Redis } = await import("./redis-modules.ts");
  const client = new Redis({
    ...redisOptions(target, "dispatcher"),
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    socketTimeout: undefined,
    connectionName: "runner-preflight",
  });
  let first: unknown;
  client.on("error", (error: unknown) => (first ??= error));
  const check = async (): Promise<PreflightResult> => {
    await client.connect();
    if (isDbError(first)) throw first;
    await client.ping();
    const evictionWarning = await evictionPolicyWarning(client, target);
    return evictionWarning === undefined ? {} : { evictionWarning };
  };
  let timer: NodeJS.Timeout | undefined;
  // The last resort, should neither the connect time-out nor a command's fire (they do).
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), timeoutMs * 2)));
  try {
    const result = await Promise.race([check(), late]);
    if (result === "late")
      throw new UserError(`runner: Redis at ${target.display} did not answer within ${(timeoutMs * 2) / 1000} s`);
    return result;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`runner: ${await preflightLine(target, first ?? error, timeoutMs)}`);
  } finally {
    clearTimeout(timer);
    end(client);
  }
}

/** As redisErrorLine, but a TLS connection that timed out is told apart from an unreachable host. */
async function preflightLine(target: RedisTarget, error: unknown, timeoutMs: number): Promise<string> {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "ETIMEDOUT" && target.tls && (await tcpAnswers(target.host, target.port, timeoutMs))) {
    return noHandshakeLine(target, timeoutMs);
  }
  if (error instanceof Error && error.message === "Connection is closed.") return closedLine(target);
  return redisErrorLine(target, error, timeoutMs);
}

/** Whether a plain TCP connection to host:port opens within `ms`. */
async function tcpAnswers(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (answered: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** BullMQ needs `noeviction`: a full server that evicts drops jobs and locks. */
async function evictionPolicyWarning(client: Redis, target: RedisTarget): Promise<string | undefined> {
  let reply: unknown;
  try {
    reply = await client.config("GET", "maxmemory-policy");
  } catch {
    return undefined; // CONFIG disabled or not allowed to this user: nothing to say.
  }
  const policy = Array.isArray(reply) ? (reply as unknown[])[1] : undefined;
  if (typeof policy !== "string" || policy === "noeviction") return undefined;
  return (
    `Redis at ${target.display} has maxmemory-policy ${policy}: BullMQ needs noeviction, ` +
    `or a full server can drop jobs (CONFIG SET maxmemory-policy noeviction)`
  );
}

/**
 * Disconnects, unless ioredis has already ended the connection: disconnecting again would arm
 * a 2 s timer on the closed socket that keeps runner from exiting after a failed check.
 */
function end(client: Redis): void {
  if (client.status !== "end") client.disconnect();
}

const isDbError = (error: unknown): boolean =>
  error instanceof Error && /DB index is out of range/i.test(error.message);

/** CLIENT SETNAME takes no spaces. */
const clientName = (name: string): string => name.replace(/\s/g, "-");
