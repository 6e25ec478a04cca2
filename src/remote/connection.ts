// TEMPORARY stub (helper A replaces it).
import type { RedisOptions } from "ioredis";
import type { RedisTarget } from "./redis-target.ts";
export type RedisRole = "dispatcher" | "worker" | "reader";
export type Redis = import("ioredis").Redis;
export async function loadIoredis(): Promise<typeof import("ioredis")> {
  return (await import("ioredis")) as never;
}
export function redisOptions(target: RedisTarget, role: RedisRole): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: role === "dispatcher" ? 20 : null,
    lazyConnect: true,
  };
}
export async function connectRedis(target: RedisTarget, role: RedisRole, name?: string): Promise<Redis> {
  const { Redis } = await loadIoredis();
  const client = new Redis({
    ...redisOptions(target, role),
    ...(name === undefined ? {} : { connectionName: name }),
  } as never);
  client.on("error", () => {});
  await client.connect();
  return client;
}
export async function preflight(target: RedisTarget): Promise<void> {
  const client = await connectRedis(target, "dispatcher");
  await client.ping();
  client.disconnect();
}
export function redisErrorLine(target: RedisTarget, error: unknown): string {
  return `Redis at ${target.display}: ${error instanceof Error ? error.message : String(error)}`;
}
