-- CreateTable
CREATE TABLE "ActivityChange" (
    "id" BIGSERIAL NOT NULL,
    "transactionId" BIGINT NOT NULL DEFAULT txid_current(),
    "kind" TEXT NOT NULL,
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "isBot" BOOLEAN NOT NULL,
    "isDevOrInternal" BOOLEAN NOT NULL,
    "key" TEXT NOT NULL,
    "outcome" TEXT,
    "lastStep" TEXT,
    "delta" INTEGER NOT NULL,

    CONSTRAINT "ActivityChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActiveUserDay" (
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "isBot" BOOLEAN NOT NULL,
    "isDevOrInternal" BOOLEAN NOT NULL,
    "userKey" TEXT NOT NULL,
    "sessions" INTEGER NOT NULL,

    CONSTRAINT "ActiveUserDay_pkey" PRIMARY KEY ("appId","day","isBot","isDevOrInternal","userKey")
);

-- CreateTable
CREATE TABLE "SessionDurationDay" (
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "isBot" BOOLEAN NOT NULL,
    "isDevOrInternal" BOOLEAN NOT NULL,
    "durationSeconds" INTEGER NOT NULL,
    "sessions" INTEGER NOT NULL,

    CONSTRAINT "SessionDurationDay_pkey" PRIMARY KEY ("appId","day","isBot","isDevOrInternal","durationSeconds")
);

-- CreateTable
CREATE TABLE "FlowOutcomeDay" (
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "isBot" BOOLEAN NOT NULL,
    "isDevOrInternal" BOOLEAN NOT NULL,
    "flowId" UUID NOT NULL,
    "outcome" "FlowOutcomeKind" NOT NULL,
    "lastStep" TEXT NOT NULL,
    "sessions" INTEGER NOT NULL,

    CONSTRAINT "FlowOutcomeDay_pkey" PRIMARY KEY ("appId","day","isBot","isDevOrInternal","flowId","outcome","lastStep")
);

-- CreateTable
CREATE TABLE "BusinessEventDay" (
    "workspaceId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "isBot" BOOLEAN NOT NULL,
    "isDevOrInternal" BOOLEAN NOT NULL,
    "name" TEXT NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "BusinessEventDay_pkey" PRIMARY KEY ("appId","day","isBot","isDevOrInternal","name")
);

-- CreateIndex
CREATE INDEX "ActivityChange_transactionId_idx" ON "ActivityChange"("transactionId");

-- CreateIndex
CREATE INDEX "ActiveUserDay_workspaceId_day_idx" ON "ActiveUserDay"("workspaceId", "day");

-- CreateIndex
CREATE INDEX "SessionDurationDay_workspaceId_day_idx" ON "SessionDurationDay"("workspaceId", "day");

-- CreateIndex
CREATE INDEX "FlowOutcomeDay_workspaceId_day_idx" ON "FlowOutcomeDay"("workspaceId", "day");

-- CreateIndex
CREATE INDEX "FlowOutcomeDay_flowId_idx" ON "FlowOutcomeDay"("flowId");

-- CreateIndex
CREATE INDEX "BusinessEventDay_workspaceId_day_idx" ON "BusinessEventDay"("workspaceId", "day");

-- AddForeignKey
ALTER TABLE "ActiveUserDay" ADD CONSTRAINT "ActiveUserDay_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionDurationDay" ADD CONSTRAINT "SessionDurationDay_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowOutcomeDay" ADD CONSTRAINT "FlowOutcomeDay_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowOutcomeDay" ADD CONSTRAINT "FlowOutcomeDay_flowId_fkey" FOREIGN KEY ("flowId") REFERENCES "FlowDefinition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BusinessEventDay" ADD CONSTRAINT "BusinessEventDay_appId_fkey" FOREIGN KEY ("appId") REFERENCES "AnalyticsApp"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The User Activity page's per-day counts are kept by triggers, in the transaction that finalises,
-- re-enriches, reopens, relinks, merges or deletes a session, so every path that writes sessions
-- keeps them exact without having to remember to. Only finalised sessions are counted here (the
-- page counts sessions in progress from "UserSession" itself): a session in progress changes with
-- every batch of events, a finalised one rarely. A day is the session's start in its workspace's
-- time zone, `("startedAt" AT TIME ZONE "timeZone")::date`, as the page has always counted it.
--
-- Two steps, so that counting never makes a transaction wait while it still has rows to lock: as a
-- session, flow outcome or business event changes, its change to the counts is written down in
-- "ActivityChange" (an insert, which waits for nobody); as the transaction commits, a deferred
-- trigger adds its changes to the counts under its apps' locks. The counts' rows are shared by many
-- sessions, and a transaction holding one while waiting for a session that a finaliser holds (a
-- relink merging, a batch reopening) would deadlock with it; at commit nothing is left to wait for.

CREATE INDEX "ActivityChange_pending" ON "ActivityChange" ("transactionId");

-- The page's sessions in progress: a workspace's few, by start, without reading its finalised ones.
CREATE INDEX "UserSession_in_progress" ON "UserSession" ("workspaceId", "startedAt") WHERE "finalizedAt" IS NULL;

-- One app's counts are changed by one committing transaction at a time; also taken, in the same
-- order, by a rebuild.
CREATE FUNCTION activity_lock(p_app uuid) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtextextended('analytics:' || p_app || ':activity', 0)) $$;

-- Writes down (p_sign 1) or takes back (-1) a finalised session's counts, with those of the flow
-- outcomes and business events given.
CREATE FUNCTION activity_note(s "UserSession", p_sign int, p_visit boolean, p_outcomes "FlowOutcome"[], p_events "SessionBusinessEvent"[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO "ActivityChange" (kind, "workspaceId", "appId", "startedAt", "isBot", "isDevOrInternal", key, outcome, "lastStep", delta)
  SELECT c.kind, s."workspaceId", s."appId", s."startedAt", s."isBot", s."isDev" OR s."isInternal", c.key, c.outcome, c."lastStep", p_sign
  FROM (SELECT 'user' AS kind, s."userKey" AS key, NULL AS outcome, NULL AS "lastStep" WHERE p_visit
        UNION ALL SELECT 'duration', s."durationSeconds"::text, NULL, NULL WHERE p_visit
        UNION ALL SELECT 'flow', o."flowId"::text, o.outcome::text, o."lastStep" FROM unnest(p_outcomes) o
        UNION ALL SELECT 'event', e.name, NULL, NULL FROM unnest(p_events) e) c
  WHERE s."finalizedAt" IS NOT NULL
$$;

-- A session with its flow outcomes and business events.
CREATE FUNCTION activity_note_session(s "UserSession", p_sign int) RETURNS void
LANGUAGE sql AS $$
  SELECT activity_note(s, p_sign, true,
    ARRAY(SELECT o FROM "FlowOutcome" o WHERE o."sessionId" = s.id),
    ARRAY(SELECT e FROM "SessionBusinessEvent" e WHERE e."sessionId" = s.id))
$$;

-- What the counts read of a session: a change to anything else (its summary, its business-event
-- count) leaves them as they are.
CREATE FUNCTION activity_key(s "UserSession") RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT concat_ws('|', s."finalizedAt" IS NOT NULL, s."workspaceId", s."appId", s."startedAt", s."userKey", s."isBot",
                   s."isDev" OR s."isInternal", s."durationSeconds")
$$;

-- Before a delete, so its flow outcomes and business events (deleted after it by the cascade, when
-- the session is no longer there to say how they count) are still there to take back.
CREATE FUNCTION activity_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND activity_key(OLD) = activity_key(NEW) THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM activity_note_session(OLD, -1); END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM activity_note_session(NEW, 1); END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER "UserSession_activity_delete" BEFORE DELETE ON "UserSession"
FOR EACH ROW WHEN (OLD."finalizedAt" IS NOT NULL) EXECUTE FUNCTION activity_session_changed();
CREATE TRIGGER "UserSession_activity_insert" AFTER INSERT ON "UserSession"
FOR EACH ROW WHEN (NEW."finalizedAt" IS NOT NULL) EXECUTE FUNCTION activity_session_changed();
CREATE TRIGGER "UserSession_activity_update" AFTER UPDATE ON "UserSession"
FOR EACH ROW WHEN (OLD."finalizedAt" IS NOT NULL OR NEW."finalizedAt" IS NOT NULL) EXECUTE FUNCTION activity_session_changed();

-- A flow outcome or business event written or deleted on its own (a finalisation, a re-enrichment,
-- a flow deleted) counts with its session while that is finalised. Their writers hold the session's
-- row (they update it first, or delete it), so it can't change under them.
CREATE FUNCTION activity_outcome_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM activity_note(s, -1, false, ARRAY[OLD], NULL) FROM "UserSession" s WHERE s.id = OLD."sessionId";
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM activity_note(s, 1, false, ARRAY[NEW], NULL) FROM "UserSession" s WHERE s.id = NEW."sessionId";
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION activity_event_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM activity_note(s, -1, false, NULL, ARRAY[OLD]) FROM "UserSession" s WHERE s.id = OLD."sessionId";
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM activity_note(s, 1, false, NULL, ARRAY[NEW]) FROM "UserSession" s WHERE s.id = NEW."sessionId";
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "FlowOutcome_activity" AFTER INSERT OR UPDATE OR DELETE ON "FlowOutcome"
FOR EACH ROW EXECUTE FUNCTION activity_outcome_changed();
CREATE TRIGGER "SessionBusinessEvent_activity" AFTER INSERT OR UPDATE OR DELETE ON "SessionBusinessEvent"
FOR EACH ROW EXECUTE FUNCTION activity_event_changed();

-- As a transaction commits: its written-down changes, summed per row of the counts, are added to
-- them (rows left at zero go), in key order, under the locks of their apps. The day is worked out
-- now, under the lock a change of time zone takes too. Changes of apps, workspaces or flows deleted
-- meanwhile are dropped (their counts went with them). The first of the transaction's deferred
-- calls does it all and notes (in a setting local to the transaction) the last change it applied;
-- the others, for changes up to that one, return at once, without looking at the table (whose
-- index still holds every change the transaction deleted). The sums go through a temporary table
-- made once per connection.
CREATE FUNCTION activity_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  app uuid;
  last bigint;
BEGIN
  IF NEW.id <= coalesce(nullif(current_setting('analytics.activity_applied', true), '')::bigint, 0) THEN RETURN NULL; END IF;
  SELECT max(id) INTO last FROM "ActivityChange" WHERE "transactionId" = txid_current();
  PERFORM set_config('analytics.activity_applied', last::text, true);
  FOR app IN SELECT a."appId" FROM (SELECT DISTINCT c."appId" FROM "ActivityChange" c WHERE c."transactionId" = txid_current()) a
             ORDER BY hashtextextended('analytics:' || a."appId" || ':activity', 0) LOOP
    PERFORM activity_lock(app);
  END LOOP;
  IF to_regclass('pg_temp.activity_changes') IS NULL THEN
    CREATE TEMP TABLE activity_changes (kind text, "workspaceId" uuid, "appId" uuid, day date, "isBot" boolean,
      "isDevOrInternal" boolean, key text, outcome text, "lastStep" text, delta int) ON COMMIT DELETE ROWS;
  END IF;
  WITH done AS (DELETE FROM "ActivityChange" c WHERE c."transactionId" = txid_current() RETURNING c.*)
  INSERT INTO activity_changes
  SELECT c.kind, c."workspaceId", c."appId", (c."startedAt" AT TIME ZONE w."timeZone")::date, c."isBot", c."isDevOrInternal",
         c.key, c.outcome, c."lastStep", SUM(c.delta)
  FROM done c JOIN "Workspace" w ON w.id = c."workspaceId" JOIN "AnalyticsApp" a ON a.id = c."appId"
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING SUM(c.delta) <> 0;
  IF NOT FOUND THEN RETURN NULL; END IF;

  INSERT INTO "ActiveUserDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "userKey", sessions)
  SELECT "workspaceId", "appId", day, "isBot", "isDevOrInternal", key, delta FROM activity_changes WHERE kind = 'user'
  ORDER BY "appId", day, "isBot", "isDevOrInternal", key
  ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", "userKey") DO UPDATE SET sessions = t.sessions + excluded.sessions;
  INSERT INTO "SessionDurationDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "durationSeconds", sessions)
  SELECT "workspaceId", "appId", day, "isBot", "isDevOrInternal", key::int, delta FROM activity_changes WHERE kind = 'duration'
  ORDER BY "appId", day, "isBot", "isDevOrInternal", key::int
  ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", "durationSeconds") DO UPDATE SET sessions = t.sessions + excluded.sessions;
  INSERT INTO "FlowOutcomeDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "flowId", outcome, "lastStep", sessions)
  SELECT c."workspaceId", c."appId", c.day, c."isBot", c."isDevOrInternal", f.id, c.outcome::"FlowOutcomeKind", c."lastStep", c.delta
  FROM activity_changes c JOIN "FlowDefinition" f ON f.id = c.key::uuid WHERE c.kind = 'flow'
  ORDER BY c."appId", c.day, c."isBot", c."isDevOrInternal", f.id, c.outcome, c."lastStep"
  ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", "flowId", outcome, "lastStep") DO UPDATE SET sessions = t.sessions + excluded.sessions;
  INSERT INTO "BusinessEventDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", name, events)
  SELECT "workspaceId", "appId", day, "isBot", "isDevOrInternal", key, delta FROM activity_changes WHERE kind = 'event'
  ORDER BY "appId", day, "isBot", "isDevOrInternal", key
  ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", name) DO UPDATE SET events = t.events + excluded.events;

  DELETE FROM "ActiveUserDay" t USING (SELECT DISTINCT "appId", day FROM activity_changes) c WHERE t."appId" = c."appId" AND t.day = c.day AND t.sessions = 0;
  DELETE FROM "SessionDurationDay" t USING (SELECT DISTINCT "appId", day FROM activity_changes) c WHERE t."appId" = c."appId" AND t.day = c.day AND t.sessions = 0;
  DELETE FROM "FlowOutcomeDay" t USING (SELECT DISTINCT "appId", day FROM activity_changes) c WHERE t."appId" = c."appId" AND t.day = c.day AND t.sessions = 0;
  DELETE FROM "BusinessEventDay" t USING (SELECT DISTINCT "appId", day FROM activity_changes) c WHERE t."appId" = c."appId" AND t.day = c.day AND t.events = 0;
  DELETE FROM activity_changes;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER "ActivityChange_apply" AFTER INSERT ON "ActivityChange"
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION activity_apply();

-- A workspace's counts from its sessions: the back-fill below, and after a change of its time zone
-- (every day boundary moves). Under its apps' locks, so no commit's changes land in between.
CREATE FUNCTION activity_rebuild(p_workspace uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  app uuid;
BEGIN
  FOR app IN SELECT id FROM "AnalyticsApp" WHERE "workspaceId" = p_workspace ORDER BY hashtextextended('analytics:' || id || ':activity', 0) LOOP
    PERFORM activity_lock(app);
  END LOOP;
  DELETE FROM "ActiveUserDay" WHERE "workspaceId" = p_workspace;
  DELETE FROM "SessionDurationDay" WHERE "workspaceId" = p_workspace;
  DELETE FROM "FlowOutcomeDay" WHERE "workspaceId" = p_workspace;
  DELETE FROM "BusinessEventDay" WHERE "workspaceId" = p_workspace;
  CREATE TEMP TABLE activity_sessions AS
    SELECT s.id, s."workspaceId", s."appId", (s."startedAt" AT TIME ZONE w."timeZone")::date AS day, s."isBot",
           s."isDev" OR s."isInternal" AS dev, s."userKey", s."durationSeconds"
    FROM "UserSession" s JOIN "Workspace" w ON w.id = s."workspaceId"
    WHERE s."workspaceId" = p_workspace AND s."finalizedAt" IS NOT NULL;
  INSERT INTO "ActiveUserDay" ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "userKey", sessions)
  SELECT "workspaceId", "appId", day, "isBot", dev, "userKey", count(*) FROM activity_sessions GROUP BY 1, 2, 3, 4, 5, 6;
  INSERT INTO "SessionDurationDay" ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "durationSeconds", sessions)
  SELECT "workspaceId", "appId", day, "isBot", dev, "durationSeconds", count(*) FROM activity_sessions GROUP BY 1, 2, 3, 4, 5, 6;
  INSERT INTO "FlowOutcomeDay" ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "flowId", outcome, "lastStep", sessions)
  SELECT s."workspaceId", s."appId", s.day, s."isBot", s.dev, o."flowId", o.outcome, o."lastStep", count(*)
  FROM activity_sessions s JOIN "FlowOutcome" o ON o."sessionId" = s.id GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
  INSERT INTO "BusinessEventDay" ("workspaceId", "appId", day, "isBot", "isDevOrInternal", name, events)
  SELECT s."workspaceId", s."appId", s.day, s."isBot", s.dev, e.name, count(*)
  FROM activity_sessions s JOIN "SessionBusinessEvent" e ON e."sessionId" = s.id GROUP BY 1, 2, 3, 4, 5, 6;
  DROP TABLE activity_sessions;
END $$;

CREATE FUNCTION activity_time_zone_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM activity_rebuild(NEW.id);
  RETURN NULL;
END $$;

CREATE TRIGGER "Workspace_activity_time_zone" AFTER UPDATE OF "timeZone" ON "Workspace"
FOR EACH ROW WHEN (OLD."timeZone" IS DISTINCT FROM NEW."timeZone") EXECUTE FUNCTION activity_time_zone_changed();

-- Back-fill: the counts of every workspace's finalised sessions so far.
SELECT activity_rebuild(id) FROM "Workspace";
