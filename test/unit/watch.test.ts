// The watch that tells whether a backing store answers: a stall counts once a ping has gone unanswered
// long enough, but not when this process was too busy to read an answer that had arrived.
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Watch } from "../../platform/watch.js";

const STALLED_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An echo server on loopback that answers at once unless frozen, as a store does. */
let server: Server;
let frozen = false;
let socket: Socket;
beforeAll(async () => {
  server = createServer((s) => s.on("data", (data) => frozen || s.write(data)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  socket = connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
});
afterAll(() => {
  socket.destroy();
  server.close();
});

/** A ping over the socket, answered by the next echo; `sent` hears when it goes out. */
function echoPing(sent: () => void = () => {}) {
  return () =>
    new Promise<void>((resolve) => {
      socket.once("data", () => resolve());
      socket.write("p");
      sent();
    });
}

it("a ping unanswered for longer than the limit is a stall; the next answer ends it", async () => {
  frozen = true;
  const watch = new Watch({ ping: echoPing(), stalledMs: STALLED_MS });
  try {
    await sleep(250 + STALLED_MS + 600);
    expect(watch.up).toBe(false);
    frozen = false;
    socket.write("p"); // the frozen server dropped the ping; this echo answers it
    await sleep(50);
    expect(watch.up).toBe(true);
  } finally {
    watch.stop();
    frozen = false;
  }
});

it("an answer that arrived while the event loop was held up is read before it counts as a stall", async () => {
  let held = false;
  let seen: boolean | null = null;
  // The loop is held for three limits right after the ping goes out: the echo arrives meanwhile,
  // unread. Timers run in the order they fell due, so the observer, due just after the watch's next
  // check, runs after that check and before the loop reads the echo.
  const watch = new Watch({
    stalledMs: STALLED_MS,
    ping: echoPing(() => {
      if (held) return;
      held = true;
      setTimeout(() => (seen = watch.up), 260);
      setImmediate(() => {
        const until = Date.now() + 3 * STALLED_MS;
        while (Date.now() < until);
      });
    }),
  });
  try {
    await sleep(250 + 3 * STALLED_MS + 300);
    expect(seen).toBe(true);
    expect(watch.up).toBe(true);
  } finally {
    watch.stop();
  }
});

it("a failed ping is down at once, and an answer given some other way is up again", async () => {
  let fail = true;
  const watch = new Watch({ ping: () => (fail ? Promise.reject(new Error("refused")) : new Promise<void>(() => {})), stalledMs: STALLED_MS });
  try {
    await sleep(300);
    expect(watch.up).toBe(false);
    // The next ping never answers, but a statement on another connection did: up, and the ping in
    // flight counts from then.
    fail = false;
    await sleep(250);
    watch.answered();
    expect(watch.up).toBe(true);
    await sleep(STALLED_MS / 2);
    expect(watch.up).toBe(true);
    await sleep(STALLED_MS + 600);
    expect(watch.up).toBe(false);
  } finally {
    watch.stop();
  }
});

it("a store that isn't connected is down whatever its pings say", async () => {
  const watch = new Watch({ ping: () => Promise.resolve(), stalledMs: STALLED_MS, connected: () => false });
  try {
    await sleep(300);
    expect(watch.up).toBe(false);
  } finally {
    watch.stop();
  }
});

it("tells whoever waits on it when it finds a stall, once each, and not those who stopped waiting", async () => {
  const watch = new Watch({ ping: () => new Promise<void>(() => {}), stalledMs: STALLED_MS });
  const told: string[] = [];
  watch.onceStalled(() => told.push("first"));
  const stopWaiting = watch.onceStalled(() => told.push("stopped waiting"));
  stopWaiting();
  try {
    await sleep(250 + STALLED_MS + 600);
    expect(watch.up).toBe(false);
    expect(told).toEqual(["first"]);
    // Answered some other way, then stalled again: only the one waiting since is told.
    watch.answered();
    watch.onceStalled(() => told.push("second"));
    await sleep(STALLED_MS + 600);
    expect(watch.up).toBe(false);
    expect(told).toEqual(["first", "second"]);
  } finally {
    watch.stop();
  }
});
