// Raw events live in one PostgreSQL partition per UTC month (declarative range partitioning on
// "timestamp"). This module makes the months ingestion needs ahead of time and applies each app's
// retention. Partitions are shared by all apps: an app's expired months are emptied of its rows (with
// their event ids), and a month is dropped whole once no app keeps anything in it. Partitioning by app
// as well would make the drop per app, at the price of a partition per app and month (DDL on every
// new app, thousands of partitions for the planner): emptying an app's rows of a month is one index
// range of that month's table, so the shared months stay the simpler design.
import { Prisma } from "../../prisma/generated/client.js";
import type { Db } from "../common/context.js";
import { lockRawEventPartitions } from "../common/locks.js";
import { ingestionMonths, monthStart, partitionName, retentionCutoff } from "./rules.js";

const PARTITION = /^RawEvent_(\d{4})_(\d{2})$/;

/** The month partitions that exist, by the month they start. */
export async function partitionMonths(db: Db): Promise<Date[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '"RawEvent"'::regclass`;
  return rows.flatMap(({ name }) => {
    const match = PARTITION.exec(name);
    return match ? [new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1))] : [];
  });
}

/** Makes the partitions of these months that are missing; concurrent callers make each once. */
export async function ensurePartitions(db: Db, months: Date[]): Promise<void> {
  const wanted = [...new Map(months.map((m) => [+monthStart(m), monthStart(m)])).values()];
  const existing = new Set((await partitionMonths(db)).map(Number));
  if (wanted.every((m) => existing.has(+m))) return;
  await db.$transaction(async (tx) => {
    await lockRawEventPartitions(tx);
    for (const month of wanted) {
      const [from, to] = [month.toISOString(), monthStart(month, 1).toISOString()];
      await tx.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "${partitionName(month)}" PARTITION OF "RawEvent" FOR VALUES FROM ('${from}') TO ('${to}')`);
    }
  });
}

/** Deletes an app's raw events of one whole month, with their event ids; returns how many went. */
async function emptyMonthOfApp(db: Db, month: Date, appId: string): Promise<number> {
  const table = Prisma.raw(`"${partitionName(month)}"`);
  const [{ n }] = await db.$queryRaw<{ n: number }[]>`
    WITH gone AS (DELETE FROM ${table} WHERE "appId" = ${appId}::uuid RETURNING "eventId"),
         ids AS (DELETE FROM "AnalyticsEventId" i USING gone WHERE i."appId" = ${appId}::uuid AND i."eventId" = gone."eventId")
    SELECT count(*)::int AS n FROM gone`;
  return n;
}

/** Drops a month's partition if nothing is left in it; true when dropped. */
async function dropIfEmpty(db: Db, month: Date): Promise<boolean> {
  const table = `"${partitionName(month)}"`;
  return db.$transaction(async (tx) => {
    await lockRawEventPartitions(tx);
    // Another run may have dropped it while this one waited.
    const [{ exists }] = await tx.$queryRaw<{ exists: boolean }[]>`SELECT to_regclass(${table}) IS NOT NULL AS exists`;
    if (!exists) return false;
    // The parent first, as inserts lock it: no insert can land between the look and the drop.
    await tx.$executeRawUnsafe(`LOCK TABLE "RawEvent", ${table} IN ACCESS EXCLUSIVE MODE`);
    const [{ empty }] = await tx.$queryRawUnsafe<{ empty: boolean }[]>(`SELECT NOT EXISTS (SELECT FROM ${table}) AS empty`);
    if (empty) await tx.$executeRawUnsafe(`DROP TABLE ${table}`);
    return empty;
  });
}

export interface PartitionRun {
  /** Raw events deleted for their apps' retention. */
  deletedEvents: number;
  droppedMonths: Date[];
}

/**
 * The partition job: the months ingestion may write to exist, each app's raw events past its retention
 * are deleted (whole months), and months before ingestion's reach that hold nothing are dropped.
 * Idempotent: a second run finds everything done. Sessions are kept (their counts, business events,
 * flow outcomes and summaries were stored when they were finalised).
 */
export async function maintainPartitions(db: Db, now = new Date()): Promise<PartitionRun> {
  const needed = ingestionMonths(now);
  await ensurePartitions(db, needed);
  const months = await partitionMonths(db);
  const apps = await db.analyticsApp.findMany({ where: { retentionMonths: { not: null } }, select: { id: true, retentionMonths: true } });
  let deletedEvents = 0;
  for (const app of apps) {
    const cutoff = retentionCutoff(now, app.retentionMonths!);
    for (const month of months.filter((m) => monthStart(m, 1) <= cutoff)) deletedEvents += await emptyMonthOfApp(db, month, app.id);
  }
  const droppedMonths: Date[] = [];
  for (const month of months.filter((m) => m < needed[0])) if (await dropIfEmpty(db, month)) droppedMonths.push(month);
  return { deletedEvents, droppedMonths };
}
