import { describe, expect, it } from "vitest";
import { pendingMigrationSql } from "../../prisma/migrations-engine.js";
import { freshDatabase } from "../support/database.js";

/**
 * Foreign keys without an index on their column: deleting a parent row scans the child's whole table
 * (every workspace's rows) for the key's check or cascade. Only these are left so, as the API never
 * deletes their parents (users, workspaces, projects and services stay).
 */
const UNINDEXED_FOREIGN_KEYS = [
  "AccessToken.userId → User",
  "AgentSession.projectId → Project",
  "Appointment.serviceId → AppointmentService",
  "AppointmentAttachment.workspaceId → Workspace",
  "Beat.userId → User",
  "CalendarFeed.ownerId → User",
  "Evaluation.workspaceId → Workspace",
  "Invitation.invitedById → User",
  "TimeEntry.projectId → Project",
];

describe("prisma/migrations", () => {
  it("matches schema.prisma (run `npm run db:migration -- <name>` after changing it)", async () => {
    expect(await pendingMigrationSql()).toBeNull();
  }, 60_000);

  it("index every foreign key whose parent the API deletes", async () => {
    const database = await freshDatabase();
    try {
      const { rows } = await database.pool.query<{ key: string }>(
        `SELECT format('%s.%s → %s', child.relname, a.attname, parent.relname) AS key
         FROM pg_constraint c
         JOIN pg_class child ON child.oid = c.conrelid
         JOIN pg_class parent ON parent.oid = c.confrelid
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND child.relnamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])`,
      );
      expect(rows.map((row) => row.key).sort()).toEqual(UNINDEXED_FOREIGN_KEYS);
    } finally {
      await database.stop();
    }
  }, 60_000);
});
