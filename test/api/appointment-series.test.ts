// Recurring client sessions over HTTP: a series keeps its local wall time across a change of the
// clocks, ends at a date or a count, is edited one session or "this and all following" at a time,
// warns per date, and is made all or nothing, also when two are booked at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/client.js";
import { calendar, instant, isoDate, type Day } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;

const ZONE = "Europe/Berlin";
const cal = calendar(ZONE);
// Each test books in its own months (or, for the change of the clocks, at 10:00 only), so their
// sessions never overlap one another's.
const base = (months: number) => cal.firstMondayOf(months);
const weeks = (day: Day, n: number) => day.plus({ weeks: n });

beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  owner = (await newWorkspace(url, ZONE)).owner.token;
});
afterAll(() => stack?.stop());

const ERR = `... on ValidationError { code problems { path message } } ... on Error { code message }`;
const APPT = `id startsAt durationMinutes status recurring`;
const OCCURRENCES = `occurrences { date appointment { ${APPT} } warnings { kind message appointments { id } } }`;
const CREATE_SERIES = `mutation($i: NewAppointmentSeriesInput!) { createAppointmentSeries(input: $i) {
  ... on AppointmentSeriesPayload { series { id everyWeeks until count } ${OCCURRENCES} } ${ERR} } }`;
const UPDATE = `mutation($id: ID!, $i: AppointmentChangesInput!, $s: SeriesScope) { updateAppointment(input: { id: $id, changes: $i, scope: $s }) {
  ... on AppointmentPayload { appointment { ${APPT} } following { date appointment { ${APPT} } warnings { kind message } } } ${ERR} } }`;
const STATUS = `mutation($id: ID!, $st: AppointmentStatus!, $s: SeriesScope) { setAppointmentStatus(input: { id: $id, status: $st, scope: $s }) {
  ... on AppointmentPayload { appointment { ${APPT} } following { date } } ... on Error { code message } } }`;
const SERIES = `query($id: ID!) { node(id: $id) { ... on Appointment { series { everyWeeks occurrences { ${APPT} } } } } }`;
const COUNT = `query { appointments(from: "2000-01-01", to: "2100-01-01", first: 500) { ... on QueryAppointmentsConnection { nodes { id } } } }`;

const newClient = async (name: string) =>
  (await ok(url, `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id } } }`, { n: name }, { token: owner })).createClient.id as string;
const series = (input: object, repeat: object) => ok(url, CREATE_SERIES, { i: { ...input, repeat } }, { token: owner }).then((d) => d.createAppointmentSeries);
const update = (id: string, changes: object, scope?: string) => ok(url, UPDATE, { id, i: changes, s: scope }, { token: owner }).then((d) => d.updateAppointment);
const occurrencesOf = async (id: string) => (await ok(url, SERIES, { id }, { token: owner })).node.series.occurrences as { startsAt: string; durationMinutes: number; status: string }[];
const count = async () => (await ok(url, COUNT, {}, { token: owner })).appointments.nodes.length as number;
const problems = (r: { problems: { path: string[]; message: string }[] }) => r.problems.map((p) => `${p.path.join(".")}: ${p.message}`).sort();

describe("recurring sessions", () => {
  it("a weekly series of 6 across a change of the clocks stays at 10:00 local", async () => {
    const dst = [cal.nextDstSunday("start"), cal.nextDstSunday("end")].sort((a, b) => a.toMillis() - b.toMillis())[0];
    // Monday two weeks before the week of the change: occurrences 0-2 before it, 3-5 after.
    const first = dst.minus({ days: 6 }).minus({ weeks: 2 });
    const r = await series({ name: "Therapy", clientId: await newClient("Dora"), date: isoDate(first), time: "10:00" }, { everyWeeks: 1, count: 6 });
    expect(r.series).toMatchObject({ everyWeeks: 1, count: 6, until: null });
    const expected = [0, 1, 2, 3, 4, 5].map((i) => weeks(first, i));
    expect(r.occurrences.map((o: { date: string }) => o.date)).toEqual(expected.map(isoDate));
    expect(r.occurrences.map((o: { appointment: { startsAt: string } }) => o.appointment.startsAt)).toEqual(expected.map((d) => instant(d, "10:00")));
    // The same wall time is a different UTC hour on either side of the change.
    expect(new Date(r.occurrences[0].appointment.startsAt).getUTCHours()).not.toBe(new Date(r.occurrences[5].appointment.startsAt).getUTCHours());
    expect(r.occurrences.every((o: { appointment: { recurring: boolean } }) => o.appointment.recurring)).toBe(true);
  });

  it("every 2 weeks until a date includes that date and ends there", async () => {
    const first = base(3);
    const r = await series({ name: "Check-in", clientId: await newClient("Emil"), date: isoDate(first), time: "12:00" }, { everyWeeks: 2, until: isoDate(weeks(first, 4)) });
    expect(r.series).toMatchObject({ everyWeeks: 2, until: isoDate(weeks(first, 4)), count: null });
    expect(r.occurrences.map((o: { date: string }) => o.date)).toEqual([0, 2, 4].map((n) => isoDate(weeks(first, n))));
  });

  it("editing one session changes only it; it stays in the series", async () => {
    const first = base(5);
    const r = await series({ name: "Weekly", clientId: await newClient("Fritz"), date: isoDate(first), time: "12:00" }, { everyWeeks: 1, count: 4 });
    const second = r.occurrences[1].appointment.id;
    const moved = await update(second, { time: "15:00" }, "ONLY_THIS");
    expect(moved.appointment).toMatchObject({ startsAt: instant(weeks(first, 1), "15:00"), recurring: true });
    expect(moved.following).toEqual([]);
    expect((await occurrencesOf(second)).map((o) => o.startsAt)).toEqual([
      instant(first, "12:00"),
      instant(weeks(first, 1), "15:00"),
      instant(weeks(first, 2), "12:00"),
      instant(weeks(first, 3), "12:00"),
    ]);
  });

  it("editing this and all following changes the later scheduled sessions and leaves completed ones alone", async () => {
    const first = base(7);
    const r = await series({ name: "Weekly", clientId: await newClient("Greta"), date: isoDate(first), time: "12:00" }, { everyWeeks: 1, count: 5 });
    const id = (i: number) => r.occurrences[i].appointment.id;
    await ok(url, STATUS, { id: id(3), st: "COMPLETED" }, { token: owner });
    const moved = await update(id(1), { time: "14:00", durationMinutes: 45 }, "THIS_AND_FOLLOWING");
    expect(moved.following.map((o: { date: string }) => o.date)).toEqual([2, 4].map((n) => isoDate(weeks(first, n))));
    const after = await occurrencesOf(id(0));
    expect(after.map((o) => [o.startsAt, o.durationMinutes, o.status])).toEqual([
      [instant(first, "12:00"), 60, "SCHEDULED"],
      [instant(weeks(first, 1), "14:00"), 45, "SCHEDULED"],
      [instant(weeks(first, 2), "14:00"), 45, "SCHEDULED"],
      [instant(weeks(first, 3), "12:00"), 60, "COMPLETED"],
      [instant(weeks(first, 4), "14:00"), 45, "SCHEDULED"],
    ]);
  });

  it("cancels one session, or this and all following; cancelled sessions stay", async () => {
    const first = base(9);
    const r = await series({ name: "Weekly", clientId: await newClient("Hanna"), date: isoDate(first), time: "12:00" }, { everyWeeks: 1, count: 5 });
    const id = (i: number) => r.occurrences[i].appointment.id;
    const one = (await ok(url, STATUS, { id: id(1), st: "CANCELLED", s: "ONLY_THIS" }, { token: owner })).setAppointmentStatus;
    expect(one.following).toEqual([]);
    const rest = (await ok(url, STATUS, { id: id(3), st: "CANCELLED", s: "THIS_AND_FOLLOWING" }, { token: owner })).setAppointmentStatus;
    expect(rest.following.map((o: { date: string }) => o.date)).toEqual([isoDate(weeks(first, 4))]);
    expect((await occurrencesOf(id(0))).map((o) => o.status)).toEqual(["SCHEDULED", "CANCELLED", "SCHEDULED", "CANCELLED", "CANCELLED"]);
  });

  it("warns per date: the overlap names the clashing session on its own date only", async () => {
    const first = base(11);
    const client = await newClient("Ida");
    const clash = await ok(
      url,
      `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } } }`,
      { i: { name: "Single", clientId: client, date: isoDate(weeks(first, 2)), time: "12:30" } },
      { token: owner },
    );
    const r = await series({ name: "Weekly", clientId: client, date: isoDate(first), time: "12:00" }, { everyWeeks: 1, count: 4 });
    const overlapping = r.occurrences.filter((o: { warnings: { kind: string }[] }) => o.warnings.some((w) => w.kind === "OVERLAP"));
    expect(overlapping.map((o: { date: string }) => o.date)).toEqual([isoDate(weeks(first, 2))]);
    const warning = overlapping[0].warnings.find((w: { kind: string }) => w.kind === "OVERLAP");
    expect(warning.message).toContain('"Single"');
    expect(warning.appointments).toEqual([{ id: clash.createAppointment.appointment.id }]);
  });

  it("moving this and all following warns on the dates that now clash", async () => {
    const first = base(17);
    const client = await newClient("Jonas");
    await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename } }`, { i: { name: "Single", clientId: client, date: isoDate(weeks(first, 2)), time: "15:30" } }, { token: owner });
    const r = await series({ name: "Weekly", clientId: client, date: isoDate(first), time: "12:00" }, { everyWeeks: 1, count: 3 });
    expect(r.occurrences.some((o: { warnings: { kind: string }[] }) => o.warnings.some((w) => w.kind === "OVERLAP"))).toBe(false);
    const moved = await update(r.occurrences[0].appointment.id, { time: "15:00" }, "THIS_AND_FOLLOWING");
    const clashing = moved.following.filter((o: { warnings: { kind: string }[] }) => o.warnings.some((w) => w.kind === "OVERLAP"));
    expect(clashing.map((o: { date: string }) => o.date)).toEqual([isoDate(weeks(first, 2))]);
  });

  it("rejects bad input naming each field and creates nothing", async () => {
    const before = await count();
    const day = isoDate(base(13));
    const bad = await series({ name: "x", clientId: "", date: day, time: "12:00" }, { everyWeeks: 9, count: 60 });
    expect(bad.code).toBe("VALIDATION");
    expect(problems(bad)).toEqual(["clientId: Choose a client", "repeat.count: Between 1 and 52 sessions", "repeat.everyWeeks: Every 1 to 8 weeks"]);
    const client = await newClient("Jan");
    const neither = await series({ name: "x", clientId: client, date: day, time: "12:00" }, { everyWeeks: 1 });
    expect(problems(neither)).toEqual(["repeat.until: Give either an end date or a number of sessions"]);
    const early = await series({ name: "x", clientId: client, date: day, time: "12:00" }, { everyWeeks: 1, until: isoDate(base(13).minus({ days: 1 })) });
    expect(problems(early)).toEqual(["repeat.until: Must not be before the first session"]);
    const long = await series({ name: "x", clientId: client, date: day, time: "12:00" }, { everyWeeks: 1, until: isoDate(weeks(base(13), 60)) });
    expect(problems(long)).toEqual(["repeat.until: At most 52 sessions; choose an earlier end date"]);
    expect(await count()).toBe(before);
  });

  it("staff who see only their own sessions change, and get back, only their own of 'this and all following'", async () => {
    const ws = await newWorkspace(url, ZONE);
    const as = (token: string) => ({ token });
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_READ, SESSION_CREATE, SESSION_UPDATE] }) { __typename } }`, {}, as(ws.owner.token));
    const client = (await ok(url, `mutation { createClient(input: { name: "Ines" }) { ... on Client { id } } }`, {}, as(ws.owner.token))).createClient.id;
    const first = base(19);
    const made = await ok(url, CREATE_SERIES, { i: { name: "Weekly", clientId: client, staffId: ws.staff.id, date: isoDate(first), time: "10:00", repeat: { everyWeeks: 1, count: 4 } } }, as(ws.owner.token));
    const ids = made.createAppointmentSeries.occurrences.map((o: { appointment: { id: string } }) => o.appointment.id) as string[];
    // The last two now belong to a colleague, with notes of theirs.
    const handedOver = await ok(url, UPDATE, { id: ids[2], i: { staffId: ws.employee2.id, adminNotes: "Emma's notes" }, s: "THIS_AND_FOLLOWING" }, as(ws.owner.token));
    expect(handedOver.updateAppointment.following).toHaveLength(1);

    const renamed = (await ok(url, `mutation($id: ID!) { updateAppointment(input: { id: $id, changes: { name: "Renamed" }, scope: THIS_AND_FOLLOWING }) {
      ... on AppointmentPayload { appointment { id } following { appointment { id name adminNotes } } } ${ERR} } }`, { id: ids[0] }, as(ws.staff.token))).updateAppointment;
    expect(renamed.following.map((f: { appointment: { id: string } }) => f.appointment.id)).toEqual([ids[1]]);
    const names = await Promise.all(ids.map(async (id) => (await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { name } } }`, { id }, as(ws.owner.token))).node.name));
    expect(names).toEqual(["Renamed", "Renamed", "Weekly", "Weekly"]);
    // Cancelling this and all following: the same.
    const cancelled = (await ok(url, STATUS, { id: ids[1], st: "CANCELLED", s: "THIS_AND_FOLLOWING" }, as(ws.staff.token))).setAppointmentStatus;
    expect(cancelled.following).toEqual([]);
    const statuses = await Promise.all(ids.map(async (id) => (await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { status } } }`, { id }, as(ws.owner.token))).node.status));
    expect(statuses).toEqual(["SCHEDULED", "CANCELLED", "SCHEDULED", "SCHEDULED"]);
  });

  it("two clashing series booked at once are both saved, and the later one warns on every date", async () => {
    const first = base(15);
    const [a, b] = [await newClient("Kai"), await newClient("Lena")];
    const results = await Promise.all(
      [a, b].map((clientId) => series({ name: "Weekly", clientId, date: isoDate(first), time: "12:00" }, { everyWeeks: 1, count: 6 })),
    );
    const warned = results.map((r) => r.occurrences.filter((o: { warnings: { kind: string }[] }) => o.warnings.some((w) => w.kind === "OVERLAP")).length);
    expect(warned.sort()).toEqual([0, 6]);
  });
});
