// TEMPORARY stub (helper A replaces it).
import { UserError } from "../common/user-error.ts";
export interface RedisTarget {
  readonly url: string;
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number | undefined;
}
export function parseRedisTarget(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`runner: ${where}: not a Redis URL`);
  }
  const password = url.password === "" ? env.REDIS_PASSWORD : decodeURIComponent(url.password);
  return {
    url: text,
    display: `${url.protocol}//${url.host}`,
    host: url.hostname,
    port: url.port === "" ? 6379 : Number(url.port),
    tls: url.protocol === "rediss:",
    username: url.username === "" ? undefined : decodeURIComponent(url.username),
    password,
    db: undefined,
  };
}
