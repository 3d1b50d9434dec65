/** Work-session settings of a workspace, read defensively from its settings JSON. */
export interface WorkSettings {
  inactivityMinutes: number;
  /** AFK at least this long asks the employee, when they come back, what the time was. */
  afkPromptMinutes: number;
}

export const WORK_SETTING_LIMITS = { inactivityMinutes: { min: 1, max: 24 * 60 }, afkPromptMinutes: { min: 1, max: 240 } } as const;
const DEFAULTS: WorkSettings = { inactivityMinutes: 15, afkPromptMinutes: 3 };

export function workSettings(settings: unknown): WorkSettings {
  const stored = (settings as { work?: Record<string, unknown> } | null)?.work ?? {};
  const read = (key: keyof WorkSettings) => {
    const value = stored[key];
    const { min, max } = WORK_SETTING_LIMITS[key];
    return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : DEFAULTS[key];
  };
  return { inactivityMinutes: read("inactivityMinutes"), afkPromptMinutes: read("afkPromptMinutes") };
}
