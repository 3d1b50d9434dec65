// Where the arrow keys take the focus among the calendar's sessions (the page's one Tab stop).
import { describe, expect, it } from "vitest";
import { moveFrom } from "../../web/src/lib/roving.js";

// Listed out of order: the calendar hands them over as the API sorts them, not as they are read.
const shown = [
  { id: "tue-late", day: "2026-03-03", minutes: 16 * 60 },
  { id: "mon-9", day: "2026-03-02", minutes: 9 * 60 },
  { id: "mon-11", day: "2026-03-02", minutes: 11 * 60 },
  { id: "tue-10", day: "2026-03-03", minutes: 10 * 60 },
  { id: "thu-12", day: "2026-03-05", minutes: 12 * 60 },
];

describe("moving the calendar's focus", () => {
  it("goes up and down within a day, and nowhere past its first or last session", () => {
    expect(moveFrom(shown, "mon-9", "ArrowDown")).toBe("mon-11");
    expect(moveFrom(shown, "mon-11", "ArrowUp")).toBe("mon-9");
    expect(moveFrom(shown, "mon-11", "ArrowDown")).toBeNull();
    expect(moveFrom(shown, "mon-9", "ArrowUp")).toBeNull();
  });

  it("goes left and right to the nearest session in time on the next day that has any", () => {
    expect(moveFrom(shown, "mon-11", "ArrowRight")).toBe("tue-10");
    expect(moveFrom(shown, "tue-late", "ArrowLeft")).toBe("mon-11");
    // Wednesday has none: Thursday is next.
    expect(moveFrom(shown, "tue-10", "ArrowRight")).toBe("thu-12");
    expect(moveFrom(shown, "thu-12", "ArrowRight")).toBeNull();
  });

  it("goes to the first and last shown with Home and End, and from a session no longer shown to the first", () => {
    expect(moveFrom(shown, "tue-10", "Home")).toBe("mon-9");
    expect(moveFrom(shown, "mon-9", "End")).toBe("thu-12");
    expect(moveFrom(shown, "gone", "ArrowDown")).toBe("mon-9");
    expect(moveFrom([], "gone", "ArrowDown")).toBeNull();
  });
});
