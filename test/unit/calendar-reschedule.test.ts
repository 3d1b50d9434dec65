// Where a session dragged on the calendar's time grid lands: quarter hours, within the grid.
import { describe, expect, it } from "vitest";
import { reschedule } from "../../web/src/lib/reschedule.js";

const grid = { start: 6 * 60, end: 22 * 60 };
const tenToEleven = { day: "2026-03-02", start: 10 * 60, duration: 60 };

describe("rescheduling a session on the grid", () => {
  it("moves to the nearest quarter hour, keeping its length, onto the day dropped on", () => {
    expect(reschedule(tenToEleven, "move", 37, "2026-03-03", grid)).toEqual({ day: "2026-03-03", start: 10 * 60 + 30, duration: 60 });
    expect(reschedule(tenToEleven, "move", -52, "2026-03-02", grid)).toEqual({ day: "2026-03-02", start: 9 * 60 + 15, duration: 60 });
  });

  it("snaps a start that was off the quarter hours onto them", () => {
    expect(reschedule({ ...tenToEleven, start: 10 * 60 + 7 }, "move", 15, "2026-03-02", grid).start).toBe(10 * 60 + 15);
  });

  it("stays within the grid", () => {
    expect(reschedule(tenToEleven, "move", -600, "2026-03-02", grid).start).toBe(6 * 60);
    expect(reschedule(tenToEleven, "move", 900, "2026-03-02", grid).start).toBe(21 * 60);
    expect(reschedule(tenToEleven, "resize", 900, "2026-03-02", grid).duration).toBe(12 * 60);
  });

  it("resizes by moving the end, never shorter than a quarter hour, and never to another day", () => {
    expect(reschedule(tenToEleven, "resize", 22, "2026-03-05", grid)).toEqual({ day: "2026-03-02", start: 10 * 60, duration: 75 });
    expect(reschedule(tenToEleven, "resize", -120, "2026-03-02", grid).duration).toBe(15);
  });
});
