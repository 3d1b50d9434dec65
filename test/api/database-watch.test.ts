// The API's watch on PostgreSQL (platform/watch.ts), against the suite's server: a server that answers
// is up, even when the watch's own connection is cut between its pings.
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { watchDatabase } from "../../platform/watch.js";
import { until } from "../support/until.js";

const databaseUrl = inject("databaseUrl");

describe.skipIf(!databaseUrl)("the PostgreSQL watch", () => {
  it("stays up when its connection is cut between pings: the next ping opens another", async () => {
    const watch = watchDatabase(databaseUrl!);
    const admin = new pg.Client({ connectionString: databaseUrl! });
    await admin.connect();
    const watchBackends = async () =>
      (await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'sessions health watch' AND datname = current_database()`)).rows.map((r) => r.pid as number);
    try {
      const [first] = await until(watchBackends, (pids) => pids.length === 1);
      const seen: boolean[] = [];
      const observer = setInterval(() => seen.push(watch.up), 5);
      await admin.query("SELECT pg_terminate_backend($1)", [first]);
      const [second] = await until(watchBackends, (pids) => pids.length === 1 && pids[0] !== first);
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(observer);
      expect(second).not.toBe(first);
      expect(seen.length).toBeGreaterThan(20);
      expect(seen.filter((up) => !up)).toEqual([]);
    } finally {
      watch.stop();
      await admin.end();
    }
  });
});
