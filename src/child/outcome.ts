// How a command ended: a typed union, never an exception.
export type Outcome =
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "signal"; readonly signal: string }
  | { readonly kind: "timeout"; readonly afterMs: number }
  /** Stopped by the run (fail-fast, Ctrl-C): `signal` is the one sent first. */
  | { readonly kind: "cancelled"; readonly signal: NodeJS.Signals }
  | { readonly kind: "spawn-error"; readonly message: string };
