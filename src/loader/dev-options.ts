// A task's dev-loop declarations as written — `sources`, `outputs`, `env` (SPEC §10) and
// `service`, `readyTimeout` (SPEC §11) — checked at load: what its Task says of when it is
// up to date and of when it is ready.
import { parseDuration } from "../common/duration.ts";
import { showValue } from "../common/show-value.ts";
import { UserError } from "../common/user-error.ts";

/** When a service is ready for its dependents. */
export type Readiness =
  | { readonly kind: "output"; readonly pattern: RegExp }
  | { readonly kind: "port"; readonly port: number; readonly host: string }
  | { readonly kind: "url"; readonly url: string };

export interface ServiceSpec {
  readonly ready: Readiness;
  readonly readyTimeoutMs: number;
}

export interface TaskDevOptions {
  /** Globs of the files it reads, relative to the project directory; undefined: never up to date. */
  readonly sources: readonly string[] | undefined;
  /** Globs of the files it makes; each must match a file for the task to be up to date. */
  readonly outputs: readonly string[];
  /** Variables that change its result. */
  readonly envNames: readonly string[];
  /** It is a service (SPEC §11). */
  readonly service: ServiceSpec | undefined;
}

export const DEFAULT_READY_TIMEOUT_MS = 60_000;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `where`: the task, for the error (`tasks.ts: task "build"`). */
export function devOptionsOf(source: Readonly<Record<string, unknown>>, where: string): TaskDevOptions {
  const sources = patternsOf(source.sources, "sources", where);
  const outputs = patternsOf(source.outputs, "outputs", where) ?? [];
  if (sources === undefined && outputs.length > 0) {
    throw new UserError(`${where} has outputs but no sources; outputs are checked only for a task with sources.`);
  }
  const env = source.env;
  if (env !== undefined && (!Array.isArray(env) || !env.every((name) => typeof name === "string" && NAME.test(name)))) {
    throw new UserError(`${where} has env ${showValue(env)}; expected a list of variable names like ["NODE_ENV"].`);
  }
  return {
    sources,
    outputs,
    envNames: [...new Set((env ?? []) as string[])],
    service: serviceOf(source.service, source.readyTimeout, where),
  };
}

function patternsOf(value: unknown, key: string, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string" && item.trim() !== "")) {
    throw new UserError(`${where} has ${key} ${showValue(value)}; expected a list of globs like ["src/**/*.ts"].`);
  }
  for (const pattern of value as string[]) {
    if (pattern.replace(/^!/, "").startsWith("/")) {
      throw new UserError(`${where} has ${key} pattern "${pattern}"; patterns are relative to the project directory.`);
    }
  }
  return [...(value as string[])];
}

function serviceOf(value: unknown, timeout: unknown, where: string): ServiceSpec | undefined {
  if (value === undefined) {
    if (timeout !== undefined) throw new UserError(`${where} has readyTimeout but is no service.`);
    return undefined;
  }
  const readyTimeoutMs = timeout === undefined ? DEFAULT_READY_TIMEOUT_MS : parseDuration(timeout);
  if (readyTimeoutMs === undefined || readyTimeoutMs <= 0) {
    throw new UserError(
      `${where} has readyTimeout ${showValue(timeout)}; expected a duration like "30s", "2m" or milliseconds, above 0.`,
    );
  }
  const expected = `expected { ready: /listening/ }, { ready: { port: 3000 } } or { ready: { url: "http://127.0.0.1:3000/" } }`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UserError(`${where} has service ${showValue(value)}; ${expected}.`);
  }
  const ready = (value as { ready?: unknown }).ready;
  return { ready: readinessOf(ready, where, expected), readyTimeoutMs };
}

function readinessOf(ready: unknown, where: string, expected: string): Readiness {
  if (ready instanceof RegExp) {
    // A global or sticky RegExp keeps state between tests: a copy without those flags does not.
    return { kind: "output", pattern: new RegExp(ready.source, ready.flags.replace(/[gy]/g, "")) };
  }
  if (typeof ready !== "object" || ready === null || Array.isArray(ready)) {
    throw new UserError(`${where} has service.ready ${showValue(ready)}; ${expected}.`);
  }
  const { port, host, url, ...others } = ready as Record<string, unknown>;
  if (Object.keys(others).length > 0 || (port === undefined) === (url === undefined)) {
    throw new UserError(`${where} has service.ready ${showValue(ready)}; ${expected}.`);
  }
  if (port !== undefined) {
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UserError(
        `${where} has service.ready.port ${showValue(port)}; expected a port number from 1 to 65535.`,
      );
    }
    if (host !== undefined && (typeof host !== "string" || host === "")) {
      throw new UserError(`${where} has service.ready.host ${showValue(host)}; expected a host name or address.`);
    }
    return { kind: "port", port, host: host ?? "127.0.0.1" };
  }
  if (host !== undefined) throw new UserError(`${where} has service.ready with host but no port; ${expected}.`);
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new UserError(`${where} has service.ready.url ${showValue(url)}; expected an http:// or https:// URL.`);
  }
  return { kind: "url", url: parsed.href };
}
