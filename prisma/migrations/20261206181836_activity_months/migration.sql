-- DropIndex
DROP INDEX "SessionDurationDay_workspaceId_day_idx";

-- CreateTable
CREATE TABLE "ActiveUserMonth" (
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "month" DATE NOT NULL,
    "isBot" BOOLEAN NOT NULL,
    "isDevOrInternal" BOOLEAN NOT NULL,
    "userKey" TEXT NOT NULL,
    "days" INTEGER NOT NULL,

    CONSTRAINT "ActiveUserMonth_pkey" PRIMARY KEY ("appId","month","isBot","isDevOrInternal","userKey")
);

-- CreateIndex
CREATE INDEX "ActiveUserMonth_workspaceId_month_isBot_isDevOrInternal_app_idx" ON "ActiveUserMonth"("workspaceId", "month", "isBot", "isDevOrInternal", "appId", "userKey", "days");

-- CreateIndex
CREATE INDEX "SessionDurationDay_workspaceId_day_isBot_isDevOrInternal_ap_idx" ON "SessionDurationDay"("workspaceId", "day", "isBot", "isDevOrInternal", "appId", "durationSeconds", "sessions");

-- AddForeignKey
ALTER TABLE "ActiveUserMonth" ADD CONSTRAINT "ActiveUserMonth_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The active-user counts read each user's local days of a month as one row of "ActiveUserMonth"
-- (bit d - 1 for day d). Read day by day, a month of a busy app was hundreds of thousands of rows
-- grouped by user for every page; a user's month is one row, however many days they came back.
--
-- A day's bit is set while the day has its row in "ActiveUserDay": statement-level triggers there
-- set the bits of the days a statement inserts and clear those of the days it deletes (a month left
-- without days goes), so the months follow every path that keeps the days (the commit of a
-- transaction's changes, a rebuild, an app deleted). A count that changes adds or removes no day.
CREATE FUNCTION activity_months_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ActiveUserMonth" AS t ("workspaceId", "appId", month, "isBot", "isDevOrInternal", "userKey", days)
  SELECT "workspaceId", "appId", date_trunc('month', day::timestamp)::date, "isBot", "isDevOrInternal", "userKey", bit_or(1 << (extract(day FROM day)::int - 1))
  FROM changed GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 2, 3, 4, 5, 6
  ON CONFLICT ("appId", month, "isBot", "isDevOrInternal", "userKey") DO UPDATE SET days = t.days | excluded.days;
  RETURN NULL;
END $$;

CREATE FUNCTION activity_months_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ActiveUserMonth" t SET days = t.days & ~g.days
  FROM (SELECT "appId", date_trunc('month', day::timestamp)::date AS month, "isBot", "isDevOrInternal", "userKey", bit_or(1 << (extract(day FROM day)::int - 1)) AS days
        FROM changed GROUP BY 1, 2, 3, 4, 5) g
  WHERE t."appId" = g."appId" AND t.month = g.month AND t."isBot" = g."isBot" AND t."isDevOrInternal" = g."isDevOrInternal" AND t."userKey" = g."userKey";
  DELETE FROM "ActiveUserMonth" t USING (SELECT DISTINCT "appId", date_trunc('month', day::timestamp)::date AS month, "isBot", "isDevOrInternal", "userKey" FROM changed) g
  WHERE t."appId" = g."appId" AND t.month = g.month AND t."isBot" = g."isBot" AND t."isDevOrInternal" = g."isDevOrInternal" AND t."userKey" = g."userKey" AND t.days = 0;
  RETURN NULL;
END $$;

CREATE TRIGGER "ActiveUserDay_months_insert" AFTER INSERT ON "ActiveUserDay"
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION activity_months_added();
CREATE TRIGGER "ActiveUserDay_months_delete" AFTER DELETE ON "ActiveUserDay"
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION activity_months_removed();

-- Back-fill: the months of every user's days so far.
INSERT INTO "ActiveUserMonth" ("workspaceId", "appId", month, "isBot", "isDevOrInternal", "userKey", days)
SELECT "workspaceId", "appId", date_trunc('month', day::timestamp)::date, "isBot", "isDevOrInternal", "userKey", bit_or(1 << (extract(day FROM day)::int - 1))
FROM "ActiveUserDay" GROUP BY 1, 2, 3, 4, 5, 6;
