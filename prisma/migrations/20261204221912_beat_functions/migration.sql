-- AlterTable
ALTER TABLE "AgentSession" ADD COLUMN     "closedActiveSeconds" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "closedAgentSeconds" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "closedIdleSeconds" INTEGER NOT NULL DEFAULT 0;

-- Beat changes as database functions: a flip is one statement (one round trip, no connection held
-- across awaits), and every path that ends a beat keeps the session's running totals the same way.

-- Whole seconds from one instant to another, rounded down, as rules.ts counts a beat.
CREATE FUNCTION agent_seconds(from_at timestamptz, to_at timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT greatest(0, floor(extract(epoch FROM to_at - from_at)))::integer $$;

-- The totals of the beats that have already ended.
UPDATE "AgentSession" s
SET "closedActiveSeconds" = t.active, "closedAgentSeconds" = t.agent, "closedIdleSeconds" = t.idle
FROM (
  SELECT "sessionId",
         coalesce(sum(agent_seconds("startedAt", "endedAt")) FILTER (WHERE kind = 'active'), 0) AS active,
         coalesce(sum(agent_seconds("startedAt", "endedAt")) FILTER (WHERE kind = 'agent'), 0) AS agent,
         coalesce(sum(agent_seconds("startedAt", "endedAt")) FILTER (WHERE kind = 'idle'), 0) AS idle
  FROM "Beat" WHERE "endedAt" IS NOT NULL GROUP BY "sessionId"
) t
WHERE s.id = t."sessionId";

-- Ends the session's open beat at p_at (never before it began: clocks may disagree by a few
-- milliseconds) and adds its seconds to the session's totals. Returns the ended beat, if any.
CREATE FUNCTION agent_end_beat(p_session uuid, p_at timestamptz) RETURNS SETOF "Beat"
LANGUAGE plpgsql AS $$
DECLARE
  ended "Beat";
  secs integer;
BEGIN
  UPDATE "Beat" SET "endedAt" = greatest(p_at, "startedAt")
  WHERE "sessionId" = p_session AND "endedAt" IS NULL
  RETURNING * INTO ended;
  IF NOT FOUND THEN RETURN; END IF;
  secs := agent_seconds(ended."startedAt", ended."endedAt");
  UPDATE "AgentSession" SET
    "closedActiveSeconds" = "closedActiveSeconds" + CASE WHEN ended.kind = 'active' THEN secs ELSE 0 END,
    "closedAgentSeconds" = "closedAgentSeconds" + CASE WHEN ended.kind = 'agent' THEN secs ELSE 0 END,
    "closedIdleSeconds" = "closedIdleSeconds" + CASE WHEN ended.kind = 'idle' THEN secs ELSE 0 END
  WHERE id = p_session;
  RETURN NEXT ended;
END $$;

-- Ends the session's open beat at p_at and opens one of p_kind; nothing when it already is that kind.
CREATE FUNCTION agent_switch_beat(p_session uuid, p_kind "BeatKind", p_at timestamptz, OUT previous "BeatKind", OUT switched boolean)
LANGUAGE plpgsql AS $$
DECLARE
  current_beat "Beat";
BEGIN
  SELECT * INTO current_beat FROM "Beat" WHERE "sessionId" = p_session AND "endedAt" IS NULL;
  previous := current_beat.kind;
  switched := previous IS DISTINCT FROM p_kind;
  IF NOT switched THEN RETURN; END IF;
  IF current_beat."startedAt" >= p_at THEN
    -- A beat that lasted no time at all just changes kind, so a session never holds empty beats.
    UPDATE "Beat" SET kind = p_kind WHERE id = current_beat.id;
  ELSE
    PERFORM agent_end_beat(p_session, p_at);
    INSERT INTO "Beat" (id, "sessionId", "workspaceId", "userId", kind, "startedAt")
    SELECT gen_random_uuid(), s.id, s."workspaceId", s."userId", p_kind, p_at FROM "AgentSession" s WHERE s.id = p_session;
  END IF;
END $$;

-- The person's active beat in this workspace (there is at most one) drops to p_to, unless it is in
-- p_except; returns its session.
CREATE FUNCTION agent_demote_active(p_workspace uuid, p_user uuid, p_to "BeatKind", p_at timestamptz, p_except uuid) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  demoted uuid;
BEGIN
  SELECT "sessionId" INTO demoted FROM "Beat"
  WHERE "workspaceId" = p_workspace AND "userId" = p_user AND kind = 'active' AND "endedAt" IS NULL;
  IF demoted IS NULL OR demoted = p_except THEN RETURN NULL; END IF;
  PERFORM agent_switch_beat(demoted, p_to, p_at);
  RETURN demoted;
END $$;

-- Stops the person's running timer in this workspace at p_at (never before it began); returns its id.
CREATE FUNCTION agent_stop_timer(p_workspace uuid, p_user uuid, p_at timestamptz) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  stopped uuid;
BEGIN
  UPDATE "TimeEntry" SET "endedAt" = greatest(p_at, "startedAt"), "durationSeconds" = agent_seconds("startedAt", greatest(p_at, "startedAt"))
  WHERE "workspaceId" = p_workspace AND "userId" = p_user AND "endedAt" IS NULL
  RETURNING id INTO stopped;
  RETURN stopped;
END $$;

-- setBeat as one statement. Under the person's lock (the key of lockAgentTimer in
-- schema/common/locks.ts): the session must be the person's and open; making it active stops the
-- timer and drops the person's other active session to p_previous_to; then the session switches.
-- Expected failures come back as `problem` ('not_found', 'ended'), not as errors. `sessions` holds
-- what the answer and the Live board need of the changed sessions (the demoted one first, the
-- flipped one last): each row as JSON with its open beat, its person's name and its project's name.
CREATE FUNCTION agent_flip_beat(p_workspace uuid, p_user uuid, p_session uuid, p_kind "BeatKind", p_previous_to "BeatKind", p_at timestamptz)
RETURNS TABLE (problem text, switched boolean, previous "BeatKind", "stoppedEntryId" uuid, "demotedSessionId" uuid, sessions jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  ended_at timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('agent:' || p_workspace || ':' || p_user, 0));
  SELECT s."endedAt" INTO ended_at FROM "AgentSession" s
  WHERE s.id = p_session AND s."workspaceId" = p_workspace AND s."userId" = p_user;
  IF NOT FOUND THEN problem := 'not_found'; RETURN NEXT; RETURN; END IF;
  IF ended_at IS NOT NULL THEN problem := 'ended'; RETURN NEXT; RETURN; END IF;
  IF p_kind = 'active' THEN
    "stoppedEntryId" := agent_stop_timer(p_workspace, p_user, p_at);
    "demotedSessionId" := agent_demote_active(p_workspace, p_user, p_previous_to, p_at, p_session);
  END IF;
  SELECT f.previous, f.switched INTO previous, switched FROM agent_switch_beat(p_session, p_kind, p_at) f;
  SELECT jsonb_agg(to_jsonb(s) || jsonb_build_object('open', to_jsonb(b), 'person', u.name, 'projectName', pr.name) ORDER BY s.id = p_session)
  INTO sessions
  FROM "AgentSession" s
  JOIN "User" u ON u.id = s."userId"
  JOIN "Project" pr ON pr.id = s."projectId"
  LEFT JOIN "Beat" b ON b."sessionId" = s.id AND b."endedAt" IS NULL
  WHERE s.id = p_session OR s.id = "demotedSessionId";
  RETURN NEXT;
END $$;
