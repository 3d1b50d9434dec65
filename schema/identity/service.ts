import { IANAZone } from "luxon";
import type { User, Workspace } from "../../prisma/generated/client.js";
import type { Context, Db, Services, Tx, Viewer } from "../common/context.js";
import { ForbiddenError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { actsAsPerson, can, isDataPermission, isPermission, viewerOf, type Permission } from "../common/policy.js";
import { announceChange } from "./revocations.js";
import { mergeSettings } from "../common/settings.js";
import { isWeekday, normaliseEmail, zoneProbes, type TimeFormat } from "./rules.js";
import { parseWorkingHours } from "./working-hours.js";
import { databaseCause } from "../common/transactions.js";
import { hashPassword, hashSecret, needsRehash, newSecret, verifyAccountPassword } from "./secrets.js";

export const SESSION_COOKIE = "session";
export const BROWSER_SESSION_DAYS = 30;

/** What one request needs to know about a credential, read in one statement. */
interface CredentialRow {
  tokenId: string;
  kind: Viewer["tokenKind"];
  workspaceId: string;
  userId: string;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  role: Viewer["role"];
  workspace: ViewerWorkspace;
  email: string;
  name: string;
  createdAt: Date;
}

/**
 * The workspace as a request sees it. Not its invoice counter, which invoicing changes without
 * announcing it and reads in its own transaction.
 */
export type ViewerWorkspace = Omit<Workspace, "nextInvoiceNumber">;

/**
 * The caller behind a secret, or null when it is unknown, revoked, expired or no longer a member.
 * One SELECT for the token, its member, its workspace and the user: with several API processes
 * nothing is cached, and every request runs it.
 */
export async function findViewer(db: Db, secret: string): Promise<Viewer | null> {
  const [row] = await db.$queryRaw<CredentialRow[]>`
    SELECT t.id AS "tokenId", t.kind::text AS kind, t."workspaceId", t."userId", t.scopes, t."expiresAt", t."lastUsedAt",
           m.role::text AS role, u.email, u.name, u."createdAt",
           json_build_object('id', w.id, 'name', w.name, 'timeZone', w."timeZone", 'workingHours', w."workingHours", 'settings', w.settings,
             'staffPermissions', w."staffPermissions", 'customStaff', w."customStaff", 'createdAt', w."createdAt") AS workspace
    FROM "AccessToken" t
    JOIN "Membership" m ON m."workspaceId" = t."workspaceId" AND m."userId" = t."userId"
    JOIN "Workspace" w ON w.id = t."workspaceId"
    JOIN "User" u ON u.id = t."userId"
    WHERE t."secretHash" = ${hashSecret(secret)} AND t."revokedAt" IS NULL`;
  // Expiry by this process's clock, like every other instant the API compares.
  if (!row || (row.expiresAt && row.expiresAt <= new Date())) return null;
  // Last use to the minute is plenty for the token list, and spares a write per request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    void db.accessToken.update({ where: { id: row.tokenId }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  const viewer = viewerOf({
    tokenId: row.tokenId,
    kind: row.kind,
    userId: row.userId,
    workspaceId: row.workspaceId,
    scopes: row.scopes,
    role: row.role,
    customStaff: row.workspace.customStaff ? row.workspace.staffPermissions : null,
    expiresAt: row.expiresAt,
  });
  viewerUsers.set(viewer, { id: row.userId, email: row.email, name: row.name, createdAt: row.createdAt });
  viewerWorkspaces.set(viewer, { ...row.workspace, createdAt: new Date(row.workspace.createdAt) });
  return viewer;
}

/**
 * The viewer's own user, read with the credential: a viewer the Authenticator keeps in its cache
 * serves it from memory, and loses it with the viewer when a change evicts the entry. A user's
 * name and email never change (only the password hash does, and that is not kept).
 */
const viewerUsers = new WeakMap<Viewer, Omit<User, "passwordHash">>();

/**
 * The viewer's workspace, read with the credential like its user. Every write to the workspace's
 * row announces itself (`workspaceEdited`), which evicts cached viewers of that workspace and
 * forgets this for viewers open WebSockets hold, so the next request reads it again.
 */
const viewerWorkspaces = new WeakMap<object, ViewerWorkspace>();

/** A viewer copied with other fields (acting for someone else) isn't the credential's: its workspace is read. */
export function workspaceOfViewer(db: Db, viewer: Pick<Viewer, "workspaceId">): ViewerWorkspace | Promise<ViewerWorkspace> {
  return viewerWorkspaces.get(viewer) ?? db.workspace.findUniqueOrThrow({ where: { id: viewer.workspaceId }, omit: { nextInvoiceNumber: true } });
}

/** After a change to the workspace announced while `viewer` stays in use (an open WebSocket's). */
export function forgetWorkspace(viewer: Viewer) {
  viewerWorkspaces.delete(viewer);
}

// Not async: a user served from memory is handed to GraphQL as a value, without a promise.
export function userOfViewer(db: Db, viewer: Viewer): Omit<User, "passwordHash"> | Promise<Omit<User, "passwordHash">> {
  // Every viewer of a request comes from findViewer; the read is for one built elsewhere.
  return viewerUsers.get(viewer) ?? db.user.findUniqueOrThrow({ where: { id: viewer.userId }, omit: { passwordHash: true } });
}

/**
 * Identity and credential management is for people: an API key never manages members, passwords
 * or sessions, whatever its scopes.
 */
export function asPerson(viewer: Viewer | null, permission?: Permission): Viewer {
  if (!viewer || !actsAsPerson(viewer)) throw new ForbiddenError("Only a signed-in member can do this");
  if (permission && !can(viewer, permission)) throw new ForbiddenError();
  return viewer;
}

/** Failed sign-ins count per address and per account-and-address, so a burst elsewhere can't lock an account's owner out. */
export function signInKeys(ctx: Context, email: string) {
  const address = ctx.clientAddress ?? "unknown";
  return { address, account: `${email}|${address}` };
}

export async function signIn(ctx: Context, rawEmail: string, password: string, workspaceId?: string | null) {
  const email = normaliseEmail(rawEmail);
  const keys = signInKeys(ctx, email);
  // Refused at once, before any work, when the budget is already spent.
  await ctx.limits.check("signInPerAddress", keys.address);
  await ctx.limits.check("signInPerAccount", keys.account);
  const user = await ctx.db.user.findUnique({
    where: { email },
    include: { memberships: { orderBy: { createdAt: "asc" } } },
  });
  // One message and one hash's time for unknown email and wrong password: sign-in can't probe accounts.
  const valid = await ctx.limits.passwordCheck(keys.address, async () => {
    // Counted before the hash, atomically: attempts running at once can't overspend the budget.
    await ctx.limits.consume("signInPerAddress", keys.address);
    await ctx.limits.consume("signInPerAccount", keys.account);
    const matches = await verifyAccountPassword(password, user?.passwordHash ?? null); // hashed for unknown emails too
    return !!user && matches;
  });
  if (!user || !valid) throw ValidationError.field("password", WRONG_SIGN_IN);
  // Only failures count: the attempt counted above is given back.
  await Promise.all([ctx.limits.reward("signInPerAddress", keys.address), ctx.limits.reset("signInPerAccount", keys.account)]);
  const rehashed = needsRehash(user.passwordHash) ? await hashPassword(password) : null;
  const membership = workspaceId ? user.memberships.find((m) => m.workspaceId === workspaceId) : user.memberships[0];
  if (!membership) throw ValidationError.field("workspaceId", "You are not a member of this workspace");
  const secret = newSecret("browser");
  const expiresAt = new Date(Date.now() + BROWSER_SESSION_DAYS * 86400_000);
  await ctx.db.$transaction(async (tx) => {
    // The password checked must still be the account's when the session is stored. A reset or a
    // change committed during the check ends every browser session it sees, and would miss this one;
    // holding the account's row, a reset waits for this session and then ends it too.
    if (!(await holdPassword(tx, user.id, user.passwordHash))) throw ValidationError.field("password", WRONG_SIGN_IN);
    if (rehashed) await tx.user.update({ where: { id: user.id }, data: { passwordHash: rehashed } });
    await tx.accessToken.create({
      data: {
        kind: "browser",
        name: "Browser",
        workspaceId: membership.workspaceId,
        userId: user.id,
        secretHash: hashSecret(secret),
        expiresAt,
      },
    });
  });
  ctx.cookies?.set(SESSION_COOKIE, secret, BROWSER_SESSION_DAYS * 86400);
  return { secret, user };
}

const WRONG_SIGN_IN = "Email or password is wrong";

/** Locks the account's row if its password hash is still `checked`; false when a reset or change replaced it. */
export async function holdPassword(tx: Tx, userId: string, checked: string): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "User" WHERE id = ${userId}::uuid AND "passwordHash" = ${checked} FOR UPDATE`;
  return rows.length > 0;
}

export async function revokeToken(services: Services, viewer: Viewer, tokenId: string) {
  const token = await services.db.accessToken.findFirst({ where: { id: tokenId, workspaceId: viewer.workspaceId } });
  if (!token) throw new NotFoundError("Token");
  const ownToken = token.userId === viewer.userId;
  if (!ownToken && !can(viewer, "tokens.manage")) throw new ForbiddenError();
  const revoked = await services.db.accessToken.update({
    where: { id: token.id },
    data: { revokedAt: token.revokedAt ?? new Date() },
  });
  // Every process drops cached viewers and closes WebSockets opened with it.
  await announceChange(services, { tokenIds: [token.id] });
  return revoked;
}

export async function createToken(
  ctx: Context,
  input: { kind: "personal" | "api_key"; name: string; scopes?: string[] | null; expiresAt?: Date | null },
) {
  const viewer = ctx.viewer!;
  const problems = new Problems();
  const name = input.name.trim();
  if (!name || name.length > 100) problems.add("input.name", "Give the token a name of 1 to 100 characters");
  const scopes = input.scopes ?? [];
  if (input.kind === "api_key") {
    if (!scopes.length) problems.add("input.scopes", "An API key needs at least one scope");
    scopes.forEach((s, i) => {
      if (!isPermission(s)) problems.add(`input.scopes.${i}`, `Unknown permission ${s}`);
      else if (!isDataPermission(s)) problems.add(`input.scopes.${i}`, `An API key can't be given ${s}: members, tokens and workspaces are managed by people`);
      else if (!can(viewer, s)) problems.add(`input.scopes.${i}`, `You do not hold ${s} yourself`);
    });
  }
  if (input.expiresAt && input.expiresAt <= new Date()) problems.add("input.expiresAt", "Must be in the future");
  problems.throwIfAny();
  const secret = newSecret(input.kind);
  const token = await ctx.db.accessToken.create({
    data: {
      kind: input.kind,
      name,
      scopes: input.kind === "api_key" ? scopes : [],
      workspaceId: viewer.workspaceId,
      userId: viewer.userId,
      secretHash: hashSecret(secret),
      expiresAt: input.expiresAt ?? null,
    },
  });
  return { token, secret };
}

export async function switchWorkspace(ctx: Context, workspaceId: string) {
  const viewer = ctx.viewer!;
  const membership = await ctx.db.membership.findUnique({
    where: { workspaceId_userId: { workspaceId, userId: viewer.userId } },
  });
  if (!membership) throw new NotFoundError("Workspace");
  if (viewer.tokenKind !== "browser") throw new ForbiddenError("Only a browser session can switch workspace");
  await ctx.db.accessToken.update({ where: { id: viewer.tokenId }, data: { workspaceId } });
  // The old binding may be cached by other processes; treat it like a revocation of the old view.
  await announceChange(ctx, { tokenIds: [viewer.tokenId] });
  return ctx.db.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
}

export async function setStaffPermissions(ctx: Context, permissions: string[] | null) {
  const problems = new Problems();
  (permissions ?? []).forEach((p, i) => {
    if (!isPermission(p)) problems.add(`permissions.${i}`, `Unknown permission ${p}`);
    else if (!isDataPermission(p)) problems.add(`permissions.${i}`, `Staff can't be given ${p}: members, tokens and workspaces are managed by owners`);
  });
  problems.throwIfAny();
  const workspace = await ctx.db.workspace.update({
    where: { id: ctx.viewer!.workspaceId },
    data: { customStaff: permissions !== null, staffPermissions: (permissions ?? []) as Permission[] },
  });
  await announceChange(ctx, { workspaceId: workspace.id });
  return workspace;
}

/**
 * Why a workspace can't use `zone`, or null. ICU also takes abbreviations and retired names (IST,
 * CST, US/Pacific-New) that PostgreSQL reads otherwise (IST is Israel there, India here) or not at
 * all, which would put invoice lines and analytics days on other dates than the rest of the API.
 */
async function zoneProblem(db: Db, zone: string): Promise<string | null> {
  if (!IANAZone.isValidZone(zone)) return "Not an IANA time zone";
  const probes = zoneProbes(zone);
  const read = await db
    .$queryRawUnsafe<{ local: string }[]>(
      `SELECT to_char(p.at::timestamptz AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS') AS local FROM unnest($2::text[]) WITH ORDINALITY AS p(at, n) ORDER BY p.n`,
      zone,
      probes.map((p) => p.at),
    )
    .catch((error: unknown) => {
      // 22023: PostgreSQL knows no such zone. Anything else (an outage) is not the user's problem.
      if (databaseCause(error).code === "22023") return null;
      throw error;
    });
  const agrees = read?.every((row, i) => row.local === probes[i].local);
  return agrees ? null : "Use the zone's full name, such as Asia/Kolkata or America/Chicago: abbreviations and retired names are read differently elsewhere";
}

export async function createWorkspace(ctx: Context, name: string, timeZone: string) {
  const problems = new Problems();
  if (!name.trim()) problems.add("name", "Required");
  const zone = await zoneProblem(ctx.db, timeZone);
  if (zone) problems.add("timeZone", zone);
  problems.throwIfAny();
  return ctx.db.workspace.create({
    data: { name: name.trim(), timeZone, memberships: { create: { userId: ctx.viewer!.userId, role: "owner" } } },
  });
}

export interface WorkspaceChanges {
  name?: string | null;
  timeZone?: string | null;
  workingHours?: unknown;
  weekStart?: number | null;
  timeFormat?: TimeFormat | null;
}

/** Changes what is given and keeps the rest; the columns and the display settings change together or not at all. */
export async function updateWorkspace(ctx: Context, changes: WorkspaceChanges) {
  const problems = new Problems();
  if (changes.name != null && !changes.name.trim()) problems.add("name", "Required");
  const zone = changes.timeZone != null ? await zoneProblem(ctx.db, changes.timeZone) : null;
  if (zone) problems.add("timeZone", zone);
  if (changes.weekStart != null && !isWeekday(changes.weekStart)) problems.add("weekStart", "Weekdays are 1 (Monday) to 7 (Sunday)");
  const hours = changes.workingHours != null ? parseWorkingHours(changes.workingHours, problems, "workingHours") : undefined;
  problems.throwIfAny();
  const display = Object.fromEntries(Object.entries({ weekStart: changes.weekStart, timeFormat: changes.timeFormat }).filter(([, v]) => v != null));
  const workspaceId = ctx.viewer!.workspaceId;
  const workspace = await ctx.db.$transaction(async (tx) => {
    if (Object.keys(display).length) await mergeSettings(tx, workspaceId, "workspace", display);
    return tx.workspace.update({
      where: { id: workspaceId },
      data: { name: changes.name?.trim(), timeZone: changes.timeZone ?? undefined, workingHours: hours ? hours.map((day) => ({ ...day })) : undefined },
    });
  });
  // Once committed: a request evicted before would read the old row again and keep it.
  await announceChange(ctx, { workspaceId, workspaceEdited: true });
  return workspace;
}

/** A domain's section of the workspace's settings, merged (see mergeSettings) and announced like any edit of the workspace. */
export async function saveWorkspaceSettings(services: Services, workspaceId: string, section: string, changes: Record<string, unknown>): Promise<unknown> {
  const settings = await mergeSettings(services.db, workspaceId, section, changes);
  await announceChange(services, { workspaceId, workspaceEdited: true });
  return settings;
}
