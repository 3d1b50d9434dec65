-- Hand-written: raw events move to a table partitioned by month of their timestamp (UTC), so a
-- month's events are one table that retention can empty or drop whole, and every index stays the
-- size of a month. A unique index on a partitioned table must include the partition key, so the
-- idempotency of (appId, eventId) across months moves to AnalyticsEventId.

-- AlterTable
ALTER TABLE "AnalyticsApp" ADD COLUMN     "retentionMonths" INTEGER;
ALTER TABLE "AnalyticsApp" ADD CONSTRAINT "AnalyticsApp_retentionMonths_range" CHECK ("retentionMonths" BETWEEN 1 AND 120);

-- CreateTable
CREATE TABLE "AnalyticsEventId" (
    "appId" UUID NOT NULL,
    "eventId" TEXT NOT NULL,

    CONSTRAINT "AnalyticsEventId_pkey" PRIMARY KEY ("appId","eventId")
);
INSERT INTO "AnalyticsEventId" ("appId", "eventId") SELECT "appId", "eventId" FROM "RawEvent";

-- The old table steps aside; the new one keeps its name, columns, sequence and index names.
ALTER TABLE "RawEvent" RENAME TO "RawEvent_unpartitioned";
ALTER TABLE "RawEvent_unpartitioned" RENAME CONSTRAINT "RawEvent_pkey" TO "RawEvent_unpartitioned_pkey";
ALTER INDEX "RawEvent_appId_sessionId_timestamp_idx" RENAME TO "RawEvent_unpartitioned_appId_sessionId_timestamp_idx";
DROP INDEX "RawEvent_appId_eventId_key";

CREATE TABLE "RawEvent" (
    "id" BIGINT NOT NULL DEFAULT nextval('"RawEvent_id_seq"'),
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

    CONSTRAINT "RawEvent_pkey" PRIMARY KEY ("id", "timestamp")
) PARTITION BY RANGE ("timestamp");
ALTER SEQUENCE "RawEvent_id_seq" OWNED BY "RawEvent"."id";

CREATE INDEX "RawEvent_appId_sessionId_timestamp_idx" ON "RawEvent"("appId", "sessionId", "timestamp");

-- A partition for every month that holds events, and for the months ingestion may write to now (from
-- 30 days back to two months ahead); the partition job (schema/analytics/partitions.ts) names and
-- bounds them the same way from then on.
DO $$
DECLARE
  month timestamptz;
BEGIN
  FOR month IN
    SELECT DISTINCT date_trunc('month', "timestamp" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM "RawEvent_unpartitioned"
    UNION
    SELECT generate_series(date_trunc('month', (now() - interval '30 days') AT TIME ZONE 'UTC'),
                           date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months', interval '1 month') AT TIME ZONE 'UTC'
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "RawEvent" FOR VALUES FROM (%L) TO (%L)',
                   'RawEvent_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM'), month, (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
  END LOOP;
END $$;

INSERT INTO "RawEvent" SELECT * FROM "RawEvent_unpartitioned";
DROP TABLE "RawEvent_unpartitioned";
