-- CreateEnum
CREATE TYPE "WorkSessionEnd" AS ENUM ('app_closed', 'inactivity', 'manual', 'merged');

-- CreateEnum
CREATE TYPE "AfkReason" AS ENUM ('break', 'meeting', 'lunch', 'call');

-- CreateTable
CREATE TABLE "WorkSession" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),
    "lastActivityAt" TIMESTAMPTZ(3) NOT NULL,
    "endReason" "WorkSessionEnd",
    "manual" BOOLEAN NOT NULL DEFAULT false,
    "notes" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "WorkSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AfkPeriod" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),
    "reason" "AfkReason",

    CONSTRAINT "AfkPeriod_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkActivity" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "app" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "url" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "WorkActivity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IngestedWorkEvent" (
    "userId" UUID NOT NULL,
    "clientEventId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IngestedWorkEvent_pkey" PRIMARY KEY ("userId","clientEventId")
);

-- CreateIndex
CREATE INDEX "WorkSession_workspaceId_startedAt_idx" ON "WorkSession"("workspaceId", "startedAt");

-- CreateIndex
CREATE INDEX "WorkSession_userId_startedAt_idx" ON "WorkSession"("userId", "startedAt");

-- CreateIndex
CREATE INDEX "AfkPeriod_sessionId_startedAt_idx" ON "AfkPeriod"("sessionId", "startedAt");

-- CreateIndex
CREATE INDEX "WorkActivity_sessionId_startedAt_idx" ON "WorkActivity"("sessionId", "startedAt");

-- AddForeignKey
ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AfkPeriod" ADD CONSTRAINT "AfkPeriod_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "WorkSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkActivity" ADD CONSTRAINT "WorkActivity_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "WorkSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: an employee's sessions never overlap; an open session reaches to "now" (infinity).
ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_no_overlap"
  EXCLUDE USING gist ("userId" WITH =, tstzrange("startedAt", COALESCE("endedAt", 'infinity'), '[)') WITH &&);
ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_ends_after_start" CHECK ("endedAt" IS NULL OR "endedAt" >= "startedAt");
CREATE UNIQUE INDEX "WorkSession_one_open_per_user" ON "WorkSession" ("userId") WHERE "endedAt" IS NULL;
ALTER TABLE "AfkPeriod" ADD CONSTRAINT "AfkPeriod_ends_after_start" CHECK ("endedAt" IS NULL OR "endedAt" >= "startedAt");
ALTER TABLE "WorkActivity" ADD CONSTRAINT "WorkActivity_ends_after_start" CHECK ("endedAt" >= "startedAt");
