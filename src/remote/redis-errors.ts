// What went wrong with a Redis connection, as one line a user can act on (SPEC §8
// "Connections"). ioredis reports trouble in many shapes: a socket error's `code`
// (ECONNREFUSED, a TLS verification code), a server's reply (WRONGPASS, NOAUTH), its own
// texts ("Connection is closed.", "Unknown RESP type"). All of them are named here, once, so
// the preflight check, the dispatcher and the worker say the same thing for the same
// trouble. No line holds the password: the target's `display` names the server, and any
// text taken from an error is masked.
import { SECRET_MASK } from "../common/secrets.ts";
import { oneLine } from "../common/show-value.ts";
import { maskRedisUrl, type RedisTarget } from "./redis-target.ts";

/** Socket error codes that mean the server was never reached, and how to say them. */
const UNREACHABLE: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_NONAME: "host not found",
  EAI_AGAIN: "the host name could not be looked up",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
  EHOSTDOWN: "host is down",
  ETIMEDOUT: "no answer in time",
  EADDRNOTAVAIL: "address not available",
};

/** TLS verification codes that mean "the certificate is not signed by anyone trusted". */
const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * One line, without the `runner: ` prefix, for any error of a connection to `target`:
 * `cannot reach Redis at redis://queue:6379 (connection refused)`. `timeoutMs` is the time
 * limit that a timed-out connection had, when the caller knows it.
 */
export function redisErrorLine(target: RedisTarget, error: unknown, timeoutMs?: number): string {
  const at = `Redis at ${target.display}`;
  const code = errorCode(error);
  const message = maskSecrets(target, firstLine(error));

  if (code === "ETIMEDOUT" && timeoutMs !== undefined) {
    return `cannot reach ${at} (no answer within ${seconds(timeoutMs)})`;
  }
  const unreachable = code === undefined ? undefined : UNREACHABLE[code];
  if (unreachable !== undefined) {
    return `cannot reach ${at} (${code === "ENOTFOUND" ? `host ${target.host} not found` : unreachable})`;
  }
  if (code !== undefined && isTlsCode(code)) return tlsLine(target, code, message);
  if (code === "ECONNRESET" || code === "EPIPE") return closedLine(target);

  if (message.startsWith("WRONGPASS")) {
    const user = target.username === undefined ? "" : ` of user ${target.username}`;
    return `${at} refused the password${user}${target.passwordFrom === "REDIS_PASSWORD" ? " (from REDIS_PASSWORD)" : ""}`;
  }
  if (message.startsWith("NOAUTH")) {
    return target.password === undefined
      ? `${at} needs a password (set it in the URL or REDIS_PASSWORD)`
      : `${at} did not take the password (${message})`;
  }
  if (/DB index is out of range/i.test(message)) {
    return `${at} has no database ${target.db ?? 0} (${message})`;
  }
  if (/^Unknown RESP type|^Protocol error/.test(message)) {
    return `the server at ${target.display} does not answer as Redis does: is it the right host and port?`;
  }
  if (message.startsWith("LOADING")) return `${at} is still loading its data (${message})`;
  if (message.startsWith("Socket timeout")) return `${at} stopped answering (${message})`;
  if (message === "Command timed out") {
    return `${at} did not answer${timeoutMs === undefined ? " in time" : ` within ${seconds(timeoutMs)}`}`;
  }
  if (errorName(error) === "MaxRetriesPerRequestError" || message === "Connection is closed.") {
    return `lost the connection to ${at}`;
  }
  return `${at}: ${message}`;
}

/** The connection was closed by the server before it said anything. */
export function closedLine(target: RedisTarget): string {
  return target.tls
    ? `TLS to Redis at ${target.display} failed: the server closed the connection`
    : `Redis at ${target.display} closed the connection (if that port takes TLS, use rediss://)`;
}

/** A TLS handshake that did not happen at all: TCP connected, then nothing. */
export function noHandshakeLine(target: RedisTarget, timeoutMs: number): string {
  return `TLS to Redis at ${target.display} failed: no TLS handshake within ${seconds(timeoutMs)} (if that port takes no TLS, use redis://)`;
}

function tlsLine(target: RedisTarget, code: string, message: string): string {
  const failed = `TLS to Redis at ${target.display} failed`;
  if (UNTRUSTED.has(code)) {
    return `${failed}: its certificate is not trusted (${message}); trust its CA with NODE_EXTRA_CA_CERTS=<ca.pem>`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `${failed}: its certificate is not for ${target.host} (${message})`;
  }
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER|UNKNOWN_PROTOCOL/.test(code)) {
    return `${failed}: the server does not speak TLS on that port (use redis://) (${message})`;
  }
  return `${failed}: ${message}`;
}

const isTlsCode = (code: string): boolean => UNTRUSTED.has(code) || /^ERR_(SSL|TLS)_|CERT|^EPROTO$/.test(code);

/** The `code` of a socket error, or of the first of an AggregateError's (Node tries each address). */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.length > 0 ? errorCode(errors[0]) : undefined;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The first line of an error's message (a reply's text can be long and multi-line). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return oneLine((text.split("\n")[0] ?? "").trim());
}

/** The password (as given and percent-encoded) and any URL's password, as `***`. */
function maskSecrets(target: RedisTarget, text: string): string {
  let out = maskRedisUrl(text);
  const password = target.password;
  if (password !== undefined && password !== "") {
    for (const form of [password, encodeURIComponent(password)]) out = out.split(form).join(SECRET_MASK);
  }
  return out;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
