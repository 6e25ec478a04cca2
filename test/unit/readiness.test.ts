// Readiness probes (service/readiness.ts), in process, with real sockets: what counts as a
// line of output, a port that accepts, a URL that answers 2xx — and nothing of a probe
// (timer, socket) left once it is ready or stopped.
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Readiness } from "../../src/loader/dev-options.ts";
import { probeReadiness, type ReadinessProbe } from "../../src/service/readiness.ts";

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

/** A probe and whether it said ready (which it does in a later tick). */
function watch(ready: Readiness): { probe: ReadinessProbe; ready: () => boolean; calls: () => number } {
  let calls = 0;
  const probe = probeReadiness(ready, () => calls++);
  return { probe, ready: () => calls > 0, calls: () => calls };
}

async function until(condition: () => boolean, patienceMs = 10_000): Promise<boolean> {
  for (let waited = 0; waited < patienceMs && !condition(); waited += 20) await sleep(20);
  return condition();
}

/** The timers and sockets this process holds: a stopped probe adds none. */
function handles(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout" || kind.startsWith("TCP"));
}

async function listeningServer(answer: (asked: number) => number): Promise<{ server: Server; port: number }> {
  let asked = 0;
  const server = createHttpServer((_req, res) => {
    res.statusCode = answer(++asked);
    res.end("body");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closing.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return { server, port: (server.address() as AddressInfo).port };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("readiness by output", () => {
  const output: Readiness = { kind: "output", pattern: /listening on :(\d+)/ };

  it("matches a line split across chunks, with its colour codes stripped", async () => {
    const { probe, ready } = watch(output);
    probe.output("stdout", Buffer.from("starting\nlisten"));
    probe.output("stdout", Buffer.from("ing on \u001b[1m:"));
    await sleep(0);
    expect(ready()).toBe(false);
    probe.output("stdout", Buffer.from("\u001b[22m3000\r\n"));
    expect(await until(ready)).toBe(true);
  });

  it("matches a line still being written (no newline yet)", async () => {
    const { probe, ready } = watch(output);
    probe.output("stderr", Buffer.from("listening on :8080"));
    expect(await until(ready)).toBe(true);
  });

  it("keeps each stream's line apart, and a long line's last part", async () => {
    const { probe, ready } = watch(output);
    probe.output("stdout", Buffer.from("listening on "));
    probe.output("stderr", Buffer.from(":3000\n"));
    await sleep(0);
    expect(ready()).toBe(false);
    probe.output("stdout", Buffer.from("x".repeat(200_000)));
    probe.output("stdout", Buffer.from("listening on :1"));
    expect(await until(ready)).toBe(true);
  });

  it("says ready once, and nothing after it was stopped", async () => {
    const first = watch(output);
    first.probe.output("stdout", Buffer.from("listening on :1\nlistening on :2\n"));
    first.probe.output("stdout", Buffer.from("listening on :3\n"));
    await sleep(10);
    expect(first.calls()).toBe(1);
    const second = watch(output);
    second.probe.stop();
    second.probe.output("stdout", Buffer.from("listening on :1\n"));
    await sleep(10);
    expect(second.ready()).toBe(false);
    expect(second.probe.notReady()).toBe("its output did not match /listening on :(\\d+)/");
  });
});

describe("readiness by port", () => {
  it("waits until the port accepts connections, then leaves nothing behind", async () => {
    const port = await closedPort();
    const before = handles().length;
    const { probe, ready } = watch({ kind: "port", port, host: "127.0.0.1" });
    await sleep(400);
    expect(ready()).toBe(false);
    expect(probe.notReady()).toBe(`nothing accepted connections on 127.0.0.1:${port}`);
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    closing.push(() => new Promise((resolve) => server.close(resolve)));
    expect(await until(ready)).toBe(true);
    // The server's own listening handle is the one more.
    expect(await until(() => handles().length <= before + 1)).toBe(true);
  });

  it("stopped, it tries no more and holds nothing", async () => {
    const port = await closedPort();
    const before = handles().length;
    const { probe } = watch({ kind: "port", port, host: "127.0.0.1" });
    await sleep(300);
    probe.stop();
    expect(await until(() => handles().length <= before)).toBe(true);
  });
});

describe("readiness by URL", () => {
  it("waits for a 2xx answer: a 503 is not ready, and says so", async () => {
    const { port } = await listeningServer((asked) => (asked <= 2 ? 503 : 200));
    const url = `http://127.0.0.1:${port}/health`;
    const { probe, ready } = watch({ kind: "url", url });
    expect(await until(() => probe.notReady().includes("503"))).toBe(true);
    expect(probe.notReady()).toBe(`${url} did not answer 2xx (it answered 503)`);
    expect(await until(ready)).toBe(true);
  });

  it("with nothing listening, says it did not answer; stopped, it holds nothing", async () => {
    const port = await closedPort();
    const before = handles().length;
    const url = `http://127.0.0.1:${port}/`;
    const { probe, ready } = watch({ kind: "url", url });
    await sleep(500);
    expect(ready()).toBe(false);
    expect(probe.notReady()).toBe(`${url} did not answer 2xx (it did not answer)`);
    probe.stop();
    expect(await until(() => handles().length <= before)).toBe(true);
  });
});
