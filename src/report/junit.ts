// `--junit results.xml`: the run as JUnit XML, which CI systems (GitLab,
// Jenkins, Azure, GitHub test-report actions) show as test results. The usual shape, as
// pytest and vitest write it: <testsuites> around one <testsuite name="runner">, one
// <testcase> per planned task (name: the task with its options; classname: the tasks
// file). Failed and timed-out tasks hold a <failure> with their error and output tail;
// skipped and cancelled tasks a <skipped/>. `errors` is always 0: a task fails, it does
// not "error". Times are seconds.
//
// Task output is arbitrary bytes: escape codes and characters XML 1.0 cannot hold are
// dropped, and `]]>` is split across two CDATA sections, so the file always parses.
import { stripVTControlCharacters } from "node:util";
import type { RunRecord, TaskRun } from "../execution/outcomes.ts";
import { describeStep } from "../plan/describe.ts";
import { lastLinesOf, REPORT_TAIL_LINES, statusMessage } from "./json-report.ts";
import { unreachable } from "../common/unreachable.ts";

// Everything outside XML 1.0's Char production (lone surrogates included, thanks to /u).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text XML can hold: no escape codes, no characters outside XML 1.0. */
export function xmlText(text: string): string {
  return stripVTControlCharacters(text).replace(NOT_XML, "");
}

/** An attribute value: escaped, with line ends kept as character references. */
export function xmlAttribute(text: string): string {
  return xmlText(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

/** Character data as CDATA; `]]>` would end it, so it is split across two sections. */
export function xmlCdata(text: string): string {
  return `<![CDATA[${xmlText(text).replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function attributes(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${xmlAttribute(String(value))}"`)
    .join("");
}

function testcase(run: TaskRun, classname: string): string {
  const open = `    <testcase${attributes({ name: describeStep(run.step), classname, time: seconds(run.durationMs) })}`;
  const { status } = run;
  switch (status.kind) {
    case "passed":
    case "service-stopped":
      return `${open}/>`;
    case "failed":
    case "timed-out": {
      const headline = status.message.split("\n")[0] ?? "";
      const tail = lastLinesOf(run.outputTail, REPORT_TAIL_LINES);
      const body = tail === "" ? status.message : `${status.message}\n\n${tail}`;
      const failure = `<failure${attributes({ message: headline, type: status.kind })}>${xmlCdata(body)}</failure>`;
      return `${open}>\n      ${failure}\n    </testcase>`;
    }
    case "up-to-date":
      return `${open}>\n      <skipped${attributes({ message: "up to date" })}/>\n    </testcase>`;
    case "skipped":
    case "cancelled": {
      const skipped = `<skipped${attributes({ message: statusMessage(status) ?? status.kind })}/>`;
      return `${open}>\n      ${skipped}\n    </testcase>`;
    }
    default:
      return unreachable("status", status);
  }
}

export function junitXml(record: RunRecord): string {
  const { runs } = record;
  const count = (...kinds: readonly TaskRun["status"]["kind"][]): number =>
    runs.filter((run) => kinds.includes(run.status.kind)).length;
  const totals = {
    tests: runs.length,
    failures: count("failed", "timed-out"),
    errors: 0,
    skipped: count("skipped", "cancelled", "up-to-date"),
    time: seconds(record.durationMs),
  };
  const timestamp = new Date(record.startedAt).toISOString();
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attributes({ name: "runner", ...totals })}>`,
    `  <testsuite${attributes({ name: "runner", ...totals, timestamp })}>`,
    ...runs.map((run) => testcase(run, record.tasksFile)),
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}
