// Errors across processes. Node's advanced serialization keeps an Error's message and stack
// but not its class (a `class DeployError extends Error` arrives as Error) nor its own
// properties, so errors travel as plain objects and are rebuilt on the other side. Task code
// can throw anything, so every read is guarded: what cannot be read in the worker cannot be
// read in the rebuilt error either, and runner then says of it what it says in-process
// (execution/attempt.ts statusOfError, common/error-text.ts messageOf).

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** Its `message` could not be read (a getter that throws): nor can the rebuilt one's. */
  readonly messageUnreadable?: true;
  readonly stack: string | undefined;
  /** Own enumerable properties that could be sent (`code`, `exitCode`, ...). */
  readonly props: Readonly<Record<string, unknown>>;
  /** Own enumerable properties whose getter threw: the rebuilt error's throw too. */
  readonly unreadable?: readonly string[];
  readonly cause: SerializedError | { readonly value: unknown } | undefined;
  /** Not an Error at all: a thrown string, number, object. */
  readonly thrown?: { readonly value: unknown };
  /**
   * A thrown value that could not be sent: "text" when it has no text either (a String()
   * that throws), "value" when it could not even be looked at (a Proxy whose traps throw).
   */
  readonly opaque?: "text" | "value";
}

const NO_TEXT = "a value that cannot be shown as text";

/** String(value), or undefined when that throws. */
function textOf(value: unknown): string | undefined {
  try {
    return String(value);
  } catch {
    return undefined;
  }
}

/** What can go through structured clone as it is, else its text; undefined when it has neither. */
function sendable(value: unknown): { readonly value: unknown } | undefined {
  try {
    structuredClone(value);
    return { value };
  } catch {
    const text = textOf(value);
    return text === undefined ? undefined : { value: text };
  }
}

/** `read()`, or `fallback` when it throws. */
function guarded<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  const opaque = (kind: "text" | "value"): SerializedError => ({
    name: "Error",
    message: NO_TEXT,
    stack: undefined,
    props: {},
    cause: undefined,
    opaque: kind,
  });
  const isError = guarded(() => error instanceof Error, undefined);
  if (isError === undefined) return opaque("value");
  if (!isError) {
    const sent = sendable(error);
    if (sent === undefined) return opaque("text");
    return {
      name: "Error",
      message: textOf(error) ?? NO_TEXT,
      stack: undefined,
      props: {},
      cause: undefined,
      thrown: sent,
    };
  }
  const e = error as Error & Record<string, unknown>;
  const props: Record<string, unknown> = {};
  const unreadable: string[] = [];
  for (const key of guarded(() => Object.keys(e), [])) {
    if (key === "cause") continue;
    const sent = guarded(() => sendable(e[key]), null);
    if (sent === null) unreadable.push(key);
    else if (sent !== undefined) props[key] = sent.value;
  }
  const message = guarded((): string | undefined => {
    const value: unknown = e.message;
    return typeof value === "string" ? value : textOf(value);
  }, undefined);
  const name = guarded(() => {
    const value: unknown = e.name || e.constructor.name;
    return typeof value === "string" ? value : "Error";
  }, "Error");
  const stack = guarded(() => (typeof e.stack === "string" ? e.stack : undefined), undefined);
  const cause = guarded(() => e.cause, undefined);
  const causeIsError = guarded(() => cause instanceof Error, false);
  return {
    name,
    message: message ?? NO_TEXT,
    ...(message === undefined ? { messageUnreadable: true } : {}),
    stack,
    props,
    ...(unreadable.length > 0 ? { unreadable } : {}),
    cause:
      cause === undefined
        ? undefined
        : causeIsError && depth < 8
          ? serializeError(cause, depth + 1)
          : (sendable(cause) ?? { value: NO_TEXT }),
  };
}

/** A getter that throws, as the one the worker could not read did. */
function throwing(what: string): PropertyDescriptor {
  return {
    get: () => {
      throw new Error(`${what} could not be read in its worker process`);
    },
    configurable: true,
    enumerable: true,
  };
}

/** The error again, as an Error named as its class was, with its own properties. */
export function deserializeError(data: SerializedError): unknown {
  // As unreadable as the value thrown was: it has no text (String() of an object with no
  // prototype throws), and one that could not be looked at throws at the first property
  // runner reads of a thrown value (its exitCode, statusOfError in execution/attempt.ts).
  if (data.opaque !== undefined) {
    const value = Object.create(null) as object;
    if (data.opaque === "value") Object.defineProperty(value, "exitCode", throwing("the thrown value"));
    return value;
  }
  if (data.thrown !== undefined) return data.thrown.value;
  const error = new Error(data.message);
  Object.defineProperty(error, "name", { value: data.name, configurable: true, writable: true });
  if (data.stack !== undefined) error.stack = data.stack;
  Object.assign(error, data.props);
  for (const key of data.unreadable ?? []) Object.defineProperty(error, key, throwing(`its "${key}"`));
  if (data.messageUnreadable === true)
    Object.defineProperty(error, "message", { ...throwing("its message"), enumerable: false });
  if (data.cause !== undefined) {
    Object.defineProperty(error, "cause", {
      value: "name" in data.cause ? deserializeError(data.cause) : data.cause.value,
      configurable: true,
      writable: true,
    });
  }
  return error;
}
