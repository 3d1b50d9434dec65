// Where a session dragged (or moved with Alt+arrow keys) on the day and week grids lands: times
// snap to quarter hours and stay on the grid, so what the user sees when dropping is what is saved.

export const SNAP_MINUTES = 15;

/** A session as the grid draws it: its day (YYYY-MM-DD), start (wall minutes after midnight) and length. */
export interface Span {
  day: string;
  start: number;
  duration: number;
}

/** Moving keeps the length; resizing keeps the start and moves the end. */
export type Change = "move" | "resize";

export const snap = (minutes: number) => Math.round(minutes / SNAP_MINUTES) * SNAP_MINUTES;

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

/**
 * The span after moving its start (or, resizing, its end) by `minutes`, onto `day` when moving;
 * `grid` is the first and last minute shown. A resized session keeps at least one quarter hour.
 */
export function reschedule(from: Span, change: Change, minutes: number, day: string, grid: { start: number; end: number }): Span {
  if (change === "resize") {
    const end = clamp(snap(from.start + from.duration + minutes), from.start + SNAP_MINUTES, Math.max(grid.end, from.start + SNAP_MINUTES));
    return { ...from, duration: end - from.start };
  }
  const start = clamp(snap(from.start + minutes), grid.start, Math.max(grid.start, grid.end - from.duration));
  return { day, start, duration: from.duration };
}
