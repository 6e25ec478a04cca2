// A run's event stream (remote/event-stream.ts) against a real redis-server: an entry that
// comes twice — an XADD Redis applied but whose reply a restart lost, which the client then
// sends again — is taken once, and entries of other writers, or with no number, are all taken.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, type Redis } from "../src/remote/connection.ts";
import { EventWriter, readEvents } from "../src/remote/event-stream.ts";
import type { StreamEntry } from "../src/remote/protocol.ts";
import { parseRedisTarget } from "../src/remote/redis-target.ts";
import { hasRedis, requireRedisInCI, startRedis, type RedisServer } from "./redis-server.ts";

requireRedisInCI();

describe.skipIf(!hasRedis)("the event stream", () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = await connectRedis(parseRedisTarget(server.url, {}, "--redis"), "dispatcher");
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  /** Every entry of `key` the reader takes, until it has `count` of them or a second passed. */
  async function takeAll(key: string, count: number): Promise<StreamEntry[]> {
    const taken: StreamEntry[] = [];
    const reading = new AbortController();
    const stop = setTimeout(() => reading.abort(), 1000);
    await readEvents(
      redis,
      key,
      (entries) => {
        taken.push(...entries);
        if (taken.length >= count) reading.abort();
      },
      reading.signal,
    );
    clearTimeout(stop);
    return taken;
  }

  const add = (key: string, data: string, sequence?: string): Promise<unknown> =>
    redis.xadd(
      key,
      "*",
      "j",
      "job",
      "a",
      "1",
      "w",
      "w1",
      "k",
      "out",
      ...(sequence === undefined ? [] : ["s", sequence]),
      "d",
      data,
    );

  it("takes an entry sent again once, and keeps what other writers and unnumbered entries say", async () => {
    const key = "runner-test:events:dup";
    await add(key, "one", "aa:1");
    await add(key, "two", "aa:2");
    await add(key, "two", "aa:2");
    await add(key, "other", "bb:1");
    await add(key, "three", "aa:3");
    await add(key, "plain");
    const taken = await takeAll(key, 5);
    expect(taken.map((entry) => entry.data.toString())).toEqual(["one", "two", "other", "three", "plain"]);
  });

  it("numbers what a writer sends, so that a reader can tell a copy", async () => {
    const key = "runner-test:events:writer";
    const writer = new EventWriter(redis);
    void writer.write(key, { job: "job", attempt: 1, worker: "w1", kind: "cmd-start" }, "a");
    void writer.write(key, { job: "job", attempt: 1, worker: "w1", kind: "cmd-end" }, "b");
    await writer.flush();
    const taken = await takeAll(key, 2);
    const numbers = taken.map((entry) => entry.sequence?.n);
    expect(numbers).toEqual([1, 2]);
    expect(new Set(taken.map((entry) => entry.sequence?.writer)).size).toBe(1);
  });
});
