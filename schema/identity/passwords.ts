// Passwords and browser sessions over an account's life: change (other sessions end), reset by a
// mailed single-use link (the same answer whether or not the email has an account), and sign out
// everywhere. Each ends the affected sessions on every API process before it answers.
import type { Context, Services, Tx } from "../common/context.js";
import { Problems, ValidationError } from "../common/errors.js";
import { announceChange } from "./revocations.js";
import { checkNewPassword, normaliseEmail } from "./rules.js";
import { hashPassword, hashSecret, newSecret, verifyPassword } from "./secrets.js";
import { asPerson, holdPassword, SESSION_COOKIE, signInKeys } from "./service.js";
import { log } from "../common/log.js";

export const RESET_MINUTES = 60;
const INVALID_RESET = "This reset link is unknown, used or expired";

/** Ends a user's browser sessions in every workspace (but `keepTokenId`, the caller's own). */
async function endBrowserSessions(services: Services, db: Tx, userId: string, keepTokenId?: string) {
  const where = { userId, kind: "browser" as const, revokedAt: null, ...(keepTokenId ? { id: { not: keepTokenId } } : {}) };
  const tokens = await db.accessToken.findMany({ where, select: { id: true } });
  await db.accessToken.updateMany({ where: { id: { in: tokens.map((t) => t.id) } }, data: { revokedAt: new Date() } });
  return () => announceChange(services, { tokenIds: tokens.map((t) => t.id) });
}

export async function changePassword(ctx: Context, currentPassword: string, newPassword: string) {
  const viewer = asPerson(ctx.viewer);
  const problems = new Problems();
  checkNewPassword(problems, "newPassword", newPassword);
  problems.throwIfAny();
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: viewer.userId } });
  // A stolen session guessing the current password is throttled like sign-in guesses.
  const { account } = signInKeys(ctx, user.email);
  await ctx.limits.check("signInPerAccount", account);
  if (!(await verifyPassword(currentPassword, user.passwordHash))) {
    await ctx.limits.penalise("signInPerAccount", account);
    throw ValidationError.field("currentPassword", "Wrong password");
  }
  const passwordHash = await hashPassword(newPassword);
  const announce = await ctx.db.$transaction(async (tx) => {
    // A reset committed during the check replaced the password checked: it stays.
    if (!(await holdPassword(tx, user.id, user.passwordHash))) throw ValidationError.field("currentPassword", "Wrong password");
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    return endBrowserSessions(ctx, tx, user.id, viewer.tokenKind === "browser" ? viewer.tokenId : undefined);
  });
  await announce();
  return { done: true as const };
}

export async function signOutEverywhere(ctx: Context) {
  const viewer = asPerson(ctx.viewer);
  const announce = await endBrowserSessions(ctx, ctx.db, viewer.userId);
  await announce();
  ctx.cookies?.clear(SESSION_COOKIE);
  return { done: true as const };
}

/** Mails a reset link when the account exists; runs after the answer, so both cases take the same time. */
async function mailResetLink(services: Services, email: string) {
  const user = await services.db.user.findUnique({ where: { email } });
  if (!user) return;
  const secret = newSecret("reset");
  await services.db.passwordReset.create({
    data: { userId: user.id, tokenHash: hashSecret(secret), expiresAt: new Date(Date.now() + RESET_MINUTES * 60_000) },
  });
  await services.mail.sender.send({
    to: email,
    subject: "Reset your password",
    text:
      `Someone asked to reset the password of ${email}. If it was you, choose a new one within ` +
      `${RESET_MINUTES} minutes: ${services.mail.publicUrl}/password-reset?token=${secret}\nOtherwise ignore this message.\n`,
  });
}

export async function requestPasswordReset(ctx: Context, rawEmail: string) {
  // Each request may send a mail: counted like a failed sign-in from the caller's address.
  await ctx.limits.consume("signInPerAddress", ctx.clientAddress ?? "unknown");
  const email = normaliseEmail(rawEmail);
  void mailResetLink(ctx, email).catch((error) => log.error({ err: error }, "password reset mail failed"));
  return { done: true as const };
}

/** Sets a new password through a reset link; every browser session of the account ends. */
export async function resetPassword(ctx: Context, token: string, newPassword: string) {
  const problems = new Problems();
  checkNewPassword(problems, "newPassword", newPassword);
  problems.throwIfAny();
  const reset = await ctx.db.passwordReset.findUnique({ where: { tokenHash: hashSecret(token) } });
  if (!reset || reset.usedAt || reset.expiresAt <= new Date()) throw ValidationError.field("token", INVALID_RESET);
  const passwordHash = await hashPassword(newPassword);
  const announce = await ctx.db.$transaction(async (tx) => {
    // Compare-and-set keeps the link single-use; the account's other open links are spent with it.
    const claimed = await tx.passwordReset.updateMany({
      where: { id: reset.id, usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (!claimed.count) throw ValidationError.field("token", INVALID_RESET);
    await tx.passwordReset.updateMany({ where: { userId: reset.userId, usedAt: null }, data: { usedAt: new Date() } });
    await tx.user.update({ where: { id: reset.userId }, data: { passwordHash } });
    return endBrowserSessions(ctx, tx, reset.userId);
  });
  await announce();
  return { done: true as const };
}
