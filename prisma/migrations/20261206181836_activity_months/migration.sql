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
CREATE INDEX "ActiveUserDay_appId_isBot_isDevOrInternal_userKey_day_idx" ON "ActiveUserDay"("appId", "isBot", "isDevOrInternal", "userKey", "day");

-- CreateIndex
CREATE INDEX "SessionDurationDay_workspaceId_day_isBot_isDevOrInternal_ap_idx" ON "SessionDurationDay"("workspaceId", "day", "isBot", "isDevOrInternal", "appId", "durationSeconds", "sessions");

-- AddForeignKey
ALTER TABLE "ActiveUserMonth" ADD CONSTRAINT "ActiveUserMonth_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The active-user counts read each user's local days of a month as one row of "ActiveUserMonth"
-- (bit d - 1 for day d). Read day by day, a month of a busy app was hundreds of thousands of rows
-- grouped by user for every page; a user's month is one row, however many days they came back.
--
-- A user's month is made again from "ActiveUserDay" whenever a statement adds or deletes one of its
-- days there, so it follows every path that keeps the days (the commit of a transaction's changes,
-- a rebuild, an app deleted). A count that changes adds or removes no day: one that falls to zero
-- is deleted by the same commit.
CREATE FUNCTION activity_months_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH months AS (
    SELECT m.*, (SELECT COALESCE(bit_or(1 << (extract(day FROM u.day)::int - 1)), 0) FROM "ActiveUserDay" u
                 WHERE u."appId" = m."appId" AND u."isBot" = m."isBot" AND u."isDevOrInternal" = m."isDevOrInternal"
                   AND u."userKey" = m."userKey" AND u.day >= m.month AND u.day < m.month + interval '1 month' AND u.sessions > 0) AS days
    FROM (SELECT DISTINCT "workspaceId", "appId", date_trunc('month', day::timestamp)::date AS month, "isBot", "isDevOrInternal", "userKey"
          FROM changed) m),
  emptied AS (
    DELETE FROM "ActiveUserMonth" t USING months m
    WHERE m.days = 0 AND t."appId" = m."appId" AND t.month = m.month AND t."isBot" = m."isBot"
      AND t."isDevOrInternal" = m."isDevOrInternal" AND t."userKey" = m."userKey")
  INSERT INTO "ActiveUserMonth" AS t ("workspaceId", "appId", month, "isBot", "isDevOrInternal", "userKey", days)
  SELECT "workspaceId", "appId", month, "isBot", "isDevOrInternal", "userKey", days FROM months WHERE days <> 0
  ORDER BY "appId", month, "isBot", "isDevOrInternal", "userKey"
  ON CONFLICT ("appId", month, "isBot", "isDevOrInternal", "userKey") DO UPDATE SET days = excluded.days;
  RETURN NULL;
END $$;

CREATE TRIGGER "ActiveUserDay_months_insert" AFTER INSERT ON "ActiveUserDay"
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION activity_months_changed();
CREATE TRIGGER "ActiveUserDay_months_delete" AFTER DELETE ON "ActiveUserDay"
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION activity_months_changed();

-- Back-fill: the months of every user's days so far.
INSERT INTO "ActiveUserMonth" ("workspaceId", "appId", month, "isBot", "isDevOrInternal", "userKey", days)
SELECT "workspaceId", "appId", date_trunc('month', day::timestamp)::date, "isBot", "isDevOrInternal", "userKey", bit_or(1 << (extract(day FROM day)::int - 1))
FROM "ActiveUserDay" GROUP BY 1, 2, 3, 4, 5, 6;
