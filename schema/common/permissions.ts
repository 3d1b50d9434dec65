// Roles map to permission strings, checked in one place: the scope-auth plugin (builder.ts).
// `team.read` separates managers, who see everyone's sessions, from employees, who see their own.
export const PERMISSIONS = [
  "session.read",
  "team.read",
  "session.create",
  "session.update",
  "session.delete",
  "session.fields.manage",
  "evaluation.fields.manage",
  "time.manage",
  "billing.manage",
  "analytics.read",
  "analytics.manage",
  "members.manage",
  "tokens.manage",
  "workspace.manage",
  "jobs.read",
] as const;

export type Permission = (typeof PERMISSIONS)[number];
export type Role = "owner" | "manager" | "staff" | "employee";

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  manager: [
    "session.read",
    "team.read",
    "session.create",
    "session.update",
    "session.delete",
    "time.manage",
    "billing.manage",
    "analytics.read",
    "jobs.read",
  ],
  staff: ["session.read", "team.read", "session.create", "session.update"],
  employee: ["session.read", "session.create"],
};

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The permissions a member holds; staff may have a workspace-specific set. */
export function permissionsFor(role: Role, customStaff: readonly string[] | null): Set<Permission> {
  if (role === "staff" && customStaff) return new Set(customStaff.filter(isPermission));
  return new Set(ROLE_PERMISSIONS[role]);
}

/** An API key can only narrow what its creator may do. */
export function narrowToScopes(held: Set<Permission>, scopes: readonly string[]): Set<Permission> {
  return new Set(scopes.filter(isPermission).filter((p) => held.has(p)));
}
