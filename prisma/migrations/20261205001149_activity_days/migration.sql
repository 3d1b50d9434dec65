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

-- Each app's counts are changed one transaction at a time: the rows a session touches (its duration,
-- its flows, its business events) are shared with other sessions in an order of their own, and two
-- transactions taking them in opposite orders would deadlock.
CREATE FUNCTION activity_lock(p_app uuid) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtextextended('analytics:' || p_app || ':activity', 0)) $$;

-- Whether a session counts, after taking its app's lock (so the time zone read next is the one the
-- counts are kept in: a change of time zone rebuilds them under the same locks).
CREATE FUNCTION activity_counted(s "UserSession") RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF s."finalizedAt" IS NULL THEN RETURN false; END IF;
  PERFORM activity_lock(s."appId");
  RETURN true;
END $$;

-- The local day a session counts on; null while its workspace is being deleted.
CREATE FUNCTION activity_day(s "UserSession") RETURNS date
LANGUAGE sql AS $$ SELECT (s."startedAt" AT TIME ZONE w."timeZone")::date FROM "Workspace" w WHERE w.id = s."workspaceId" $$;

-- Adds (p_sign 1) or takes away (-1) a finalised session's user and duration.
CREATE FUNCTION activity_count_visit(s "UserSession", d date, p_sign int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  dev boolean := s."isDev" OR s."isInternal";
BEGIN
  IF p_sign > 0 THEN
    INSERT INTO "ActiveUserDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "userKey", sessions)
    VALUES (s."workspaceId", s."appId", d, s."isBot", dev, s."userKey", 1)
    ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", "userKey") DO UPDATE SET sessions = t.sessions + 1;
    INSERT INTO "SessionDurationDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "durationSeconds", sessions)
    VALUES (s."workspaceId", s."appId", d, s."isBot", dev, s."durationSeconds", 1)
    ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", "durationSeconds") DO UPDATE SET sessions = t.sessions + 1;
  ELSE
    UPDATE "ActiveUserDay" SET sessions = sessions - 1
    WHERE "appId" = s."appId" AND day = d AND "isBot" = s."isBot" AND "isDevOrInternal" = dev AND "userKey" = s."userKey";
    DELETE FROM "ActiveUserDay"
    WHERE "appId" = s."appId" AND day = d AND "isBot" = s."isBot" AND "isDevOrInternal" = dev AND "userKey" = s."userKey" AND sessions <= 0;
    UPDATE "SessionDurationDay" SET sessions = sessions - 1
    WHERE "appId" = s."appId" AND day = d AND "isBot" = s."isBot" AND "isDevOrInternal" = dev AND "durationSeconds" = s."durationSeconds";
    DELETE FROM "SessionDurationDay"
    WHERE "appId" = s."appId" AND day = d AND "isBot" = s."isBot" AND "isDevOrInternal" = dev AND "durationSeconds" = s."durationSeconds" AND sessions <= 0;
  END IF;
END $$;

-- Adds or takes away flow outcomes of a finalised session.
CREATE FUNCTION activity_count_outcomes(s "UserSession", d date, p_sign int, p_outcomes "FlowOutcome"[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  dev boolean := s."isDev" OR s."isInternal";
BEGIN
  IF p_sign > 0 THEN
    INSERT INTO "FlowOutcomeDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", "flowId", outcome, "lastStep", sessions)
    SELECT s."workspaceId", s."appId", d, s."isBot", dev, o."flowId", o.outcome, o."lastStep", count(*)
    FROM unnest(p_outcomes) o GROUP BY o."flowId", o.outcome, o."lastStep"
    ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", "flowId", outcome, "lastStep") DO UPDATE SET sessions = t.sessions + excluded.sessions;
  ELSE
    UPDATE "FlowOutcomeDay" t SET sessions = t.sessions - c.n
    FROM (SELECT o."flowId", o.outcome, o."lastStep", count(*) AS n FROM unnest(p_outcomes) o GROUP BY 1, 2, 3) c
    WHERE t."appId" = s."appId" AND t.day = d AND t."isBot" = s."isBot" AND t."isDevOrInternal" = dev
      AND t."flowId" = c."flowId" AND t.outcome = c.outcome AND t."lastStep" = c."lastStep";
    DELETE FROM "FlowOutcomeDay" WHERE "appId" = s."appId" AND day = d AND "isBot" = s."isBot" AND "isDevOrInternal" = dev AND sessions <= 0;
  END IF;
END $$;

-- Adds or takes away business events of a finalised session.
CREATE FUNCTION activity_count_events(s "UserSession", d date, p_sign int, p_events "SessionBusinessEvent"[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  dev boolean := s."isDev" OR s."isInternal";
BEGIN
  IF p_sign > 0 THEN
    INSERT INTO "BusinessEventDay" AS t ("workspaceId", "appId", day, "isBot", "isDevOrInternal", name, events)
    SELECT s."workspaceId", s."appId", d, s."isBot", dev, e.name, count(*) FROM unnest(p_events) e GROUP BY e.name
    ON CONFLICT ("appId", day, "isBot", "isDevOrInternal", name) DO UPDATE SET events = t.events + excluded.events;
  ELSE
    UPDATE "BusinessEventDay" t SET events = t.events - c.n
    FROM (SELECT e.name, count(*) AS n FROM unnest(p_events) e GROUP BY 1) c
    WHERE t."appId" = s."appId" AND t.day = d AND t."isBot" = s."isBot" AND t."isDevOrInternal" = dev AND t.name = c.name;
    DELETE FROM "BusinessEventDay" WHERE "appId" = s."appId" AND day = d AND "isBot" = s."isBot" AND "isDevOrInternal" = dev AND events <= 0;
  END IF;
END $$;

-- Adds or takes away a session with its flow outcomes and business events, if it counts.
CREATE FUNCTION activity_count_session(s "UserSession", p_sign int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  d date;
BEGIN
  IF NOT activity_counted(s) THEN RETURN; END IF;
  d := activity_day(s);
  IF d IS NULL THEN RETURN; END IF;
  PERFORM activity_count_visit(s, d, p_sign);
  PERFORM activity_count_outcomes(s, d, p_sign, ARRAY(SELECT o FROM "FlowOutcome" o WHERE o."sessionId" = s.id));
  PERFORM activity_count_events(s, d, p_sign, ARRAY(SELECT e FROM "SessionBusinessEvent" e WHERE e."sessionId" = s.id));
END $$;

-- What the counts read of a session: a change to anything else (its summary, its last event while
-- finalised, its business-event count) leaves them as they are.
CREATE FUNCTION activity_key(s "UserSession") RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT concat_ws('|', s."finalizedAt" IS NOT NULL, s."workspaceId", s."appId", s."startedAt", s."userKey", s."isBot",
                   s."isDev" OR s."isInternal", s."durationSeconds")
$$;

-- Before a delete, so its flow outcomes and business events (deleted after it by the cascade, when
-- the session is no longer there to say which day they count on) are still there to take away.
CREATE FUNCTION activity_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND activity_key(OLD) = activity_key(NEW) THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM activity_count_session(OLD, -1); END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM activity_count_session(NEW, 1); END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER "UserSession_activity_delete" BEFORE DELETE ON "UserSession"
FOR EACH ROW WHEN (OLD."finalizedAt" IS NOT NULL) EXECUTE FUNCTION activity_session_changed();
CREATE TRIGGER "UserSession_activity_insert" AFTER INSERT ON "UserSession"
FOR EACH ROW WHEN (NEW."finalizedAt" IS NOT NULL) EXECUTE FUNCTION activity_session_changed();
CREATE TRIGGER "UserSession_activity_update" AFTER UPDATE ON "UserSession"
FOR EACH ROW WHEN (OLD."finalizedAt" IS NOT NULL OR NEW."finalizedAt" IS NOT NULL) EXECUTE FUNCTION activity_session_changed();

-- A flow outcome or business event written or deleted on its own (a finalisation, a re-enrichment,
-- a flow deleted) counts with its session, if that is finalised. Their writers hold the session's
-- row (they update it first, or delete it), so it can't change under them.
CREATE FUNCTION activity_outcome_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s "UserSession";
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT * INTO s FROM "UserSession" WHERE id = OLD."sessionId";
    IF FOUND AND activity_counted(s) AND activity_day(s) IS NOT NULL THEN PERFORM activity_count_outcomes(s, activity_day(s), -1, ARRAY[OLD]); END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    SELECT * INTO s FROM "UserSession" WHERE id = NEW."sessionId";
    IF FOUND AND activity_counted(s) AND activity_day(s) IS NOT NULL THEN PERFORM activity_count_outcomes(s, activity_day(s), 1, ARRAY[NEW]); END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION activity_event_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s "UserSession";
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT * INTO s FROM "UserSession" WHERE id = OLD."sessionId";
    IF FOUND AND activity_counted(s) AND activity_day(s) IS NOT NULL THEN PERFORM activity_count_events(s, activity_day(s), -1, ARRAY[OLD]); END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    SELECT * INTO s FROM "UserSession" WHERE id = NEW."sessionId";
    IF FOUND AND activity_counted(s) AND activity_day(s) IS NOT NULL THEN PERFORM activity_count_events(s, activity_day(s), 1, ARRAY[NEW]); END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "FlowOutcome_activity" AFTER INSERT OR UPDATE OR DELETE ON "FlowOutcome"
FOR EACH ROW EXECUTE FUNCTION activity_outcome_changed();
CREATE TRIGGER "SessionBusinessEvent_activity" AFTER INSERT OR UPDATE OR DELETE ON "SessionBusinessEvent"
FOR EACH ROW EXECUTE FUNCTION activity_event_changed();

-- A workspace's counts from its sessions: the back-fill below, and after a change of its time zone
-- (every day boundary moves). Under its apps' locks, in a fixed order, so no finalisation lands between.
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
