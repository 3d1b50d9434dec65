-- Hand-written: a credential acts in one workspace, so a person in two workspaces runs one timer and
-- drives one active agent session in EACH, and their desktop event ids are remembered per workspace.
-- Starting something in one workspace no longer stops or idles anything in another.

-- Beats carry their session's workspace so the one-active-beat rule can be per workspace.
ALTER TABLE "Beat" ADD COLUMN "workspaceId" UUID;
UPDATE "Beat" b SET "workspaceId" = s."workspaceId" FROM "AgentSession" s WHERE s.id = b."sessionId";
ALTER TABLE "Beat" ALTER COLUMN "workspaceId" SET NOT NULL;
DROP INDEX "Beat_one_active_per_user";
CREATE UNIQUE INDEX "Beat_one_active_per_user" ON "Beat" ("workspaceId", "userId") WHERE "kind" = 'active' AND "endedAt" IS NULL;

DROP INDEX "TimeEntry_one_running_timer";
CREATE UNIQUE INDEX "TimeEntry_one_running_timer" ON "TimeEntry" ("workspaceId", "userId") WHERE "endedAt" IS NULL;

-- Event ids seen before this change belong to no recorded workspace: keep each for every workspace the
-- person belongs to, so a resent event is still recognised wherever it is sent again.
ALTER TABLE "IngestedWorkEvent" DROP CONSTRAINT "IngestedWorkEvent_pkey";
ALTER TABLE "IngestedWorkEvent" ADD COLUMN "workspaceId" UUID;
INSERT INTO "IngestedWorkEvent" ("workspaceId", "userId", "clientEventId", "createdAt")
  SELECT m."workspaceId", e."userId", e."clientEventId", e."createdAt"
  FROM "IngestedWorkEvent" e JOIN "Membership" m ON m."userId" = e."userId"
  WHERE e."workspaceId" IS NULL;
DELETE FROM "IngestedWorkEvent" WHERE "workspaceId" IS NULL;
ALTER TABLE "IngestedWorkEvent" ALTER COLUMN "workspaceId" SET NOT NULL;
ALTER TABLE "IngestedWorkEvent" ADD CONSTRAINT "IngestedWorkEvent_pkey" PRIMARY KEY ("workspaceId", "userId", "clientEventId");
