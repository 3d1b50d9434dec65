import { defineJob } from "../common/jobs.js";
import { log } from "../common/log.js";

const KEEP_DAYS = 30;

/** Revoked and expired tokens are kept a month for the audit view, then deleted. */
defineJob({
  name: "identity.pruneTokens",
  repeat: { pattern: "17 3 * * *" },
  async process(_payload, { db }) {
    const before = new Date(Date.now() - KEEP_DAYS * 86400_000);
    const { count } = await db.accessToken.deleteMany({
      where: { OR: [{ revokedAt: { lt: before } }, { expiresAt: { lt: before } }] },
    });
    if (count) log.info({ count }, "pruned old tokens");
  },
});
