// Unit-test support: the UserError a call throws, for tests of runner's one-line errors.
import { expect } from "vitest";
import { UserError } from "../../src/common/user-error.ts";

/** The UserError `fn` throws (failing when it throws nothing or something else). */
export function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected a UserError, nothing was thrown");
}
