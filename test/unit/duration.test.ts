// formatDuration: the times on status lines and in the summary.
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../src/common/duration.ts";

describe("formatDuration", () => {
  it("shows milliseconds, tenths of seconds, then minutes and seconds", () => {
    expect([0, 340, 1234, 59_940, 125_000].map(formatDuration)).toEqual(["0ms", "340ms", "1.2s", "59.9s", "2m05s"]);
  });

  it("carries a rounding into the next unit: never 1000ms, 60.0s or 2m60s", () => {
    expect(formatDuration(999.6)).toBe("1.0s");
    expect(formatDuration(59_960)).toBe("1m00s");
    expect(formatDuration(179_600)).toBe("3m00s");
    expect(formatDuration(3_599_500)).toBe("60m00s");
  });
});
