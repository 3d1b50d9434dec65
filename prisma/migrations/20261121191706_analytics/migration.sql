-- CreateEnum
CREATE TYPE "FlowOutcomeKind" AS ENUM ('completed', 'mistakes', 'dropped_off');

-- CreateEnum
CREATE TYPE "SummarySource" AS ENUM ('deterministic', 'llm');

-- CreateTable
CREATE TABLE "AnalyticsApp" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "writeKeyHash" TEXT NOT NULL,
    "internal" BOOLEAN NOT NULL DEFAULT false,
    "internalUserIds" TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnalyticsApp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RawEvent" (
    "id" BIGSERIAL NOT NULL,
    "appId" UUID NOT NULL,
    "eventId" TEXT NOT NULL,
    "userKey" TEXT NOT NULL,
    "identified" BOOLEAN NOT NULL,
    "clientSessionId" TEXT,
    "name" TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "properties" JSONB NOT NULL DEFAULT '{}',
    "userAgent" TEXT,
    "environment" TEXT,
    "clampedTimestamp" BOOLEAN NOT NULL DEFAULT false,
    "sessionId" UUID NOT NULL,

    CONSTRAINT "RawEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UserSession" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "userKey" TEXT NOT NULL,
    "identified" BOOLEAN NOT NULL,
    "clientSessionId" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "lastEventAt" TIMESTAMPTZ(3) NOT NULL,
    "durationSeconds" INTEGER NOT NULL DEFAULT 0,
    "rawEventCount" INTEGER NOT NULL DEFAULT 0,
    "businessEventCount" INTEGER NOT NULL DEFAULT 0,
    "errorCount" INTEGER NOT NULL DEFAULT 0,
    "isBot" BOOLEAN NOT NULL DEFAULT false,
    "isDev" BOOLEAN NOT NULL DEFAULT false,
    "isInternal" BOOLEAN NOT NULL DEFAULT false,
    "userAgent" TEXT,
    "flowOutcomes" TEXT[],
    "finalizedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UserSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BusinessEventDefinition" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "eventName" TEXT NOT NULL,
    "conditions" JSONB NOT NULL DEFAULT '[]',
    "descriptionTemplate" TEXT NOT NULL DEFAULT '',
    "parameters" TEXT[],
    "isError" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BusinessEventDefinition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowDefinition" (
    "id" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "steps" TEXT[],
    "errorEvents" TEXT[],
    "repeatedStepIsMistake" BOOLEAN NOT NULL DEFAULT true,
    "stepBackIsMistake" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FlowDefinition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionBusinessEvent" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "isError" BOOLEAN NOT NULL DEFAULT false,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "rawEventId" TEXT NOT NULL,

    CONSTRAINT "SessionBusinessEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowOutcome" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "flowId" UUID NOT NULL,
    "outcome" "FlowOutcomeKind" NOT NULL,
    "lastStep" TEXT NOT NULL,
    "mistakeCount" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "FlowOutcome_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionSummary" (
    "sessionId" UUID NOT NULL,
    "source" "SummarySource" NOT NULL,
    "inputHash" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "tldr" TEXT NOT NULL,
    "narrative" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionSummary_pkey" PRIMARY KEY ("sessionId")
);

-- CreateIndex
CREATE UNIQUE INDEX "AnalyticsApp_writeKeyHash_key" ON "AnalyticsApp"("writeKeyHash");

-- CreateIndex
CREATE UNIQUE INDEX "AnalyticsApp_workspaceId_name_key" ON "AnalyticsApp"("workspaceId", "name");

-- CreateIndex
CREATE INDEX "RawEvent_appId_sessionId_timestamp_idx" ON "RawEvent"("appId", "sessionId", "timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "RawEvent_appId_eventId_key" ON "RawEvent"("appId", "eventId");

-- CreateIndex
CREATE INDEX "UserSession_workspaceId_startedAt_id_idx" ON "UserSession"("workspaceId", "startedAt" DESC, "id");

-- CreateIndex
CREATE INDEX "UserSession_workspaceId_lastEventAt_id_idx" ON "UserSession"("workspaceId", "lastEventAt" DESC, "id");

-- CreateIndex
CREATE INDEX "UserSession_appId_userKey_lastEventAt_idx" ON "UserSession"("appId", "userKey", "lastEventAt");

-- CreateIndex
CREATE UNIQUE INDEX "BusinessEventDefinition_appId_name_key" ON "BusinessEventDefinition"("appId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "FlowDefinition_appId_name_key" ON "FlowDefinition"("appId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "SessionBusinessEvent_sessionId_position_key" ON "SessionBusinessEvent"("sessionId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "FlowOutcome_sessionId_flowId_key" ON "FlowOutcome"("sessionId", "flowId");

-- AddForeignKey
ALTER TABLE "AnalyticsApp" ADD CONSTRAINT "AnalyticsApp_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UserSession" ADD CONSTRAINT "UserSession_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UserSession" ADD CONSTRAINT "UserSession_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BusinessEventDefinition" ADD CONSTRAINT "BusinessEventDefinition_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowDefinition" ADD CONSTRAINT "FlowDefinition_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionBusinessEvent" ADD CONSTRAINT "SessionBusinessEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "UserSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowOutcome" ADD CONSTRAINT "FlowOutcome_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "UserSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowOutcome" ADD CONSTRAINT "FlowOutcome_flowId_fkey" FOREIGN KEY ("flowId") REFERENCES "FlowDefinition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionSummary" ADD CONSTRAINT "SessionSummary_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "UserSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: an app's own session id names one session; the finalisation sweep finds quiet,
-- unfinalised sessions without scanning finalised ones.
CREATE UNIQUE INDEX "UserSession_app_client_session" ON "UserSession" ("appId", "clientSessionId") WHERE "clientSessionId" IS NOT NULL;
CREATE INDEX "UserSession_unfinalized" ON "UserSession" ("lastEventAt") WHERE "finalizedAt" IS NULL;
ALTER TABLE "UserSession" ADD CONSTRAINT "UserSession_bounds" CHECK ("lastEventAt" >= "startedAt" AND "durationSeconds" >= 0 AND "rawEventCount" >= 0);
ALTER TABLE "SessionBusinessEvent" ADD CONSTRAINT "SessionBusinessEvent_position_positive" CHECK ("position" >= 1);
