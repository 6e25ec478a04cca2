// Where a distributed run's Redis is (SPEC §8 "Connections"): a `redis://` or `rediss://` URL
// from --redis, RUNNER_REDIS or the `redis` config key, checked once and turned into the parts
// a client needs. Pure (no ioredis), so that a bad URL is a one-line error before anything is
// loaded. The password is never part of a message: every URL shown goes through
// maskRedisUrl, and `display` is the URL to show.
import { isIPv6 } from "node:net";
import { SECRET_MASK } from "../common/secrets.ts";
import { showText } from "../common/show-value.ts";
import { UserError } from "../common/user-error.ts";

export interface RedisTarget {
  /** As given. It may hold the password: never show it, show `display`. */
  readonly url: string;
  /** `rediss://user:***@host:port/db`: the URL with any password replaced by `***`, safe to print. */
  readonly display: string;
  /** A name or an IP address; an IPv6 address without its brackets. */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string | undefined;
  /** From the URL (percent-decoded), else REDIS_PASSWORD. */
  readonly password: string | undefined;
  /** Where the password came from, for messages that must not show it. */
  readonly passwordFrom?: "url" | "REDIS_PASSWORD";
  readonly db: number | undefined;
}

export const DEFAULT_REDIS_PORT = 6379;
/** Redis itself allows more databases than anyone configures; this only catches typos. */
const MAX_DB = 1_000_000;
const FORMS = "redis://host:port or rediss://host:port";

/**
 * The Redis server `text` names. `where` names the source for errors: "--redis",
 * "RUNNER_REDIS", "redis in runner.config.ts". Throws a one-line UserError, with any
 * password masked, for anything that is not `redis[s]://[user[:password]@]host[:port][/db]`.
 */
export function parseRedisTarget(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): RedisTarget {
  const fail = (problem: string): UserError =>
    new UserError(`runner: ${where}: ${showText(maskRedisUrl(text))} ${problem}`);
  if (/\s/.test(text)) throw fail("has white space in it");
  const scheme = /^(rediss?):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) throw fail(`is not a Redis URL (${FORMS})`);
  const rest = text.slice(scheme.length + 3);

  // As in a WHATWG URL: the authority ends at the first / ? or #, the user part at its last @.
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const tail = rest.slice(authority.length);
  if (tail.includes("@")) {
    throw fail("has a / ? or # in its user or password: write them percent-encoded (%2F, %3F, %23)");
  }
  if (/[?#]/.test(tail)) throw fail(`has a ?query or #fragment, which runner does not take (${FORMS}[/db])`);
  const at = authority.lastIndexOf("@");
  const userInfo = at === -1 ? undefined : authority.slice(0, at);
  const address = parseAddress(authority.slice(at + 1));
  if (typeof address === "string") throw fail(address);
  const db = parseDb(tail);
  if (typeof db === "string") throw fail(db);

  let username: string | undefined;
  let urlPassword: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(":");
    try {
      username = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
      urlPassword = colon === -1 ? undefined : decodeURIComponent(userInfo.slice(colon + 1));
    } catch {
      throw fail("has a bad percent-encoding (%xx) in its user or password");
    }
  }
  const inUrl = nonEmpty(urlPassword);
  const password = inUrl ?? nonEmpty(env.REDIS_PASSWORD);

  const shownUser = userInfo === undefined ? "" : (userInfo.split(":")[0] ?? "");
  const credentials = inUrl === undefined ? shownUser : `${shownUser}:${SECRET_MASK}`;
  const hostInUrl = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    url: text,
    display: `${scheme}://${credentials === "" ? "" : `${credentials}@`}${hostInUrl}:${address.port}${db === undefined ? "" : `/${db}`}`,
    host: address.host,
    port: address.port,
    tls: scheme === "rediss",
    username: nonEmpty(username),
    password,
    ...(password === undefined ? {} : { passwordFrom: inUrl === undefined ? "REDIS_PASSWORD" : "url" }),
    db,
  };
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; else what is wrong with it. */
function parseAddress(text: string): { host: string; port: number } | string {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    host = close === -1 ? "" : text.slice(1, close);
    if (!isIPv6(host)) return "has a bad IPv6 address (write it as [::1])";
    const after = text.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return "has a bad IPv6 address (write it as [::1])";
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = text.indexOf(":");
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
    if (host === "") return `names no host (${FORMS})`;
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return `has a bad host name ${showText(host)}`;
  }
  if (portText === undefined) return { host, port: DEFAULT_REDIS_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `has a bad port ${showText(portText)} (1 to 65535)`;
  return { host, port };
}

/** The path: none, `/`, or `/<database number>`. */
function parseDb(path: string): number | undefined | string {
  if (path === "" || path === "/") return undefined;
  const text = path.slice(1);
  const db = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(db <= MAX_DB)) return `has a bad database ${showText(text)} (a whole number from 0 to ${MAX_DB})`;
  return db;
}

const nonEmpty = (text: string | undefined): string | undefined => (text === "" ? undefined : text);

/**
 * `text` (a URL, or anything the user gave as one) with the password in it replaced by
 * `***`, the user kept. When in doubt it masks more: everything between the first `:` after
 * `://` and the last `@`, so that a password holding an unencoded `/` or `#` is hidden too.
 */
export function maskRedisUrl(text: string): string {
  const start = text.indexOf("://");
  if (start === -1) return text;
  const from = start + 3;
  const at = text.lastIndexOf("@");
  if (at < from) return text;
  const colon = text.indexOf(":", from);
  if (colon === -1 || colon > at) return text;
  return `${text.slice(0, colon + 1)}${SECRET_MASK}${text.slice(at)}`;
}
