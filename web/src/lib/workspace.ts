// The words the settings screens use for weekdays, roles and permissions, in one place.
import type { Permission, Role as MemberRole } from "./generated/graphql";

/** ISO weekdays, 1 = Monday. */
export const WEEKDAYS = [
  [1, "Monday"],
  [2, "Tuesday"],
  [3, "Wednesday"],
  [4, "Thursday"],
  [5, "Friday"],
  [6, "Saturday"],
  [7, "Sunday"],
] as const;

export const ROLES: readonly (readonly [MemberRole, string])[] = [
  ["owner", "Owner"],
  ["manager", "Manager"],
  ["staff", "Staff"],
  ["employee", "Employee"],
] as const;

export type Role = MemberRole;

export const roleLabel = (role: string) => ROLES.find(([value]) => value === role)?.[1] ?? role;

/** Data permissions: what a staff set or an API key may be given (identity management stays with owners). */
export const DATA_PERMISSIONS: readonly (readonly [Permission, string, string])[] = [
  ["SESSION_READ", "session.read", "Read client sessions"],
  ["SESSION_CREATE", "session.create", "Book client sessions"],
  ["SESSION_UPDATE", "session.update", "Edit client sessions"],
  ["SESSION_DELETE", "session.delete", "Delete client sessions"],
  ["SESSION_FIELDS_MANAGE", "session.fields.manage", "Manage session fields"],
  ["EVALUATION_FIELDS_MANAGE", "evaluation.fields.manage", "Manage evaluation fields"],
  ["WORK_READ", "work.read", "Read work sessions"],
  ["WORK_RECORD", "work.record", "Record own work"],
  ["WORK_MANAGE", "work.manage", "Correct everyone's work"],
  ["AGENT_READ", "agent.read", "Read agent sessions and entries"],
  ["AGENT_TRACK", "agent.track", "Track agent sessions and the timer"],
  ["TEAM_READ", "team.read", "See everyone's rows"],
  ["BILLING_MANAGE", "billing.manage", "Invoices, projects and billing"],
  ["ANALYTICS_READ", "analytics.read", "Read product analytics"],
  ["ANALYTICS_MANAGE", "analytics.manage", "Manage analytics apps"],
  ["JOBS_READ", "jobs.read", "See failed background jobs"],
] as const;

/** Everything a wall display needs to show the whole team's Live board, and nothing it could change. */
export const BOARD_SCOPES: Permission[] = ["SESSION_READ", "WORK_READ", "AGENT_READ", "TEAM_READ"];

