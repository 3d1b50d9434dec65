// The tracker's heartbeat merging (aw-core's heartbeat_merge) and how an event's growth is cut into
// pieces for the platform, checked directly.
import { describe, expect, it } from "vitest";
import { heartbeat, insertedId, unsentPiece, type Newest } from "../../tracker/heartbeats.js";

const T = Date.UTC(2026, 0, 5, 9);
const beat = (s: number, data: Record<string, unknown> = { app: "Code", title: "x" }, duration = 0) => ({ start: T + s * 1000, end: T + (s + duration) * 1000, data });

describe("heartbeat merging", () => {
  it("extends the newest event with equal data (key order aside) within pulsetime of its end, never shortening it", () => {
    let { newest, started } = heartbeat(null, beat(0), 2);
    expect(started).toBe(true);
    ({ newest, started } = heartbeat(newest, beat(1, { title: "x", app: "Code" }), 2));
    expect([started, newest.end]).toEqual([false, T + 1000]);
    ({ newest, started } = heartbeat(newest, beat(3), 2));
    expect([started, newest.end]).toEqual([false, T + 3000]);
    // An older heartbeat with a duration inside the event: no change.
    ({ newest } = heartbeat(newest, beat(1, undefined, 1), 2));
    expect(newest.end).toBe(T + 3000);
  });

  it("starts a new event for other data, a gap longer than pulsetime, or a heartbeat before the event", () => {
    const { newest } = heartbeat(null, beat(10, undefined, 5), 2);
    expect(heartbeat(newest, beat(16, { app: "Slack", title: "x" }), 2).started).toBe(true);
    expect(heartbeat(newest, beat(17.5), 2).started).toBe(true);
    expect(heartbeat(newest, beat(17), 2).started).toBe(false);
    expect(heartbeat(newest, beat(9), 2).started).toBe(true);
  });
});

describe("pieces for the platform", () => {
  it("sends the whole event first, then only its growth, each piece with its own stable id", () => {
    const e: Newest = { start: T, end: T, data: {}, pulsetime: 2, sentUntil: null };
    const first = unsentPiece("aw-watcher-window_a", e)!;
    expect(first).toEqual({ id: `aw-watcher-window_a/${T}/0-0`, start: T, end: T });
    e.sentUntil = first.end;
    expect(unsentPiece("aw-watcher-window_a", e)).toBeNull();
    e.end = T + 4000;
    expect(unsentPiece("aw-watcher-window_a", e)).toEqual({ id: `aw-watcher-window_a/${T}/0-4000`, start: T, end: T + 4000 });
    e.sentUntil = T + 4000;
    e.end = T + 9000;
    expect(unsentPiece("aw-watcher-window_a", e)).toEqual({ id: `aw-watcher-window_a/${T}/4000-9000`, start: T + 4000, end: T + 9000 });
    expect(unsentPiece("b".repeat(500), e)!.id.length).toBeLessThanOrEqual(200);
  });

  it("names an inserted event by its content", () => {
    const e = { timestamp: new Date(T).toISOString(), duration: 5, data: { a: 1, b: 2 } };
    expect(insertedId("w", e)).toBe(insertedId("w", { ...e, data: { b: 2, a: 1 } }));
    expect(insertedId("w", e)).not.toBe(insertedId("w", { ...e, duration: 6 }));
  });
});
