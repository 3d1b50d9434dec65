-- Hand-written: a credential acts in one workspace, so a person in two workspaces keeps a separate
-- timeline in each. Sessions never overlap within a workspace; each workspace may have one open.
ALTER TABLE "WorkSession" DROP CONSTRAINT "WorkSession_no_overlap";
ALTER TABLE "WorkSession" ADD CONSTRAINT "WorkSession_no_overlap"
  EXCLUDE USING gist ("workspaceId" WITH =, "userId" WITH =, tstzrange("startedAt", COALESCE("endedAt", 'infinity'), '[)') WITH &&);
DROP INDEX "WorkSession_one_open_per_user";
CREATE UNIQUE INDEX "WorkSession_one_open_per_user" ON "WorkSession" ("workspaceId", "userId") WHERE "endedAt" IS NULL;
