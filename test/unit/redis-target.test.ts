// The Redis URL of a distributed run (remote/redis-target.ts, SPEC §8 "Connections"): the
// forms it takes, its defaults, REDIS_PASSWORD, and a one-line error with no password in it
// for everything else.
import { describe, expect, it } from "vitest";
import { maskRedisUrl, parseRedisTarget, type RedisTarget } from "../../src/remote/redis-target.ts";
import { userError } from "./user-error.ts";

const parse = (text: string, env: Record<string, string> = {}): RedisTarget => parseRedisTarget(text, env, "--redis");

describe("parseRedisTarget", () => {
  it("takes host and port, and defaults the port to 6379", () => {
    expect(parse("redis://queue-host:6380")).toEqual({
      url: "redis://queue-host:6380",
      display: "redis://queue-host:6380",
      host: "queue-host",
      port: 6380,
      tls: false,
      username: undefined,
      password: undefined,
      db: undefined,
    });
    expect(parse("redis://queue-host")).toMatchObject({ port: 6379, display: "redis://queue-host:6379" });
    expect(parse("redis://10.0.0.7/")).toMatchObject({ host: "10.0.0.7", port: 6379, db: undefined });
  });

  it("takes rediss:// as TLS, and the scheme in any case", () => {
    expect(parse("rediss://cache.example.com:6390")).toMatchObject({ tls: true, port: 6390 });
    expect(parse("REDIS://h")).toMatchObject({ tls: false, display: "redis://h:6379" });
  });

  it("takes a database number", () => {
    expect(parse("redis://h:1/0").db).toBe(0);
    expect(parse("redis://h/15")).toMatchObject({ db: 15, display: "redis://h:6379/15" });
  });

  it("takes an IPv6 address in brackets and gives the client the address without them", () => {
    expect(parse("redis://[::1]:7000/2")).toMatchObject({
      host: "::1",
      port: 7000,
      db: 2,
      display: "redis://[::1]:7000/2",
    });
    expect(parse("rediss://[2001:db8::5]")).toMatchObject({ host: "2001:db8::5", port: 6379 });
  });

  it("takes user and password, percent-decoded, and shows the password as ***", () => {
    const target = parse("redis://bob%40corp:p%40ss%3Aw%2Frd@h:6379");
    expect(target).toMatchObject({ username: "bob@corp", password: "p@ss:w/rd", passwordFrom: "url" });
    expect(target.display).toBe("redis://bob%40corp:***@h:6379");
    // As in a WHATWG URL, the last @ ends the user part, and a password may hold a colon.
    expect(parse("redis://:a@b:c@h")).toMatchObject({
      username: undefined,
      password: "a@b:c",
      display: "redis://:***@h:6379",
    });
    expect(parse("redis://alice@h")).toMatchObject({
      username: "alice",
      password: undefined,
      display: "redis://alice@h:6379",
    });
  });

  it("takes REDIS_PASSWORD when the URL has no password, and never shows it", () => {
    const env = { REDIS_PASSWORD: "from-env-secret" };
    const target = parse("redis://alice@h", env);
    expect(target).toMatchObject({ username: "alice", password: "from-env-secret", passwordFrom: "REDIS_PASSWORD" });
    expect(target.display).toBe("redis://alice@h:6379");
    expect(parse("redis://:in-url@h", env)).toMatchObject({ password: "in-url", passwordFrom: "url" });
    expect(parse("redis://h", { REDIS_PASSWORD: "" }).password).toBeUndefined();
  });

  it("names where the URL came from", () => {
    const error = userError(() => parseRedisTarget("http://x", {}, "RUNNER_REDIS"));
    expect(error.message).toBe(
      'runner: RUNNER_REDIS: "http://x" is not a Redis URL (redis://host:port or rediss://host:port)',
    );
  });

  const bad: readonly [string, string][] = [
    ["http://x", '"http://x" is not a Redis URL (redis://host:port or rediss://host:port)'],
    ["queue-host:6379", '"queue-host:6379" is not a Redis URL'],
    ["redis:queue-host", '"redis:queue-host" is not a Redis URL'],
    ["", '"" is not a Redis URL'],
    ["redis://", '"redis://" names no host'],
    ["redis://:6379", '"redis://:6379" names no host'],
    ["redis://h:0", 'has a bad port "0" (1 to 65535)'],
    ["redis://h:65536", 'has a bad port "65536" (1 to 65535)'],
    ["redis://h:63a", 'has a bad port "63a"'],
    ["redis://h:", 'has a bad port ""'],
    ["redis://h/x", 'has a bad database "x" (a whole number from 0 to 1000000)'],
    ["redis://h/-1", 'has a bad database "-1"'],
    ["redis://h/1.5", 'has a bad database "1.5"'],
    ["redis://h/2000000", 'has a bad database "2000000"'],
    ["redis://h/0/extra", 'has a bad database "0/extra"'],
    ["redis://h?family=6", "has a ?query or #fragment, which runner does not take"],
    ["redis://h/0#x", "has a ?query or #fragment"],
    ["redis://[::1", "has a bad IPv6 address (write it as [::1])"],
    ["redis://[nope]:1", "has a bad IPv6 address"],
    ["redis://h_x!y", 'has a bad host name "h_x!y"'],
    [" redis://h", "has white space in it"],
    ["redis://h\n", String.raw`"redis://h\n" has white space in it`],
  ];
  it.each(bad)("refuses %j with one line", (text, expected) => {
    const error = userError(() => parse(text));
    expect(error.message).toContain(expected);
    expect(error.message.startsWith('runner: --redis: "')).toBe(true);
    expect(error.message).not.toContain("\n");
  });

  // Each holds the password "hunter2" somewhere a mistake puts it.
  const secretBad: readonly string[] = [
    "http://u:hunter2@x",
    "redis://u:hunter2@h:99999",
    "redis://u:hunter2@h/x",
    "redis://:hunter2@h?x=1",
    "redis://:hun/ter2@h",
    "redis://:hunter2#@h",
    "redis://u:hunter2@",
    "redis://u:hunter2@h:1 ",
    "redis://u:hunter2%zz@h",
  ];
  it.each(secretBad)("never shows the password of %j", (text) => {
    const error = userError(() => parse(text));
    expect(error.message).not.toMatch(/hunter|ter2/);
    expect(error.message).toContain("***");
    expect(error.message).not.toContain("\n");
  });

  it("says how to write a password that holds / ? or #", () => {
    expect(userError(() => parse("redis://:a/b@h")).message).toContain(
      "has a / ? or # in its user or password: write them percent-encoded (%2F, %3F, %23)",
    );
    expect(userError(() => parse("redis://:a%zz@h")).message).toContain("bad percent-encoding");
  });
});

describe("maskRedisUrl", () => {
  it("replaces the password, keeps the user, and leaves a URL without one as it is", () => {
    expect(maskRedisUrl("redis://bob:s3cret@h:6379/1")).toBe("redis://bob:***@h:6379/1");
    expect(maskRedisUrl("rediss://:s3cret@h")).toBe("rediss://:***@h");
    expect(maskRedisUrl("redis://bob@h:6379")).toBe("redis://bob@h:6379");
    expect(maskRedisUrl("redis://h:6379/0")).toBe("redis://h:6379/0");
    expect(maskRedisUrl("not a url")).toBe("not a url");
  });

  it("masks to the last @, so that an unencoded / or @ in the password is hidden too", () => {
    expect(maskRedisUrl("redis://u:a/b@c@h")).toBe("redis://u:***@h");
  });
});
