import { createPubSub } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import type { Db } from "../../schema/common/context.js";
import type { LiveSession, PubSub } from "../../schema/common/pubsub.js";
import { advance, LiveHubs } from "../../schema/live/hub.js";
import { lastTurnover } from "../../schema/live/sources.js";

const t0 = new Date("2026-03-29T00:59:58Z");
const session = (id: string, ticking = true): LiveSession => ({
  id,
  kind: "TIMER",
  workspaceId: "w",
  userId: "u",
  title: id,
  person: "P",
  state: ticking ? "running" : "stopped",
  ticking,
  startedAt: t0,
  accumulatedSeconds: 10,
  serverTime: t0,
});

describe("advance", () => {
  it("adds whole elapsed seconds to ticking sessions only, keeping the fraction for the next tick", () => {
    const later = new Date(t0.getTime() + 2900);
    const a = advance(session("a"), later);
    expect(a).toMatchObject({ accumulatedSeconds: 12, serverTime: new Date(t0.getTime() + 2000) });
    expect(advance(session("b", false), later)).toMatchObject({ accumulatedSeconds: 10, serverTime: later });
    // Ticks at 2.9 s and 4.0 s: 14 seconds at 4.0 s, not 13 (the 0.9 s is not lost).
    expect(advance(a, new Date(t0.getTime() + 4000))).toMatchObject({ accumulatedSeconds: 14 });
  });
  it("a counter's serverTime is its last whole-second turnover", () => {
    expect(lastTurnover(t0, new Date(t0.getTime() + 7250))).toEqual(new Date(t0.getTime() + 7000));
    expect(lastTurnover(t0, t0)).toEqual(t0);
  });
});

describe("LiveHubs", () => {
  // No session kinds are given to the hubs in this unit test, so the board starts empty without a database.
  const hubs = () => {
    const pubsub = createPubSub() as PubSub;
    return { pubsub, live: new LiveHubs({} as Db, pubsub, [], 20) };
  };
  const tick = () => new Promise((r) => setTimeout(r, 10));
  /** A subscriber who sees every row, like a manager. */
  const everything = (wantsTicks: boolean) => ({ wantsTicks, sees: () => true });

  it("keeps only the newest board for a subscriber that isn't reading", async () => {
    const { pubsub, live } = hubs();
    const board = await live.subscribe("w", everything(false));
    expect((await board.next()).value.reason).toBe("SNAPSHOT");
    for (let i = 0; i < 1000; i++) pubsub.publish("live", "w", { upsert: session(`s${i}`) });
    await tick();
    const next = await board.next();
    expect(next.value.sessions).toHaveLength(1000);
    // Everything before was folded into that one payload: nothing else is waiting.
    const pending = await Promise.race([board.next().then(() => "more"), tick().then(() => "none")]);
    expect(pending).toBe("none");
    await board.return!();
  });

  it("sends ticks only to subscribers that asked, and only while something ticks", async () => {
    const { pubsub, live } = hubs();
    const ticking = await live.subscribe("w", everything(true));
    const quiet = await live.subscribe("w", everything(false));
    await ticking.next();
    await quiet.next();
    await new Promise((r) => setTimeout(r, 80));
    const noTicksYet = await Promise.race([ticking.next().then((r) => r.value.reason), tick().then(() => "none")]);
    expect(noTicksYet).toBe("none");
    pubsub.publish("live", "w", { upsert: session("a") });
    await tick();
    expect((await ticking.next()).value.reason).toMatch(/CHANGE|TICK/);
    expect((await quiet.next()).value.reason).toBe("CHANGE");
    expect((await ticking.next()).value.reason).toBe("TICK");
    const quietAfter = await Promise.race([quiet.next().then((r) => r.value.reason), new Promise((r) => setTimeout(() => r("none"), 60))]);
    expect(quietAfter).toBe("none");
    await ticking.return!();
    await quiet.return!();
    live.stop();
  });

  it("removes sessions and keeps other workspaces apart", async () => {
    const { pubsub, live } = hubs();
    const w = await live.subscribe("w", everything(false));
    const other = await live.subscribe("other", everything(false));
    await w.next();
    await other.next();
    pubsub.publish("live", "w", { upsert: session("a") });
    await tick();
    expect((await w.next()).value.sessions.map((s: LiveSession) => s.id)).toEqual(["a"]);
    pubsub.publish("live", "w", { removeId: "a" });
    await tick();
    expect((await w.next()).value.sessions).toEqual([]);
    const otherPending = await Promise.race([other.next().then(() => "got"), tick().then(() => "none")]);
    expect(otherPending).toBe("none");
  });

  it("sends a change or a tick only to subscribers who see a row it touched", async () => {
    const { pubsub, live } = hubs();
    const owner = (id: string, userId: string, ticking = true) => ({ ...session(id, ticking), userId });
    const sees = (userId: string) => ({ wantsTicks: true, sees: (s: LiveSession) => s.userId === userId });
    const tom = await live.subscribe("w", sees("tom"));
    const emma = await live.subscribe("w", sees("emma"));
    const manager = await live.subscribe("w", everything(true));
    for (const board of [tom, emma, manager]) await board.next();
    const nothingFor = (board: AsyncIterableIterator<unknown>) => Promise.race([board.next().then(() => "got"), tick().then(() => "none")]);

    pubsub.publish("live", "w", { upsert: owner("t", "tom", false) });
    await tick();
    expect((await tom.next()).value.reason).toBe("CHANGE");
    expect((await manager.next()).value.reason).toBe("CHANGE");
    expect(await nothingFor(emma)).toBe("none");

    // Tom's session ticks: ticks go to those who see it, still none to Emma.
    pubsub.publish("live", "w", { upsert: owner("t", "tom") });
    await new Promise((r) => setTimeout(r, 60));
    expect((await tom.next()).value.sessions.map((s: LiveSession) => s.id)).toEqual(["t"]);
    expect(await nothingFor(emma)).toBe("none");

    // A row leaving the board reaches whoever saw it.
    pubsub.publish("live", "w", { removeId: "t" });
    await new Promise((r) => setTimeout(r, 30));
    expect((await tom.next()).value.sessions).toEqual([]);
    expect(await nothingFor(emma)).toBe("none");
    for (const board of [tom, emma, manager]) await board.return!();
    live.stop();
  });

  describe("changes only", () => {
    const idsOf = (rows: readonly LiveSession[]) => rows.map((s) => s.id);

    it("merges what a subscriber that isn't reading missed into one payload, by row, the newest state of each", async () => {
      const { pubsub, live } = hubs();
      const feed = await live.subscribeChanges("w", everything(false));
      expect((await feed.next()).value.reason).toBe("SNAPSHOT");
      pubsub.publish("live", "w", { upsert: session("kept") });
      pubsub.publish("live", "w", { upsert: session("closed") });
      await tick();
      expect(idsOf((await feed.next()).value.sessions).sort()).toEqual(["closed", "kept"]);
      for (let i = 0; i < 1000; i++) pubsub.publish("live", "w", { upsert: { ...session(`s${i % 10}`), title: `v${i}` } });
      pubsub.publish("live", "w", { removeId: "closed" });
      pubsub.publish("live", "w", { upsert: { ...session("opened and closed"), title: "gone" } });
      pubsub.publish("live", "w", { removeId: "opened and closed" });
      await tick();
      const { value } = await feed.next();
      expect(value.reason).toBe("CHANGE");
      expect(value.sessions.map((s: LiveSession) => `${s.id}=${s.title}`).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}=v${990 + i}`));
      expect(idsOf(value.removed).sort()).toEqual(["closed", "opened and closed"]);
      expect(await Promise.race([feed.next().then(() => "more"), tick().then(() => "none")])).toBe("none");
      await feed.return!();
    });

    it("sends changes waiting before a whole board asked for again, and a subscriber only the rows it sees", async () => {
      const { pubsub, live } = hubs();
      const feed = await live.subscribeChanges("w", { wantsTicks: false, sees: (s) => s.userId === "tom" });
      await feed.next();
      const next = feed.next();
      pubsub.publish("live", "w", { upsert: { ...session("emma's"), userId: "emma" } });
      await tick();
      expect(await Promise.race([next.then(() => "got"), tick().then(() => "none")])).toBe("none");
      pubsub.publish("live", "w", { upsert: { ...session("tom's"), userId: "tom" } });
      expect(idsOf((await next).value.sessions)).toEqual(["tom's"]);
      pubsub.publish("live", "w", { upsert: { ...session("tom's"), userId: "tom", state: "stopped" } });
      await tick();
      feed.resync();
      const change = (await feed.next()).value;
      expect([change.reason, change.sessions.map((s: LiveSession) => s.state), feed.lastWasWhole]).toEqual(["CHANGE", ["stopped"], false]);
      const whole = (await feed.next()).value;
      expect(feed.lastWasWhole).toBe(true);
      // The whole board holds every row; the policy filters it where it is resolved, per audience.
      expect([whole.reason, idsOf(whole.sessions).sort()]).toEqual(["SNAPSHOT", ["emma's", "tom's"]]);
      await feed.return!();
    });

    it("ticks with nothing but the time, to subscribers that asked and see a ticking row", async () => {
      const { pubsub, live } = hubs();
      const [ticks, quiet] = [await live.subscribeChanges("w", everything(true)), await live.subscribeChanges("w", everything(false))];
      await ticks.next();
      await quiet.next();
      pubsub.publish("live", "w", { upsert: session("a") });
      await tick();
      expect((await ticks.next()).value.reason).toBe("CHANGE");
      expect((await quiet.next()).value.reason).toBe("CHANGE");
      const { value } = await ticks.next();
      expect([value.reason, value.sessions, value.removed]).toEqual(["TICK", [], []]);
      expect(await Promise.race([quiet.next().then(() => "got"), new Promise((r) => setTimeout(() => r("none"), 60))])).toBe("none");
      await ticks.return!();
      await quiet.return!();
      live.stop();
    });
  });
});
