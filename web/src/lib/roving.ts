// Where the arrow keys take the focus among a calendar's appointments. The calendar is one Tab
// stop (its focused appointment) instead of one per slot and appointment, so the keys move within it.

/** An appointment as the calendar lays it out: its day (YYYY-MM-DD) and start (minutes after midnight, wall time). */
export interface Placed {
  id: string;
  day: string;
  minutes: number;
}

/** The keys that move the focus; Enter and Space open the appointment, as on any button. */
export const MOVES = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End"] as const;
export type Move = (typeof MOVES)[number];

export const isMove = (key: string): key is Move => (MOVES as readonly string[]).includes(key);

/** In reading order: by day, then by start. */
export function inOrder(items: readonly Placed[]): Placed[] {
  return [...items].sort((a, b) => a.day.localeCompare(b.day) || a.minutes - b.minutes);
}

/**
 * The appointment a key moves to from `currentId`: up and down to the previous or next one of the
 * same day, left and right to the nearest in time on the previous or next day that has any, Home
 * and End to the first and last shown. Null where there is nowhere to go.
 */
export function moveFrom(items: readonly Placed[], currentId: string, key: Move): string | null {
  const ordered = inOrder(items);
  const index = ordered.findIndex((a) => a.id === currentId);
  if (index < 0) return ordered[0]?.id ?? null;
  const current = ordered[index];
  if (key === "Home") return ordered[0].id;
  if (key === "End") return ordered[ordered.length - 1].id;
  if (key === "ArrowUp" || key === "ArrowDown") {
    const next = ordered[index + (key === "ArrowDown" ? 1 : -1)];
    return next?.day === current.day ? next.id : null;
  }
  const days = [...new Set(ordered.map((a) => a.day))];
  const day = days[days.indexOf(current.day) + (key === "ArrowRight" ? 1 : -1)];
  if (!day) return null;
  const distance = (a: Placed) => Math.abs(a.minutes - current.minutes);
  return ordered.filter((a) => a.day === day).reduce((best, a) => (distance(a) < distance(best) ? a : best)).id;
}
