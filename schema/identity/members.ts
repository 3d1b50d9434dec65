// Who belongs to a workspace, and as what: invitations the invitee accepts (nobody is added
// without consent, and no account's name shows before acceptance), removal and role changes
// that keep at least one owner and take effect on the member's very next request.
import type { Context, Tx } from "../common/context.js";
import { ForbiddenError, NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { permissionsFor, type Role } from "../common/policy.js";
import { lockMembers } from "../common/locks.js";
import { logMailSender } from "./mail.js";
import { announceChange } from "./revocations.js";
import { checkEmail, checkNewPassword, normaliseEmail, touchesOwnerRole } from "./rules.js";
import { hashPassword, hashSecret, newSecret } from "./secrets.js";
import { asPerson } from "./service.js";

export const INVITATION_DAYS = 7;
const INVALID_INVITATION = "This invitation is unknown, used, revoked or expired";

export async function inviteMember(ctx: Context, input: { email: string; role: Role }) {
  const viewer = asPerson(ctx.viewer, "members.manage");
  const email = normaliseEmail(input.email);
  const problems = new Problems();
  checkEmail(problems, "email", email);
  if (touchesOwnerRole(null, input.role) && viewer.role !== "owner") problems.add("role", "Only an owner can invite an owner");
  problems.throwIfAny();
  const secret = newSecret("invitation");
  const invitation = await ctx.db.$transaction(async (tx) => {
    const { actor } = await currentManager(tx, ctx);
    if (touchesOwnerRole(null, input.role) && actor.role !== "owner") throw ValidationError.field("role", "Only an owner can invite an owner");
    const member = await tx.membership.findFirst({ where: { workspaceId: viewer.workspaceId, user: { email } } });
    if (member) throw ValidationError.field("email", "Already a member of this workspace");
    // Inviting again replaces the open invitation: its link stops working.
    await tx.invitation.updateMany({
      where: { workspaceId: viewer.workspaceId, email, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return tx.invitation.create({
      data: {
        workspaceId: viewer.workspaceId,
        email,
        role: input.role,
        invitedById: viewer.userId,
        tokenHash: hashSecret(secret),
        expiresAt: new Date(Date.now() + INVITATION_DAYS * 86400_000),
      },
      include: { workspace: true, invitedBy: true },
    });
  });
  const acceptLink = `${ctx.mail.publicUrl}/invitations/accept?token=${secret}`;
  await ctx.mail.sender.send({
    to: email,
    subject: `${invitation.invitedBy.name} invited you to ${invitation.workspace.name}`,
    text:
      `${invitation.invitedBy.name} invited you to join ${invitation.workspace.name} as ${input.role}.\n` +
      `Accept within ${INVITATION_DAYS} days: ${acceptLink}\n`,
  });
  // Mail that only reaches the server log reaches nobody the inviter can't pass the link to themselves.
  return { ...invitation, acceptLink: ctx.mail.sender === logMailSender ? acceptLink : null };
}

export async function revokeInvitation(ctx: Context, id: string) {
  return ctx.db.$transaction(async (tx) => {
    const { viewer } = await currentManager(tx, ctx);
    const { count } = await tx.invitation.updateMany({
      where: { id, workspaceId: viewer.workspaceId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (!count) throw new NotFoundError("Open invitation");
    return tx.invitation.findUniqueOrThrow({ where: { id } });
  });
}

/**
 * The invitee joins: a new account is created with the given name and password, or an existing
 * account joins when its owner is signed in (the link alone never attaches someone's account).
 */
export async function acceptInvitation(ctx: Context, input: { token: string; name?: string | null; password?: string | null }) {
  const invitation = await ctx.db.invitation.findUnique({ where: { tokenHash: hashSecret(input.token) } });
  if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= new Date())
    throw ValidationError.field("token", INVALID_INVITATION);
  const existing = await ctx.db.user.findUnique({ where: { email: invitation.email } });
  if (existing && (ctx.viewer?.userId !== existing.id || ctx.viewer.tokenKind === "api_key"))
    throw ValidationError.field("token", "Sign in as the invited account, then accept");
  const name = input.name?.trim() ?? "";
  const password = input.password ?? "";
  if (!existing) {
    const problems = new Problems();
    if (!name || name.length > 100) problems.add("name", "Give your name, 1 to 100 characters");
    checkNewPassword(problems, "password", password);
    problems.throwIfAny();
  }
  const passwordHash = existing ? null : await hashPassword(password);
  return ctx.db.$transaction(async (tx) => {
    // Compare-and-set: of two acceptances of one link, exactly one gets here.
    const claimed = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      data: { acceptedAt: new Date() },
    });
    if (!claimed.count) throw ValidationError.field("token", INVALID_INVITATION);
    const user = existing ?? (await tx.user.create({ data: { email: invitation.email, name, passwordHash: passwordHash! } }));
    const member = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId: invitation.workspaceId, userId: user.id } } });
    if (member) throw ValidationError.field("token", "You are already a member of this workspace");
    await tx.membership.create({ data: { workspaceId: invitation.workspaceId, userId: user.id, role: invitation.role } });
    return tx.workspace.findUniqueOrThrow({ where: { id: invitation.workspaceId } });
  });
}

/**
 * Takes the members lock and checks the caller's membership as of now: a request authenticated
 * before its caller was removed or demoted, and queued behind that change, is refused.
 */
async function currentManager(tx: Tx, ctx: Context) {
  const viewer = asPerson(ctx.viewer, "members.manage");
  await lockMembers(tx, viewer.workspaceId);
  const actor = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId: viewer.workspaceId, userId: viewer.userId } } });
  if (!actor || !permissionsFor(actor.role, null).has("members.manage")) throw new ForbiddenError();
  return { viewer, actor };
}

/** Loads the member to change and checks that the caller, as of now, may change it. */
async function memberToChange(tx: Tx, ctx: Context, memberId: string, newRole: Role | null) {
  const { viewer, actor } = await currentManager(tx, ctx);
  const member = await tx.membership.findFirst({ where: { id: memberId, workspaceId: viewer.workspaceId } });
  if (!member) throw new NotFoundError("Member");
  if (touchesOwnerRole(member.role, newRole) && actor.role !== "owner") throw new ForbiddenError("Only an owner can change an owner or make one");
  if (member.role === "owner" && newRole !== "owner") {
    const owners = await tx.membership.count({ where: { workspaceId: viewer.workspaceId, role: "owner" } });
    if (owners <= 1) throw ValidationError.field(newRole ? "role" : "memberId", "A workspace needs at least one owner");
  }
  return member;
}

/**
 * Removes a member and every credential they hold here (their API keys and calendar feeds
 * included), everywhere at once: joining again later doesn't bring any back.
 */
export async function removeMember(ctx: Context, memberId: string) {
  const { member, tokenIds } = await ctx.db.$transaction(async (tx) => {
    const member = await memberToChange(tx, ctx, memberId, null);
    await tx.membership.delete({ where: { id: member.id } });
    const where = { workspaceId: member.workspaceId, userId: member.userId, revokedAt: null };
    const tokens = await tx.accessToken.findMany({ where, select: { id: true } });
    await tx.accessToken.updateMany({ where, data: { revokedAt: new Date() } });
    await tx.calendarFeed.updateMany({ where: { workspaceId: member.workspaceId, ownerId: member.userId, revokedAt: null }, data: { revokedAt: new Date() } });
    return { member, tokenIds: tokens.map((t) => t.id) };
  });
  await announceChange(ctx, { userId: member.userId, workspaceId: member.workspaceId, tokenIds });
  return { done: true as const };
}

export async function changeMemberRole(ctx: Context, memberId: string, role: Role) {
  const member = await ctx.db.$transaction(async (tx) => {
    const member = await memberToChange(tx, ctx, memberId, role);
    return tx.membership.update({ where: { id: member.id }, data: { role }, include: { user: true } });
  });
  await announceChange(ctx, { userId: member.userId, workspaceId: member.workspaceId });
  return member;
}
