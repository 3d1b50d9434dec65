import { IANAZone } from "luxon";
import type { User } from "../../prisma/generated/client.js";
import type { Context, Db, Services, Viewer } from "../common/context.js";
import { ForbiddenError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { actsAsPerson, can, isDataPermission, isPermission, viewerOf, type Permission } from "../common/policy.js";
import { announceChange } from "./revocations.js";
import { mergeSettings } from "../common/settings.js";
import { isWeekday, normaliseEmail, type TimeFormat } from "./rules.js";
import { parseWorkingHours } from "./working-hours.js";
import { hashPassword, hashSecret, needsRehash, newSecret, verifyAccountPassword } from "./secrets.js";

export const SESSION_COOKIE = "session";
export const BROWSER_SESSION_DAYS = 30;

/** The caller behind a secret, or null when it is unknown, revoked, expired or no longer a member. */
export async function findViewer(db: Db, secret: string): Promise<Viewer | null> {
  const token = await db.accessToken.findUnique({
    where: { secretHash: hashSecret(secret) },
    include: { workspace: { select: { customStaff: true, staffPermissions: true } } },
  });
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= new Date())) return null;
  const membership = await db.membership.findUnique({
    where: { workspaceId_userId: { workspaceId: token.workspaceId, userId: token.userId } },
  });
  if (!membership) return null;
  // Last use to the minute is plenty for the token list, and spares a write per request.
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
    void db.accessToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return viewerOf({
    tokenId: token.id,
    kind: token.kind,
    userId: token.userId,
    workspaceId: token.workspaceId,
    scopes: token.scopes,
    role: membership.role,
    customStaff: token.workspace.customStaff ? token.workspace.staffPermissions : null,
    expiresAt: token.expiresAt,
  });
}

/**
 * The viewer's own user, read once per resolved viewer: a viewer the Authenticator keeps in its
 * cache serves it from memory, and loses it with the viewer when a change evicts the entry. A
 * user's name and email never change (only the password hash does, and that is not kept).
 */
const viewerUsers = new WeakMap<Viewer, Promise<Omit<User, "passwordHash">>>();

export function userOfViewer(db: Db, viewer: Viewer): Promise<Omit<User, "passwordHash">> {
  let user = viewerUsers.get(viewer);
  if (!user) {
    user = db.user.findUniqueOrThrow({ where: { id: viewer.userId }, omit: { passwordHash: true } });
    viewerUsers.set(viewer, user);
    user.catch(() => viewerUsers.delete(viewer)); // a failed read (database restarting) is tried again next time
  }
  return user;
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
  if (!user || !valid) throw ValidationError.field("password", "Email or password is wrong");
  // Only failures count: the attempt counted above is given back.
  await Promise.all([ctx.limits.reward("signInPerAddress", keys.address), ctx.limits.reset("signInPerAccount", keys.account)]);
  if (needsRehash(user.passwordHash)) await ctx.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password) } });
  const membership = workspaceId ? user.memberships.find((m) => m.workspaceId === workspaceId) : user.memberships[0];
  if (!membership) throw ValidationError.field("workspaceId", "You are not a member of this workspace");
  const secret = newSecret("browser");
  const expiresAt = new Date(Date.now() + BROWSER_SESSION_DAYS * 86400_000);
  await ctx.db.accessToken.create({
    data: {
      kind: "browser",
      name: "Browser",
      workspaceId: membership.workspaceId,
      userId: user.id,
      secretHash: hashSecret(secret),
      expiresAt,
    },
  });
  ctx.cookies?.set(SESSION_COOKIE, secret, BROWSER_SESSION_DAYS * 86400);
  return { secret, user };
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
  announceChange(services, { tokenIds: [token.id] });
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
  announceChange(ctx, { tokenIds: [viewer.tokenId] });
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
  announceChange(ctx, { workspaceId: workspace.id });
  return workspace;
}

export async function createWorkspace(ctx: Context, name: string, timeZone: string) {
  const problems = new Problems();
  if (!name.trim()) problems.add("name", "Required");
  if (!IANAZone.isValidZone(timeZone)) problems.add("timeZone", "Not an IANA time zone");
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
  if (changes.timeZone != null && !IANAZone.isValidZone(changes.timeZone)) problems.add("timeZone", "Not an IANA time zone");
  if (changes.weekStart != null && !isWeekday(changes.weekStart)) problems.add("weekStart", "Weekdays are 1 (Monday) to 7 (Sunday)");
  const hours = changes.workingHours != null ? parseWorkingHours(changes.workingHours, problems, "workingHours") : undefined;
  problems.throwIfAny();
  const display = Object.fromEntries(Object.entries({ weekStart: changes.weekStart, timeFormat: changes.timeFormat }).filter(([, v]) => v != null));
  const workspaceId = ctx.viewer!.workspaceId;
  return ctx.db.$transaction(async (tx) => {
    if (Object.keys(display).length) await mergeSettings(tx, workspaceId, "workspace", display);
    return tx.workspace.update({
      where: { id: workspaceId },
      data: { name: changes.name?.trim(), timeZone: changes.timeZone ?? undefined, workingHours: hours ? hours.map((day) => ({ ...day })) : undefined },
    });
  });
}
