// One execution of a changes subscription shared by real sockets on loopback: a socket too far behind
// is sent the whole state again instead of a queue of changes, and the others lose nothing.
import type { ExecutionResult } from "graphql";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import type { ChangeFeed } from "../../schema/common/context.js";
import { SharedSubscriptions } from "../../server/shared-subscriptions.js";

/** Payloads in the order they're produced, a whole state first; one asked for comes after those already waiting. */
class Stream implements AsyncIterableIterator<ExecutionResult>, ChangeFeed {
  private readonly queue: { n: number; whole: boolean }[] = [];
  private waiting: ((r: IteratorResult<ExecutionResult>) => void) | null = null;
  produced = 0;
  lastWasWhole = false;
  resyncs = 0;

  constructor() {
    this.push(true);
  }

  push(whole: boolean) {
    this.queue.push({ n: this.produced++, whole });
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: this.take(), done: false });
    }
  }

  /** Asked again before it is taken, a whole state still comes once. */
  resync() {
    if (this.queue.some((p) => p.whole)) return;
    this.resyncs++;
    this.push(true);
  }

  private take(): ExecutionResult {
    const { n, whole } = this.queue.shift()!;
    this.lastWasWhole = whole;
    // Large enough that a socket whose reader stopped fills the kernel's buffers within a few dozen.
    return { data: { n, whole, pad: "x".repeat(256 * 1024) } };
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.queue.length) return Promise.resolve({ value: this.take(), done: false });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

let wss: WebSocketServer;
beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
});
afterAll(() => {
  for (const socket of wss.clients) socket.terminate();
  return new Promise((resolve) => wss.close(resolve));
});

/** A client socket, its server side, and the payloads it has read (n, and whether whole). */
async function connect() {
  const serverSide = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  const received: { n: number; whole: boolean }[] = [];
  client.on("message", (data: Buffer) => {
    const { n, whole } = JSON.parse(data.toString()).payload.data;
    received.push({ n, whole });
  });
  await new Promise((resolve) => client.once("open", resolve));
  return { client, server: await serverSide, received };
}

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
};

it("sends a socket that fell behind on changes the whole state once it reads again, and the others every change in order", async () => {
  const stream = new Stream();
  const shared = new SharedSubscriptions(() => {});
  const [reader, stalled] = [await connect(), await connect()];
  const start = async (onChangeFeed: (feed: ChangeFeed) => void) => (onChangeFeed(stream), stream);
  for (const socket of [reader, stalled]) shared.join("board", true, start, socket.server, "1", () => {});
  await until(() => reader.received.length === 1 && stalled.received.length === 1);

  // Changes come a few milliseconds apart, so the reader keeps up; the stalled socket's bytes pile
  // up in the kernel, then in the server. A few more come after it counts as behind.
  const paused = (stalled.client as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  paused.pause();
  for (let more = 5; more > 0; ) {
    stream.push(false);
    await new Promise((r) => setTimeout(r, 5));
    if (stalled.server.bufferedAmount > 512 * 1024) more--;
  }
  const changes = stream.produced - 1;
  await until(() => reader.received.length === 1 + changes);
  expect(stream.resyncs).toBe(0);
  paused.resume();
  await until(() => stalled.received.some((p, i) => i > 0 && p.whole));
  stream.push(false);
  const last = stream.produced - 1;
  await until(() => reader.received.at(-1)?.n === last && stalled.received.at(-1)?.n === last);

  // The reader: every change in order, and no whole state past the first.
  expect(stream.resyncs).toBe(1);
  expect(reader.received.map((p) => p.n)).toEqual([...Array.from({ length: 1 + changes }, (_, n) => n), last]);
  // The stalled socket: the changes written before it fell behind, the whole state, then the changes after it.
  const got = stalled.received.map((p) => `${p.n}${p.whole ? " whole" : ""}`);
  const taken = got.indexOf(`${last - 1} whole`);
  expect(taken).toBeGreaterThan(0);
  expect(taken).toBeLessThan(changes);
  expect(got).toEqual([...Array.from({ length: taken }, (_, n) => (n ? `${n}` : "0 whole")), `${last - 1} whole`, `${last}`]);
  for (const socket of [reader, stalled]) socket.client.close();
});
