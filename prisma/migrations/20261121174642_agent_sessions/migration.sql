-- CreateEnum
CREATE TYPE "BeatKind" AS ENUM ('active', 'agent', 'idle');

-- AlterTable
ALTER TABLE "TimeEntry" ADD COLUMN     "agentSessionId" UUID;

-- CreateTable
CREATE TABLE "AgentSession" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "description" TEXT NOT NULL,
    "billAgentTime" BOOLEAN NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),
    "billableSeconds" INTEGER,
    "agentSeconds" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AgentSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Beat" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" "BeatKind" NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Beat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AgentSession_workspaceId_endedAt_idx" ON "AgentSession"("workspaceId", "endedAt");

-- CreateIndex
CREATE INDEX "AgentSession_userId_endedAt_idx" ON "AgentSession"("userId", "endedAt");

-- CreateIndex
CREATE INDEX "Beat_sessionId_startedAt_idx" ON "Beat"("sessionId", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "TimeEntry_agentSessionId_key" ON "TimeEntry"("agentSessionId");

-- AddForeignKey
ALTER TABLE "TimeEntry" ADD CONSTRAINT "TimeEntry_agentSessionId_fkey" FOREIGN KEY ("agentSessionId") REFERENCES "AgentSession"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentSession" ADD CONSTRAINT "AgentSession_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentSession" ADD CONSTRAINT "AgentSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentSession" ADD CONSTRAINT "AgentSession_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Beat" ADD CONSTRAINT "Beat_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "AgentSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Beat" ADD CONSTRAINT "Beat_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Invariants Prisma can't express (hand-written).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- One active beat per user, across all of their sessions.
CREATE UNIQUE INDEX "Beat_one_active_per_user" ON "Beat" ("userId") WHERE "kind" = 'active' AND "endedAt" IS NULL;

-- One open beat per session.
CREATE UNIQUE INDEX "Beat_one_open_per_session" ON "Beat" ("sessionId") WHERE "endedAt" IS NULL;

-- Beats of a session never overlap, and never run backwards.
ALTER TABLE "Beat" ADD CONSTRAINT "Beat_no_overlap"
  EXCLUDE USING gist ("sessionId" WITH =, tstzrange("startedAt", COALESCE("endedAt", 'infinity'), '[)') WITH &&);
ALTER TABLE "Beat" ADD CONSTRAINT "Beat_ends_after_start" CHECK ("endedAt" IS NULL OR "endedAt" >= "startedAt");

-- A session ends at most once and never before it started.
ALTER TABLE "AgentSession" ADD CONSTRAINT "AgentSession_ends_after_start" CHECK ("endedAt" IS NULL OR "endedAt" >= "startedAt");
