// Old credentials are deleted by the nightly job: a used, withdrawn or expired link or token is kept
// a month for the audit view, then goes; anything still valid or recent stays. Real PostgreSQL.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PrismaClient } from "../../prisma/generated/client.js";
import { pruneCredentials } from "../../schema/identity/jobs.js";
import { freshDatabase } from "../support/database.js";

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: PrismaClient;
beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
});
afterAll(() => database?.stop());

it("deletes invitations, reset links and tokens that ended over 30 days before the run, and keeps the rest", async () => {
  const now = new Date("2031-05-10T03:17:00Z");
  const daysAgo = (n: number) => new Date(now.getTime() - n * 86400_000);
  const ahead = (n: number) => new Date(now.getTime() + n * 86400_000);
  const user = await db.user.create({ data: { email: `${randomUUID()}@example.test`, name: "Pat", passwordHash: "x" } });
  const workspace = await db.workspace.create({ data: { name: "Prune", memberships: { create: { userId: user.id, role: "owner" } } } });
  const invite = (name: string, at: Partial<Record<"acceptedAt" | "revokedAt", Date>>, expiresAt: Date) =>
    db.invitation.create({ data: { workspaceId: workspace.id, email: `${name}@example.test`, role: "employee", invitedById: user.id, tokenHash: randomUUID(), expiresAt, ...at } });
  const reset = (usedAt: Date | null, expiresAt: Date) => db.passwordReset.create({ data: { userId: user.id, tokenHash: randomUUID(), usedAt, expiresAt } });
  const token = (at: Partial<Record<"revokedAt" | "expiresAt", Date>>) =>
    db.accessToken.create({ data: { kind: "personal", workspaceId: workspace.id, userId: user.id, name: "t", secretHash: randomUUID(), ...at } });

  await Promise.all([
    invite("accepted-long-ago", { acceptedAt: daysAgo(40) }, daysAgo(33)),
    invite("revoked-long-ago", { revokedAt: daysAgo(31) }, ahead(1)),
    invite("expired-long-ago", {}, daysAgo(31)),
    reset(daysAgo(45), daysAgo(44)),
    reset(null, daysAgo(35)),
    token({ revokedAt: daysAgo(31) }),
    token({ expiresAt: daysAgo(60) }),
  ]);
  const kept = await Promise.all([
    invite("open", {}, ahead(7)),
    invite("accepted-lately", { acceptedAt: daysAgo(2) }, ahead(5)),
    invite("expired-lately", {}, daysAgo(29)),
  ]);
  const keptResets = await Promise.all([reset(null, ahead(1)), reset(daysAgo(3), daysAgo(2))]);
  const keptTokens = await Promise.all([token({}), token({ expiresAt: ahead(30) }), token({ revokedAt: daysAgo(29) })]);

  expect(await pruneCredentials(db, now)).toEqual({ tokens: 2, invitations: 3, resets: 2 });
  expect((await db.invitation.findMany({ where: { workspaceId: workspace.id } })).map((i) => i.id).sort()).toEqual(kept.map((i) => i.id).sort());
  expect((await db.passwordReset.findMany({ where: { userId: user.id } })).map((r) => r.id).sort()).toEqual(keptResets.map((r) => r.id).sort());
  expect((await db.accessToken.findMany({ where: { userId: user.id } })).map((t) => t.id).sort()).toEqual(keptTokens.map((t) => t.id).sort());
  // A second run finds nothing more.
  expect(await pruneCredentials(db, now)).toEqual({ tokens: 0, invitations: 0, resets: 0 });
});
