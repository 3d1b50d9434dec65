// The demo workspace a first start shows: seeded for a fixed moment into a database of its own (by
// two seeders at once, as two processes starting together would), then read through the API as the
// demo's people, kind by kind. Every expected number follows from that moment's calendar.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPubSub } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedDemo } from "../../prisma/seed.js";
import type { Services } from "../../schema/common/context.js";
import { parseScreenshotQuota } from "../../schema/work/screenshots.js";
import { ok, tokenFor } from "../support/client.js";
import { freshDatabase } from "../support/database.js";
import { startProcess, type Proc } from "../support/process.js";

/** A Thursday mid-morning in Berlin: two weeks before it start on Monday 23 February. */
const REFERENCE = new Date("2026-03-12T11:15:00+01:00");
/** Working days from the Monday of the week before last up to the day before REFERENCE. */
const PAST_WORKING_DAYS = 13;
/** Working days in the seven days after REFERENCE (Friday, then Monday to Thursday). */
const NEXT_WORKING_DAYS = 5;
const minutesBefore = (minutes: number) => new Date(REFERENCE.getTime() - minutes * 60_000).toISOString();

// The API process opens the test's database over TCP: PostgreSQL, not the in-memory embedded one.
describe.skipIf(!inject("databaseUrl"))("demo workspace", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let dataDir: string;
  let api: Proc;
  let url: string;
  const enqueued: { name: string; payload: unknown }[] = [];
  const seeded: boolean[] = [];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), "sessions-demo-"));
    // Jobs are only recorded: nothing may close the open session before the API is asked about it.
    const jobs = { enqueue: async (name: string, payload: unknown) => void enqueued.push({ name, payload }), failed: async () => [] };
    const services = { db: database.db, pubsub: createPubSub(), jobs } as unknown as Services;
    seeded.push(...(await Promise.all([1, 2].map(() => seedDemo(services, { screenshots: { dataDir, quota: parseScreenshotQuota(undefined) }, now: REFERENCE })))));
    api = await startProcess("server/main.ts", { DATABASE_URL: database.url, SEED_DEMO: "false", DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1" }, /ready on (http:\/\/\S+) /);
    url = api.url.replace("localhost", "127.0.0.1");
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await database?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Asks as a demo member (signed in once, then by personal token). */
  async function as<T = any>(email: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    if (!tokens.has(email)) tokens.set(email, await tokenFor(url, email));
    return ok<T>(url, query, variables, { token: tokens.get(email)! });
  }

  it("is seeded once when two seeders start at the same moment", async () => {
    expect([...seeded].sort()).toEqual([false, true]);
    expect(await database.db.workspace.count()).toBe(1);
  });

  it("holds two weeks of work sessions with apps, URLs, AFK reasons and screenshots, and one open", async () => {
    const WORK = `{ workSessions(from: "2026-02-23", to: "2026-03-12", first: 100) { nodes {
      employee { email } startedAt endedAt endReason netSeconds apps { name } urls { name }
      afkPeriods { reason } screenshots { mime url } } } }`;
    const all = (await as("lisa@demo.test", WORK)).workSessions.nodes;
    const byEmployee = (email: string) => all.filter((s: { employee: { email: string } }) => s.employee.email === email);
    expect(byEmployee("tom@demo.test")).toHaveLength(PAST_WORKING_DAYS + 1);
    expect(byEmployee("emma@demo.test")).toHaveLength(PAST_WORKING_DAYS);
    expect(all).toHaveLength(2 * PAST_WORKING_DAYS + 1);

    const open = all.filter((s: { endedAt: string | null }) => !s.endedAt);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ employee: { email: "tom@demo.test" }, startedAt: minutesBefore(115), endReason: null });
    expect(open[0].afkPeriods).toEqual([{ reason: null }]); // the AFK dialog has something to ask
    const autoClose = enqueued.filter((j) => j.name === "work.autoClose");
    expect(autoClose).toHaveLength(1); // it closes by itself after the inactivity timeout, like any other

    const closed = all.filter((s: { endedAt: string | null }) => s.endedAt);
    expect(new Set(closed.map((s: { endReason: string }) => s.endReason))).toEqual(new Set(["APP_CLOSED", "INACTIVITY"]));
    for (const s of closed) {
      expect(s.netSeconds).toBeGreaterThan(5 * 3600);
      expect(s.apps.length).toBeGreaterThanOrEqual(4);
      expect(s.urls.length).toBeGreaterThanOrEqual(2);
      expect(s.afkPeriods.map((a: { reason: string }) => a.reason)).not.toContain(null);
    }
    const reasons = new Set(closed.flatMap((s: { afkPeriods: { reason: string }[] }) => s.afkPeriods.map((a) => a.reason)));
    expect(reasons).toEqual(new Set(["BREAK", "LUNCH", "MEETING", "CALL", "WORK"]));

    // Two screenshots a day on the last two days for each employee, and one in the open session.
    const shots = all.flatMap((s: { screenshots: { mime: string; url: string }[] }) => s.screenshots);
    expect(shots).toHaveLength(2 * 4 + 1);
    const image = await fetch(new URL(open[0].screenshots[0].url, url), { headers: { authorization: `Bearer ${tokens.get("lisa@demo.test")}` } });
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");

    // An employee sees only their own.
    expect((await as("tom@demo.test", WORK)).workSessions.nodes).toHaveLength(PAST_WORKING_DAYS + 1);
  });

  it("holds agent sessions made of beats, one still running, and their time entries", async () => {
    // Everyone sees their own agent sessions.
    const AGENT = `{ agentSessions(first: 100) { nodes { project { name } endedAt billableSeconds beats { kind endedAt } timeEntry { durationSeconds } } } }`;
    const mine = (await as("lisa@demo.test", AGENT)).agentSessions.nodes;
    const owners = (await as("owner@demo.test", AGENT)).agentSessions.nodes;
    expect(mine).toHaveLength(PAST_WORKING_DAYS + 1);
    expect(owners).toHaveLength(Math.ceil(PAST_WORKING_DAYS / 2));

    const running = [...mine, ...owners].filter((s: { endedAt: string | null }) => !s.endedAt);
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ project: { name: "Acme Website" }, timeEntry: null });
    expect(running[0].beats).toEqual([{ kind: "ACTIVE", endedAt: minutesBefore(30) }, { kind: "AGENT", endedAt: null }]);

    // Acme Website bills agent time (80 active + 30 agent minutes); the app does not (45 active).
    for (const s of mine.filter((s: { endedAt: string | null }) => s.endedAt))
      expect(s).toMatchObject({ project: { name: "Acme Website" }, billableSeconds: 6600, timeEntry: { durationSeconds: 6600 } });
    for (const s of owners) expect(s).toMatchObject({ project: { name: "Acme Mobile App" }, billableSeconds: 2700, timeEntry: { durationSeconds: 2700 } });
    expect(owners[0].beats.map((b: { kind: string }) => b.kind)).toEqual(["ACTIVE", "AGENT", "ACTIVE"]);

    // Time entries: one per ended session, and the owner's calls logged by hand; the first two weeks billed.
    const ENTRIES = `{ timeEntries(first: 100) { nodes { source billed startedAt } } }`;
    const sources = (entries: { source: string }[]) => entries.map((e) => e.source).sort();
    const lisas = (await as("lisa@demo.test", ENTRIES)).timeEntries.nodes;
    const ownersEntries = (await as("owner@demo.test", ENTRIES)).timeEntries.nodes;
    expect(sources(lisas)).toEqual(Array(PAST_WORKING_DAYS).fill("session"));
    const calls = Math.ceil(PAST_WORKING_DAYS / 3);
    expect(sources(ownersEntries)).toEqual([...Array(calls).fill("manual"), ...Array(owners.length).fill("session")]);
    const thisWeek = new Date("2026-03-09T00:00:00+01:00");
    for (const e of [...lisas, ...ownersEntries]) expect(e.billed).toBe(new Date(e.startedAt) < thisWeek);
  });

  it("holds an issued invoice for the week before last and a draft for last week, numbered in turn", async () => {
    const invoices = (await as("owner@demo.test", `{ invoices(first: 10) { nodes { number status periodStart periodEnd totalCents issuedAt client { name } lines { description } } } }`)).invoices.nodes;
    const byNumber = [...invoices].sort((a, b) => a.number - b.number);
    // Week one: 5 website sessions of 6600 s, 2 calls of 1800 s, 3 app sessions of 2700 s at 90.00 an hour.
    expect(byNumber[0]).toMatchObject({ number: 1, status: "ISSUED", periodStart: "2026-02-23", periodEnd: "2026-03-01", totalCents: "111750", issuedAt: REFERENCE.toISOString(), client: { name: "Acme Corp" } });
    expect(byNumber[0].lines).toHaveLength(10);
    expect(byNumber[1]).toMatchObject({ number: 2, status: "DRAFT", periodStart: "2026-03-02", periodEnd: "2026-03-08", totalCents: "105000", issuedAt: null });
    expect(byNumber).toHaveLength(2);
  });

  it("holds past appointments with field values of every phase and evaluations, and the week ahead booked", async () => {
    const QUERY = `{ appointments(from: "2026-02-23", to: "2026-03-19", first: 100) { ... on QueryAppointmentsConnection { nodes {
      startsAt status fieldValues staff { email } evaluations { title fieldValues } } } } }`;
    const all = (await as("owner@demo.test", QUERY)).appointments.nodes;
    const past = all.filter((a: { startsAt: string }) => new Date(a.startsAt) < REFERENCE);
    const upcoming = all.filter((a: { startsAt: string }) => new Date(a.startsAt) > REFERENCE);
    expect(past).toHaveLength(2 * PAST_WORKING_DAYS);
    expect(upcoming).toHaveLength(NEXT_WORKING_DAYS);

    const completed = past.filter((a: { status: string }) => a.status === "COMPLETED");
    expect(past.filter((a: { status: string }) => a.status === "CANCELLED")).toHaveLength(5);
    expect(completed).toHaveLength(2 * PAST_WORKING_DAYS - 5);
    for (const a of completed) expect(Object.keys(a.fieldValues).sort()).toEqual(["bodyArea", "painLevel", "result", "treatmentNotes", "visitReason"]);
    for (const a of upcoming) expect(a).toMatchObject({ status: "SCHEDULED", evaluations: [] });
    for (const a of upcoming) expect(Object.keys(a.fieldValues).sort()).toEqual(["bodyArea", "painLevel", "visitReason"]);

    const evaluations = completed.flatMap((a: { evaluations: unknown[] }) => a.evaluations);
    expect(evaluations).toHaveLength(8);
    for (const e of evaluations) expect(e).toMatchObject({ title: "Mobility check", fieldValues: { mobility: expect.any(Number) } });

    // The staff member runs every other one, the owner the rest.
    const sams = all.filter((a: { staff: { email: string } }) => a.staff.email === "sam@demo.test");
    expect(sams).toHaveLength(Math.ceil(all.length / 2));
    expect((await as("sam@demo.test", QUERY)).appointments.nodes).toHaveLength(all.length);
  });

  it("holds two weeks of analytics sessions, a crawler among them and onboardings dropped", async () => {
    const sessions = (await as("owner@demo.test", `{ userSessions(first: 100) { nodes { startedAt isBot userId flowOutcomes { outcome lastStep } } } }`)).userSessions.nodes;
    expect(sessions).toHaveLength(14 * 3 + 4);
    const first = new Date("2026-02-26T00:00:00+01:00");
    for (const s of sessions) expect(new Date(s.startedAt) >= first && new Date(s.startedAt) < REFERENCE).toBe(true);
    expect(sessions.filter((s: { isBot: boolean }) => s.isBot)).toHaveLength(4);
    const outcomes = sessions.flatMap((s: { flowOutcomes: { outcome: string; lastStep: string }[] }) => s.flowOutcomes);
    const dropped = outcomes.filter((o: { outcome: string }) => o.outcome === "DROPPED_OFF");
    expect(dropped).toHaveLength(9);
    expect(dropped[0].lastStep).toBe("Created Project");
    expect(outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(expect.arrayContaining(["COMPLETED", "MISTAKES"]));
  });
});
