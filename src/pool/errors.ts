// Errors across processes. Node's advanced serialization keeps an Error's message and stack
// but not its class (a `class DeployError extends Error` arrives as Error) nor its own
// properties, so errors travel as plain objects and are rebuilt on the other side.

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable properties that could be sent (`code`, `exitCode`, ...). */
  readonly props: Readonly<Record<string, unknown>>;
  readonly cause: SerializedError | { readonly value: unknown } | undefined;
  /** Not an Error at all: a thrown string, number, object. */
  readonly thrown?: { readonly value: unknown };
}

/** What can go through structured clone as it is; anything else becomes its text. */
function sendable(value: unknown): unknown {
  try {
    structuredClone(value);
    return value;
  } catch {
    return String(value);
  }
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return {
      name: "Error",
      message: String(error),
      stack: undefined,
      props: {},
      cause: undefined,
      thrown: { value: sendable(error) },
    };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === "cause") continue;
    props[key] = sendable((error as unknown as Record<string, unknown>)[key]);
  }
  const cause: unknown = error.cause;
  return {
    name: error.name || error.constructor.name,
    message: error.message,
    stack: error.stack,
    props,
    cause:
      cause === undefined
        ? undefined
        : cause instanceof Error && depth < 8
          ? serializeError(cause, depth + 1)
          : { value: sendable(cause) },
  };
}

/** The error again, as an Error named as its class was, with its own properties. */
export function deserializeError(data: SerializedError): unknown {
  if (data.thrown !== undefined) return data.thrown.value;
  const error = new Error(data.message);
  Object.defineProperty(error, "name", { value: data.name, configurable: true, writable: true });
  if (data.stack !== undefined) error.stack = data.stack;
  Object.assign(error, data.props);
  if (data.cause !== undefined) {
    Object.defineProperty(error, "cause", {
      value: "name" in data.cause ? deserializeError(data.cause) : data.cause.value,
      configurable: true,
      writable: true,
    });
  }
  return error;
}
