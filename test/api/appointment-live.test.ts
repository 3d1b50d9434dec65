import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, subscribe, tokenFor, wsClient } from "../support/client.js";
import { calendar, instant, isoDate } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let lisa: string;
let tom: string;
let emma: string;
let client: string;
let samEmail: string;
// Sessions are booked on the Monday two weeks ahead, at local (Berlin) times.
const W = calendar("Europe/Berlin").monday(2);

beforeAll(async () => {
  stack = await startStack({ worker: true });
  url = stack.urls[0];
  const ws = await newWorkspace(url, "Europe/Berlin");
  [owner, lisa, tom, emma] = [ws.owner, ws.manager, ws.employee, ws.employee2].map((m) => m.token);
  samEmail = ws.staff.email;
  client = (await ok(url, `mutation { createClient(input: { name: "Live Client" }) { ... on Client { id } } }`, {}, { token: owner })).createClient.id;
});
afterAll(() => stack?.stop());

const CREATE = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } ... on Error { code message } } }`;
const CHANGES = `subscription { appointmentChanged { appointmentId change appointment { name startsAt status } } }`;
const STATUS = `subscription { sessionStatusChanged { sessionId kind status previousStatus } }`;
const BOARD = `subscription { liveBoard { sessions { id kind title state ticking } } }`;

type Change = { appointmentChanged: { appointmentId: string; change: string; appointment: { name: string; startsAt: string; status: string } | null } };
type Status = { sessionStatusChanged: { sessionId: string; kind: string; status: string; previousStatus: string | null } };
type Board = { liveBoard: { sessions: { id: string; kind: string; title: string; state: string }[] } };

/** A session of the person behind `token`; employees don't book, so the owner books it for them. */
const create = async (token: string, input: object) => {
  const staffId = (await ok(url, `{ viewer { user { id } } }`, {}, { token })).viewer.user.id;
  return (await ok(url, CREATE, { i: { clientId: client, staffId, ...input } }, { token: owner })).createAppointment.appointment.id as string;
};
const setStatus = (id: string, status: string) => ok(url, `mutation($id: ID!, $s: AppointmentStatus!) { setAppointmentStatus(input: { id: $id, status: $s }) { __typename } }`, { id, s: status }, { token: lisa });

describe("live client sessions", () => {
  it("pushes created, moved and deleted sessions to open calendars, each viewer only what they may see", async () => {
    const lisaWs = wsClient(url, { token: lisa });
    const emmaWs = wsClient(url, { token: emma });
    const all = subscribe<Change>(lisaWs, CHANGES);
    const own = subscribe<Change>(emmaWs, CHANGES);
    await new Promise((r) => setTimeout(r, 300));

    const id = await create(tom, { name: "Tom's session", date: isoDate(W), time: "10:00" });
    const created = await all.next((v) => v.appointmentChanged.appointmentId === id);
    expect(created.appointmentChanged).toMatchObject({ change: "CREATED", appointment: { name: "Tom's session", startsAt: instant(W, "10:00") } });
    await ok(url, `mutation($id: ID!) { updateAppointment(input: { id: $id, changes: { time: "12:00" } }) { __typename } }`, { id }, { token: lisa });
    const moved = await all.next((v) => v.appointmentChanged.appointmentId === id);
    expect(moved.appointmentChanged).toMatchObject({ change: "UPDATED", appointment: { startsAt: instant(W, "12:00") } });

    const emmas = await create(emma, { name: "Emma's session", date: isoDate(W) });
    expect((await own.next()).appointmentChanged.appointmentId).toBe(emmas);
    // Reassigned to Tom: Emma's calendar hears of it once more, and now may not see it.
    const tomId = (await ok(url, `{ viewer { user { id } } }`, {}, { token: tom })).viewer.user.id;
    await ok(url, `mutation($id: ID!, $s: ID!) { updateAppointment(input: { id: $id, changes: { staffId: $s } }) { __typename } }`, { id: emmas, s: tomId }, { token: lisa });
    expect((await own.next()).appointmentChanged).toEqual({ appointmentId: emmas, change: "UPDATED", appointment: null });
    await ok(url, `mutation($id: ID!) { deleteAppointment(input: { id: $id }) { __typename } }`, { id }, { token: lisa });
    expect((await all.next((v) => v.appointmentChanged.change === "DELETED")).appointmentChanged).toEqual({ appointmentId: id, change: "DELETED", appointment: null });
    // Emma never heard of Tom's session.
    expect(own.values.map((v) => v.appointmentChanged.appointmentId)).toEqual([emmas, emmas]);
    await Promise.all([lisaWs.dispose(), emmaWs.dispose()]);
  });

  it("staff without session.read can't subscribe", async () => {
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_CREATE] }) { __typename } }`, {}, { token: owner });
    const sam = await tokenFor(url, samEmail);
    const ws = wsClient(url, { token: sam });
    const changes = subscribe(ws, CHANGES);
    const statuses = subscribe(ws, STATUS);
    await create(sam, { name: "Sam's", date: isoDate(W.plus({ days: 1 })) });
    await new Promise((r) => setTimeout(r, 1000));
    expect(JSON.stringify(changes.errors)).toContain("FORBIDDEN");
    expect(JSON.stringify(statuses.errors)).toContain("FORBIDDEN");
    expect([...changes.values, ...statuses.values].filter(Boolean)).toEqual([]);
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, { token: owner });
    await ws.dispose();
  });

  it("status changes are pushed and sessions in progress show on the Live board", async () => {
    const ws = wsClient(url, { token: lisa });
    const statuses = subscribe<Status>(ws, STATUS);
    const board = subscribe<Board>(ws, BOARD);
    await board.next();
    const id = await create(tom, { name: "Treatment", date: isoDate(W.plus({ days: 2 })) });
    await setStatus(id, "IN_PROGRESS");
    expect((await statuses.next((s) => s.sessionStatusChanged.sessionId === id && s.sessionStatusChanged.status === "IN_PROGRESS")).sessionStatusChanged).toMatchObject({
      kind: "APPOINTMENT",
      previousStatus: "SCHEDULED",
    });
    const shown = await board.next((b) => b.liveBoard.sessions.some((s) => s.id === id));
    expect(shown.liveBoard.sessions.find((s) => s.id === id)).toMatchObject({ kind: "APPOINTMENT", title: "Treatment (Live Client)", state: "IN_PROGRESS" });
    await setStatus(id, "COMPLETED");
    await statuses.next((s) => s.sessionStatusChanged.sessionId === id && s.sessionStatusChanged.status === "COMPLETED");
    await board.next((b) => !b.liveBoard.sessions.some((s) => s.id === id));
    await ws.dispose();
  });

  it("with auto-status on, scheduled jobs start and complete sessions at their times, pushed live", async () => {
    await ok(url, `mutation { updateAppointmentSettings(input: { autoStatus: true }) { __typename } }`, {}, { token: owner });
    const ws = wsClient(url, { token: lisa });
    const statuses = subscribe<Status>(ws, STATUS);
    await new Promise((r) => setTimeout(r, 300));
    // Started 57 seconds ago, lasting a minute: in progress now, completed in about 3 seconds.
    const startsAt = new Date(Date.now() - 57_000).toISOString();
    const id = await create(tom, { name: "Auto", startsAt, durationMinutes: 1 });
    const byId = (status: string) => (s: Status) => s.sessionStatusChanged.sessionId === id && s.sessionStatusChanged.status === status;
    await statuses.next(byId("IN_PROGRESS"), 10_000);
    await statuses.next(byId("COMPLETED"), 15_000);
    const node = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { status } } }`, { id }, { token: lisa });
    expect(node.node.status).toBe("COMPLETED");

    // A session cancelled before its start is left alone by its jobs.
    const later = await create(tom, { name: "Cancelled", startsAt: new Date(Date.now() + 2000).toISOString(), durationMinutes: 30 });
    await setStatus(later, "CANCELLED");
    await new Promise((r) => setTimeout(r, 4000));
    expect((await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { status } } }`, { id: later }, { token: lisa })).node.status).toBe("CANCELLED");
    await ok(url, `mutation { updateAppointmentSettings(input: { autoStatus: false }) { __typename } }`, {}, { token: owner });
    await ws.dispose();
  });
});
