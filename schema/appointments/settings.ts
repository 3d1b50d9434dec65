// Client-session settings of a workspace, read defensively from its settings JSON.
import { HH_MM } from "../common/time.js";

export interface AppointmentSettings {
  defaultDurationMinutes: number;
  defaultStatus: "scheduled" | "in_progress" | "completed" | "cancelled";
  /** HH:mm in the workspace time zone. */
  defaultTime: string;
  /** Calendar time slots and free-slot steps. */
  slotMinutes: number;
  /** Move sessions to in progress and completed at their start and end times. */
  autoStatus: boolean;
  /** Calendar feeds show full client names instead of initials. */
  clientNamesInFeeds: boolean;
}

export const DEFAULT_APPOINTMENT_SETTINGS: AppointmentSettings = {
  defaultDurationMinutes: 60,
  defaultStatus: "scheduled",
  defaultTime: "09:00",
  slotMinutes: 30,
  autoStatus: false,
  clientNamesInFeeds: false,
};

export const SLOT_MINUTES = [5, 10, 15, 20, 30, 60] as const;
export const STATUSES = ["scheduled", "in_progress", "completed", "cancelled"] as const;

export function appointmentSettings(settings: unknown): AppointmentSettings {
  const s = ((settings as { appointments?: Partial<AppointmentSettings> } | null)?.appointments ?? {}) as Partial<AppointmentSettings>;
  const d = DEFAULT_APPOINTMENT_SETTINGS;
  return {
    defaultDurationMinutes: Number.isInteger(s.defaultDurationMinutes) && s.defaultDurationMinutes! >= 1 ? s.defaultDurationMinutes! : d.defaultDurationMinutes,
    defaultStatus: STATUSES.includes(s.defaultStatus as never) ? s.defaultStatus! : d.defaultStatus,
    defaultTime: HH_MM.test(String(s.defaultTime)) ? s.defaultTime! : d.defaultTime,
    slotMinutes: SLOT_MINUTES.includes(s.slotMinutes as never) ? s.slotMinutes! : d.slotMinutes,
    autoStatus: typeof s.autoStatus === "boolean" ? s.autoStatus : d.autoStatus,
    clientNamesInFeeds: typeof s.clientNamesInFeeds === "boolean" ? s.clientNamesInFeeds : d.clientNamesInFeeds,
  };
}
