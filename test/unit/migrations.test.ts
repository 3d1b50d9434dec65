import { describe, expect, it } from "vitest";
import { pendingMigrationSql } from "../../prisma/migrations-engine.js";

describe("prisma/migrations", () => {
  it("matches schema.prisma (run `npm run db:migration -- <name>` after changing it)", async () => {
    expect(await pendingMigrationSql()).toBeNull();
  }, 60_000);
});
