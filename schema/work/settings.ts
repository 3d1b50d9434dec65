/** Work-session settings of a workspace, read defensively from its settings JSON. */
export interface WorkSettings {
  inactivityMinutes: number;
}

export function workSettings(settings: unknown): WorkSettings {
  const minutes = (settings as { work?: { inactivityMinutes?: unknown } } | null)?.work?.inactivityMinutes;
  return { inactivityMinutes: typeof minutes === "number" && minutes >= 1 && minutes <= 24 * 60 ? minutes : 15 };
}
