// The one authorization policy. Every resolver, subscription filter, plain endpoint, MCP tool and
// job that acts for a person asks this module, so a rule is stated once and can't be forgotten in
// one copy: which workspace a credential acts in, what it may do, and which rows it may see.
// Pure: no I/O, so it is tested directly (test/unit/policy.test.ts).
import { Prisma } from "../../prisma/generated/client.js";
import type { Viewer } from "./context.js";
import type { LiveSession } from "./pubsub.js";
import { ForbiddenError } from "./errors.js";

/** Each domain has its own permissions; `team.read` widens any domain's reads from "your own" to everyone's. */
export const PERMISSIONS = [
  // client sessions (appointments), their custom fields and client evaluations
  "session.read",
  "session.create",
  "session.update",
  "session.delete",
  "session.fields.manage",
  "evaluation.fields.manage",
  // work sessions (desktop tracking)
  "work.read",
  "work.record",
  "work.manage",
  // agent sessions, the timer and time entries
  "agent.read",
  "agent.track",
  // everyone's rows instead of your own, in every domain
  "team.read",
  "billing.manage",
  "analytics.read",
  "analytics.manage",
  "jobs.read",
  // identity and credentials: people only, never an API key
  "members.manage",
  "tokens.manage",
  "workspace.manage",
] as const;

export type Permission = (typeof PERMISSIONS)[number];
export type Role = "owner" | "manager" | "staff" | "employee";
export type TokenKind = "browser" | "personal" | "api_key";

/** An API key is a machine: it may read and write data within its scopes, never manage who may. */
const IDENTITY_PERMISSIONS: readonly Permission[] = ["members.manage", "tokens.manage", "workspace.manage"];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  // Managers run the team's work, time and billing; field definitions, analytics apps and identity stay with owners.
  manager: PERMISSIONS.filter((p) => !["session.fields.manage", "evaluation.fields.manage", "analytics.manage", ...IDENTITY_PERMISSIONS].includes(p)),
  staff: ["session.read", "session.create", "session.update", "work.read", "work.record", "agent.read", "agent.track", "team.read"],
  // Employees track their own time and see the client sessions assigned to them; they don't book.
  employee: ["session.read", "work.read", "work.record", "agent.read", "agent.track"],
};

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** What a member may do: the role's set, or the workspace's custom set for staff (data permissions only). */
export function permissionsFor(role: Role, customStaff: readonly string[] | null): Set<Permission> {
  if (role === "staff" && customStaff) return new Set(customStaff.filter(isPermission).filter(isDataPermission));
  return new Set(ROLE_PERMISSIONS[role]);
}

/**
 * What may be delegated, as an API key's scope or in a staff permission set: any data permission,
 * none of identity management (who may do what stays with owners).
 */
export function isDataPermission(permission: Permission): boolean {
  return !IDENTITY_PERMISSIONS.includes(permission);
}

export interface CredentialFacts {
  tokenId: string;
  kind: TokenKind;
  userId: string;
  /** A credential is bound to exactly one workspace: every read and write acts in it. */
  workspaceId: string;
  scopes: readonly string[];
  /** The member's role now, not when the credential was made. */
  role: Role;
  customStaff: readonly string[] | null;
  /** When the credential stops working (none: never). */
  expiresAt?: Date | null;
}

/**
 * The viewer a credential stands for. Browser sessions and personal tokens are the member as they
 * are now; an API key is its scopes within its creator's current permissions, minus identity
 * management whatever it was given.
 */
export function viewerOf(c: CredentialFacts): Viewer {
  const held = permissionsFor(c.role, c.customStaff);
  const permissions =
    c.kind === "api_key" ? new Set(c.scopes.filter(isPermission).filter((p) => held.has(p) && isDataPermission(p))) : held;
  return { userId: c.userId, workspaceId: c.workspaceId, role: c.role, permissions, tokenId: c.tokenId, tokenKind: c.kind, expiresAt: c.expiresAt ?? null };
}

export function can(viewer: Viewer | null | undefined, permission: Permission): boolean {
  return viewer?.permissions.has(permission) ?? false;
}

/** People (browser sessions, personal tokens) manage their own credentials and workspaces; API keys never. */
export function actsAsPerson(viewer: Viewer | null | undefined): boolean {
  return !!viewer && viewer.tokenKind !== "api_key";
}

export function requirePermission(viewer: Viewer | null | undefined, permission: Permission): asserts viewer is Viewer {
  if (!can(viewer, permission)) throw new ForbiddenError();
}

/**
 * Rows of a kind: the permissions that read them (any one will do) and the column naming whose
 * they are. Without `team.read` a viewer sees only their own; evaluations belong to whoever the
 * session they were made in belongs to, so an evaluation outside any session is for `team.read`
 * only. Catalogs (no owner) are the whole workspace's, to whoever reads that domain.
 */
const ROWS = {
  workSession: { read: ["work.read"], owner: "userId" },
  agentSession: { read: ["agent.read"], owner: "userId" },
  timeEntry: { read: ["agent.read"], owner: "userId" },
  appointment: { read: ["session.read"], owner: "staffId" },
  evaluation: { read: ["session.read"], owner: "appointment.staffId" },
  member: { read: ["team.read"], owner: "userId" },
  project: { read: ["agent.read", "billing.manage"], owner: null },
  client: { read: ["session.read", "agent.read", "billing.manage"], owner: null },
  appointmentService: { read: ["session.read", "billing.manage"], owner: null },
  invoice: { read: ["billing.manage"], owner: null },
  analyticsApp: { read: ["analytics.read"], owner: null },
  userSession: { read: ["analytics.read"], owner: null },
} as const satisfies Record<string, { read: readonly Permission[]; owner: string | null }>;

export type RowKind = keyof typeof ROWS;

/** Whether the viewer reads rows of this kind at all (some of them, at least). */
export function canRead(viewer: Viewer | null | undefined, kind: RowKind): boolean {
  return ROWS[kind].read.some((p) => can(viewer, p));
}

/** Whether the viewer reads this kind at all, and whose rows: everyone's (null) or one person's. */
function rowScope(viewer: Viewer | null | undefined, kind: RowKind): { visible: false } | { visible: true; ownerId: string | null } {
  if (!viewer || !canRead(viewer, kind)) return { visible: false };
  return { visible: true, ownerId: ROWS[kind].owner === null || can(viewer, "team.read") ? null : viewer.userId };
}

/** The rows a viewer may see, as a Prisma `where` (spread it into the query's own conditions). */
export function rowsWhere(viewer: Viewer | null | undefined, kind: RowKind): { workspaceId: string } & Record<string, unknown> {
  const scope = rowScope(viewer, kind);
  if (!scope.visible) return { workspaceId: viewer?.workspaceId ?? NOWHERE, id: { in: [] } };
  const owner = ROWS[kind].owner;
  const own = scope.ownerId === null || owner === null ? {} : ownerCondition(owner, scope.ownerId);
  return { workspaceId: viewer!.workspaceId, ...own };
}

/** The same rule for `$queryRaw`: `alias` names the table, e.g. Prisma.sql`s` for `"WorkSession" s`. */
export function rowsSql(viewer: Viewer | null | undefined, kind: RowKind, alias: string): Prisma.Sql {
  const scope = rowScope(viewer, kind);
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new Error(`Not an SQL alias: ${alias}`);
  const table = Prisma.raw(`"${alias}"`);
  if (!scope.visible) return Prisma.sql`false`;
  const inWorkspace = Prisma.sql`${table}."workspaceId" = ${viewer!.workspaceId}::uuid`;
  if (scope.ownerId === null) return inWorkspace;
  const owner: string | null = ROWS[kind].owner;
  if (owner === "appointment.staffId")
    return Prisma.sql`(${inWorkspace} AND ${table}."appointmentId" IN (SELECT a."id" FROM "Appointment" a WHERE a."staffId" = ${scope.ownerId}::uuid))`;
  return Prisma.sql`(${inWorkspace} AND ${table}.${Prisma.raw(`"${owner}"`)} = ${scope.ownerId}::uuid)`;
}

/** The same rule for rows already in hand (subscription filters, the live board). */
export function rowVisible(viewer: Viewer | null | undefined, kind: RowKind, row: { workspaceId: string; ownerId: string | null }): boolean {
  const scope = rowScope(viewer, kind);
  return scope.visible && row.workspaceId === viewer!.workspaceId && (scope.ownerId === null || row.ownerId === scope.ownerId);
}

/** The Live board mixes every kind of session; each row is filtered by its own kind's rule. */
const LIVE_KINDS: Record<LiveSession["kind"], RowKind> = {
  WORK: "workSession",
  AGENT: "agentSession",
  TIMER: "timeEntry",
  APPOINTMENT: "appointment",
  USER: "userSession",
};

export function liveVisible(viewer: Viewer | null | undefined, row: Pick<LiveSession, "kind" | "workspaceId" | "userId">): boolean {
  return rowVisible(viewer, LIVE_KINDS[row.kind], { workspaceId: row.workspaceId, ownerId: row.userId });
}

/**
 * What decides which Live board rows a viewer sees: viewers with the same key see exactly the same
 * rows, so one payload built for any of them is right for all of them (and for no one else).
 */
export function liveAudience(viewer: Viewer): string {
  const scopes = Object.values(LIVE_KINDS).map((kind) => {
    const scope = rowScope(viewer, kind);
    return !scope.visible ? "-" : (scope.ownerId ?? "*");
  });
  return [viewer.workspaceId, ...scopes].join("|");
}

/** Whether the viewer may watch the Live board at all: it reads at least one kind on it. */
export function canWatchLive(viewer: Viewer | null | undefined): boolean {
  return Object.values(LIVE_KINDS).some((kind) => canRead(viewer, kind));
}

/**
 * Whose data a request is about: someone else only with `team.read`; nobody named means everyone's
 * with it and your own without.
 */
export function personInScope(viewer: Viewer, requested: string | null | undefined): string | undefined {
  if (can(viewer, "team.read")) return requested ?? undefined;
  if (requested && requested !== viewer.userId) throw new ForbiddenError("You can only see your own data");
  return viewer.userId;
}

/** Whether the viewer may change this person's rows: their own with `own`, anyone's with `others`. */
export function mayActFor(viewer: Viewer, personId: string, own: Permission, others: Permission): boolean {
  return personId === viewer.userId ? can(viewer, own) : can(viewer, others);
}

// A workspace id no row has: an invisible kind still gets a well-formed `where`.
const NOWHERE = "00000000-0000-0000-0000-000000000000";

function ownerCondition(owner: string, ownerId: string): Record<string, unknown> {
  const [relation, column] = owner.split(".");
  return column ? { [relation]: { [column]: ownerId } } : { [relation]: ownerId };
}
