// The settings screens' words for weekdays, roles and permissions, and the workspace's own settings.
import type { Permission, Role as MemberRole, WorkspaceSettingsFragment } from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";

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
  ["OWNER", "Owner"],
  ["MANAGER", "Manager"],
  ["STAFF", "Staff"],
  ["EMPLOYEE", "Employee"],
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


graphql(`fragment WorkspaceSettings on Workspace { name timeZone weekStart timeFormat workingHours { weekday start end } }`);

export type WorkspaceSettings = WorkspaceSettingsFragment;

/** Null when the viewer is signed out. */
export async function fetchWorkspaceSettings(): Promise<WorkspaceSettings | null> {
  const data = await gql(graphql(`query WorkspaceSettings { viewer { workspace { ...WorkspaceSettings } } }`));
  return data.viewer?.workspace ?? null;
}

export async function updateWorkspace(settings: WorkspaceSettings): Promise<WorkspaceSettings> {
  const { updateWorkspace } = await gql(
    graphql(`
      mutation SaveWorkspace($name: String, $timeZone: String, $weekStart: Int, $timeFormat: TimeFormat, $workingHours: [WorkingDayInput!]) {
        updateWorkspace(input: { name: $name, timeZone: $timeZone, weekStart: $weekStart, timeFormat: $timeFormat, workingHours: $workingHours }) {
          __typename ...Failure ...Problems ...WorkspaceSettings
        }
      }
    `),
    settings,
  );
  return unwrap(updateWorkspace, "Workspace");
}
