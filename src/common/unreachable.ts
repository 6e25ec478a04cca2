// The default branch of an exhaustive switch: the types say the value cannot occur there, so
// reaching it at run time is a bug in runner (it keeps its stack; it is not a UserError).

/** Throws for a value of a union no case handled; `kind` names the union ("event", "status"). */
export function unreachable(kind: string, value: never): never {
  throw new Error(`unhandled ${kind} ${JSON.stringify(value)}`);
}
