import type { Db } from "../common/context.js";
import type { JobDefinition } from "../common/jobs.js";
import { log } from "../common/log.js";

const KEEP_DAYS = 30;

/**
 * Revoked and expired tokens, and invitations and password-reset links that were used, withdrawn or
 * expired, are kept a month for the audit view, then deleted: a stale link's hash is no use to anyone.
 */
export async function pruneCredentials(db: Db, now: Date) {
  const before = new Date(now.getTime() - KEEP_DAYS * 86400_000);
  const ended = (at: string) => ({ [at]: { lt: before } });
  const [tokens, invitations, resets] = await Promise.all([
    db.accessToken.deleteMany({ where: { OR: [ended("revokedAt"), ended("expiresAt")] } }),
    db.invitation.deleteMany({ where: { OR: [ended("acceptedAt"), ended("revokedAt"), ended("expiresAt")] } }),
    db.passwordReset.deleteMany({ where: { OR: [ended("usedAt"), ended("expiresAt")] } }),
  ]);
  return { tokens: tokens.count, invitations: invitations.count, resets: resets.count };
}

export const jobs: JobDefinition[] = [
  {
    // The name predates invitations and resets; kept so the schedule already stored in Redis still matches.
    name: "identity.pruneTokens",
    repeat: { pattern: "17 3 * * *" },
    async process(_payload, { db }) {
      const pruned = await pruneCredentials(db, new Date());
      if (pruned.tokens + pruned.invitations + pruned.resets) log.info({ pruned }, "pruned old credentials");
    },
  },
];
