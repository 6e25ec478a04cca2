// The values a worker sends back as JSON, checked into runner's own types: a status, a
// command's record, what a task used. Anything that does not have the shape becomes a
// failure that says so (a status) or is left out (a record, figures), never an exception.
import type { Usage } from "../child/usage.ts";
import type { CommandRecord } from "../context/context.ts";
import type { TaskStatus } from "../execution/outcomes.ts";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string";
const isCount = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0;

export function checkStatus(value: unknown): TaskStatus {
  const bad: TaskStatus = {
    kind: "failed",
    exitCode: 1,
    message: "its worker sent an end runner cannot read",
    commandFailed: false,
  };
  if (!isObject(value)) return bad;
  switch (value.kind) {
    case "passed":
    case "cancelled":
      return { kind: value.kind };
    case "skipped":
      return isText(value.reason) ? { kind: "skipped", reason: value.reason } : bad;
    case "timed-out":
      return isCount(value.afterMs) && isText(value.message)
        ? { kind: "timed-out", afterMs: value.afterMs, message: value.message }
        : bad;
    case "failed": {
      const code = value.exitCode;
      if (typeof code !== "number" || !Number.isInteger(code) || code < 1 || code > 255 || !isText(value.message)) {
        return bad;
      }
      return {
        kind: "failed",
        exitCode: code,
        message: value.message,
        commandFailed: value.commandFailed === true,
        ...(isText(value.where) ? { where: value.where } : {}),
        ...(isText(value.stack) ? { stack: value.stack } : {}),
      };
    }
    default:
      return bad;
  }
}

export function checkUsage(value: unknown): Usage | undefined {
  if (!isObject(value)) return undefined;
  const { userCpuMs, systemCpuMs, peakRssBytes } = value;
  return isCount(userCpuMs) && isCount(systemCpuMs) && isCount(peakRssBytes)
    ? { userCpuMs, systemCpuMs, peakRssBytes }
    : undefined;
}

export function checkRecord(value: unknown): CommandRecord | undefined {
  if (!isObject(value) || !isText(value.command) || !isCount(value.durationMs)) return undefined;
  const exitCode =
    value.exitCode === null || (Number.isInteger(value.exitCode) && isCount(value.exitCode))
      ? value.exitCode
      : undefined;
  const signal = value.signal === null || isText(value.signal) ? value.signal : undefined;
  if (exitCode === undefined || signal === undefined) return undefined;
  const usage = checkUsage(value.usage);
  return {
    command: value.command,
    exitCode,
    signal,
    durationMs: value.durationMs,
    ...(usage === undefined ? {} : { usage }),
  };
}
