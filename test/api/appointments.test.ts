import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DateTime } from "luxon";
import pg from "pg";
import { gql, ok, rowId, signIn, tokenFor } from "../support/client.js";
import { calendar, instant, isoDate, withOffset, type Day } from "../support/dates.js";
import { startStack, type Stack } from "../support/stack.js";
import { until } from "../support/until.js";
import { queuedBehind } from "../support/queued.js";
import { newWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let owner: string;
let lisa: string;
let tom: string;
let sam: string;
let emma: string;
let samEmail: string;
let ids: { tom: string; emma: string; sam: string; owner: string };
let anna: string;
let ben: string;

const ZONE = "Europe/Berlin";
const cal = calendar(ZONE);
// Bookings go in the week two weeks ahead (W); the calendar tests in the month after next (M, its
// first Monday), where nothing else of this file lands; invoices two months back (P).
const W = cal.monday(2);
const M = cal.firstMondayOf(2);
const P = cal.firstMondayOf(-2);
const date = (base: Day, offset = 0) => isoDate(base.plus({ days: offset }));
/** A local wall time in Berlin as an instant (what the API prints). */
const at = (base: Day, offset: number, hhmm: string) => instant(base.plus({ days: offset }), hhmm);
/** A local wall time in Berlin with its offset (what a client sends). */
const local = (base: Day, offset: number, hhmm: string) => withOffset(base.plus({ days: offset }), hhmm);

beforeAll(async () => {
  stack = await startStack();
  url = stack.urls[0];
  const ws = await newWorkspace(url, ZONE);
  [owner, lisa, tom, sam, emma] = [ws.owner, ws.manager, ws.employee, ws.staff, ws.employee2].map((m) => m.token);
  ids = { tom: ws.employee.id, emma: ws.employee2.id, sam: ws.staff.id, owner: ws.owner.id };
  samEmail = ws.staff.email;
  anna = (await ok(url, CREATE_CLIENT, { n: "Anna Berg" }, { token: owner })).createClient.id;
  ben = (await ok(url, CREATE_CLIENT, { n: "Ben Carter" }, { token: sam })).createClient.id;
});
afterAll(() => stack?.stop());

const CREATE_CLIENT = `mutation($n: String!) { createClient(input: { name: $n }) { ... on Client { id name } ... on Error { code message } } }`;
const ERR = `... on ValidationError { code problems { path message } } ... on Error { code message }`;
const PAYLOAD = `... on AppointmentPayload { appointment { id name startsAt endsAt durationMinutes status fieldValues sequence client { name } staff { name } } warnings { kind message appointments { id name } } } ${ERR}`;
const CREATE = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ${PAYLOAD} } }`;
const UPDATE = `mutation($id: ID!, $i: AppointmentChangesInput!) { updateAppointment(input: { id: $id, changes: $i }) { ${PAYLOAD} } }`;
const PLAIN_ERR = `... on Error { code message }`;
const STATUS = `mutation($id: ID!, $s: AppointmentStatus!) { setAppointmentStatus(input: { id: $id, status: $s }) { ... on AppointmentPayload { appointment { id status sequence } } ${PLAIN_ERR} } }`;
const SAVE_FIELDS = `mutation($id: ID!, $p: FieldTarget!, $f: JSON!) { saveAppointmentFields(input: { id: $id, phase: $p, fields: $f }) { ... on Appointment { id fieldValues } ${ERR} } }`;
const NEW_FIELD = `mutation($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: $t, key: $k, type: $ty, definition: $i }) { ... on FieldDefinition { id key position archivedAt } ${ERR} } }`;
const CALENDAR = `query($v: CalendarView!, $d: LocalDate!, $f: AppointmentFilter) { appointmentCalendar(view: $v, date: $d, filter: $f) { ... on AppointmentCalendar { from to timeZone slotMinutes truncated appointments { id name startsAt } } ${ERR} } }`;
const COUNT = `query { appointments(from: "2000-01-01", to: "2100-01-01", first: 100) { ... on QueryAppointmentsConnection { nodes { id } } } }`;

const create = (input: object, token = owner) => ok(url, CREATE, { i: input }, { token }).then((d) => d.createAppointment);
const field = (target: string, key: string, type: string, input: object, token = owner) =>
  ok(url, NEW_FIELD, { t: target, k: key, ty: type, i: { label: key, ...input } }, { token }).then((d) => d.createFieldDefinition);
const problems = (r: { problems: { path: string[]; message: string }[] }) => r.problems.map((p) => `${p.path.join(".")}: ${p.message}`).sort();
const count = async (token = owner) => (await ok(url, COUNT, {}, { token })).appointments.nodes.length;

describe("custom field definitions", () => {
  it("are managed per phase by holders of the permission, reordered, archived and restored", async () => {
    const reason = await field("PRE_SESSION", "reason", "TEXT", { required: true, validation: { maxLength: 50 } });
    await field("PRE_SESSION", "vitals", "ARRAY", {
      fields: [{ key: "item", label: "Reading", type: "object", fields: [{ key: "pulse", label: "Pulse", type: "number", required: true }] }],
    });
    const mood = await field("PRE_SESSION", "mood", "SELECT", { validation: { options: ["good", "bad"] }, filterable: true });
    expect(mood.position - reason.position).toBe(2);
    await field("DURING_SESSION", "observations", "TEXTAREA", {});
    await field("POST_SESSION", "outcome", "SELECT", { required: true, validation: { options: ["improved", "same"] } });
    await field("EVALUATION", "score", "NUMBER", { required: true, validation: { min: 0, max: 100 } });

    // Staff may not change forms; a key is used once across the session phases.
    expect((await field("PRE_SESSION", "x", "TEXT", {}, sam)).code).toBe("FORBIDDEN");
    expect((await field("EVALUATION", "x", "TEXT", {}, lisa)).code).toBe("FORBIDDEN");
    expect((await field("POST_SESSION", "reason", "TEXT", {})).code).toBe("CONFLICT");
    const bad = await field("PRE_SESSION", "Bad Key", "SELECT", { validation: { options: [] }, filterable: false });
    expect(problems(bad)).toEqual(["input.definition.validation.options: List at least one non-empty option", "input.key: Start with a lowercase letter; letters, digits and _ only (at most 63)"]);

    const mine = (list: { key: string }[]) => list.map((d) => d.key);
    const all = (await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { id key } }`, {}, { token: sam })).fieldDefinitions as { id: string; key: string }[];
    expect(mine(all)).toEqual(["reason", "vitals", "mood"]);
    const moodFirst = [...all.filter((d) => d.key === "mood"), ...all.filter((d) => d.key !== "mood")];
    const reordered = await ok(url, `mutation($ids: [ID!]!) { reorderFieldDefinitions(input: { target: PRE_SESSION, ids: $ids }) { ... on MutationReorderFieldDefinitionsSuccess { data { key position } } ${ERR} } }`, {
      ids: moodFirst.map((d) => d.id),
    }, { token: owner });
    expect(mine(reordered.reorderFieldDefinitions.data)).toEqual(["mood", "reason", "vitals"]);
    const defs = all.filter((d) => d.key === "reason");
    const partial = await ok(url, `mutation($ids: [ID!]!) { reorderFieldDefinitions(input: { target: PRE_SESSION, ids: $ids }) { ... on MutationReorderFieldDefinitionsSuccess { data { key } } ${ERR} } }`, { ids: [defs[0].id] }, { token: owner });
    expect(problems(partial.reorderFieldDefinitions)).toEqual(["ids: List every field of this target exactly once"]);
  });

  it("fields added at the same moment each take the next position", async () => {
    const added = await Promise.all(["note_a", "note_b", "note_c", "note_d"].map((key) => field("DURING_SESSION", key, "TEXT", {})));
    const positions = added.map((f) => f.position as number).sort((a, b) => a - b);
    expect(positions).toEqual([0, 1, 2, 3].map((i) => positions[0] + i));
  });

  it("the same key added twice at the same moment makes one field", async () => {
    const results = await Promise.all([1, 2, 3].map(() => field("POST_SESSION", "homework", "TEXTAREA", {})));
    expect(results.filter((r) => r.key === "homework")).toHaveLength(1);
    expect(results.filter((r) => r.code === "CONFLICT")).toHaveLength(2);
  });
});

describe("sessions", () => {
  it("saves with pre-session values and defaults; during and post only on the saved session, each on its own", async () => {
    const before = await count();
    const r = await create({ name: "Intake", clientId: anna, date: date(W), fields: { reason: "back pain", vitals: [{ pulse: 64 }], mood: "good" } });
    expect(r.warnings).toEqual([]);
    // Defaults: 60 minutes, scheduled, 09:00 in Berlin; staff is the creator.
    expect(r.appointment).toMatchObject({ name: "Intake", startsAt: at(W, 0, "09:00"), durationMinutes: 60, status: "SCHEDULED", staff: { name: "Owen Owner" } });
    expect(r.appointment.fieldValues).toEqual({ reason: "back pain", vitals: [{ pulse: 64 }], mood: "good" });
    expect(await count()).toBe(before + 1);
    const id = r.appointment.id;

    // During and post values at creation are unknown fields of the pre-session phase.
    const early = await create({ name: "x", clientId: anna, date: date(W), fields: { reason: "ok", outcome: "same" } });
    expect(problems(early)).toEqual(["fields.outcome: Unknown field"]);

    const during = await ok(url, SAVE_FIELDS, { id, p: "DURING_SESSION", f: { observations: "limited rotation" } }, { token: sam });
    expect(during.saveAppointmentFields.fieldValues).toMatchObject({ reason: "back pain", observations: "limited rotation" });
    const missing = await ok(url, SAVE_FIELDS, { id, p: "POST_SESSION", f: { homework: 3 } }, { token: owner });
    expect(problems(missing.saveAppointmentFields)).toEqual(["fields.homework: Must be text", "fields.outcome: Required"]);

    // Two phases saved at the same moment both stay.
    await Promise.all([
      ok(url, SAVE_FIELDS, { id, p: "POST_SESSION", f: { outcome: "improved", homework: "stretch" } }, { token: owner }),
      ok(url, SAVE_FIELDS, { id, p: "PRE_SESSION", f: { reason: "neck pain", vitals: [{ pulse: 70 }] } }, { token: lisa }),
    ]);
    const node = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { fieldValues sequence values(phase: POST_SESSION) { field { key } value readOnly } } } }`, { id }, { token: owner });
    expect(node.node.fieldValues).toEqual({ reason: "neck pain", vitals: [{ pulse: 70 }], observations: "limited rotation", outcome: "improved", homework: "stretch" });
    expect(node.node.sequence).toBeGreaterThanOrEqual(3);
  });

  it("rejects bad input naming each field and saves nothing", async () => {
    const cookie = await signIn(url, "owner@demo.test");
    const other = await ok(url, `mutation { createWorkspace(input: { name: "Elsewhere" }) { ... on Workspace { id } } }`, {}, { cookie });
    await ok(url, `mutation($w: ID!) { switchWorkspace(input: { workspaceId: $w }) { ... on Workspace { id } } }`, { w: other.createWorkspace.id }, { cookie });
    const foreign = (await ok(url, CREATE_CLIENT, { n: "Foreign" }, { cookie })).createClient.id;
    const before = await count();

    const r = await create({ name: " ", clientId: foreign, startsAt: `${date(W)} 09:00`, durationMinutes: 0, fields: { reason: 5, vitals: [{ pulse: "fast" }, {}], mood: "meh" } });
    expect(r.code).toBe("VALIDATION");
    expect(problems(r)).toEqual([
      "clientId: No such client in this workspace",
      "durationMinutes: At least 1 minute",
      "fields.mood: Must be one of: good, bad",
      "fields.reason: Must be text",
      "fields.vitals.0.pulse: Must be a number",
      "fields.vitals.1.pulse: Required",
      "name: Required",
      "startsAt: Must be an ISO-8601 date and time with an offset, e.g. 2026-11-21T09:30:00+01:00",
    ]);
    const missing = await create({ name: "x", clientId: anna });
    expect(problems(missing)).toEqual(["fields.reason: Required", "startsAt: Required (or a date and time)"]);
    // 02:30 doesn't exist in Berlin the night clocks go forward.
    const springForward = date(cal.nextDstSunday("start"));
    const gap = await create({ name: "x", clientId: anna, date: springForward, time: "02:30", fields: { reason: "r" } });
    expect(problems(gap)).toEqual([`time: 02:30 doesn't exist on ${springForward} in Europe/Berlin (the clocks change)`]);
    expect(await count()).toBe(before);

    expect(await count()).toBe(before);
  });

  it("answers a missing or foreign client ID with a typed problem at the client field, and saves nothing", async () => {
    const before = await count();
    const session = { name: "x", date: date(W), fields: { reason: "r" } };
    // A form with no client chosen sends "".
    expect(problems(await create({ ...session, clientId: "" }))).toEqual(["clientId: Choose a client"]);
    expect(problems(await create({ ...session, clientId: "nonsense" }))).toEqual(["clientId: No such client in this workspace"]);
    // Another kind's ID (a member's) is no client's either.
    expect(problems(await create({ ...session, clientId: ids.sam }))).toEqual(["clientId: No such client in this workspace"]);
    expect(await count()).toBe(before);

    const { appointment } = await create({ ...session, clientId: anna });
    const change = (clientId: string | null) => ok(url, UPDATE, { id: appointment.id, i: { clientId } }, { token: owner }).then((d) => d.updateAppointment);
    expect(problems(await change(""))).toEqual(["clientId: Choose a client"]);
    expect(problems(await change(null))).toEqual(["clientId: Choose a client"]);
    expect(problems(await change("nonsense"))).toEqual(["clientId: No such client in this workspace"]);
    expect((await change(ben)).appointment.client.name).toBe("Ben Carter");
  });

  it("answers a malformed or other kind's staff, service or filter ID with a typed problem at its field, and saves nothing", async () => {
    const before = await count();
    const session = { name: "x", clientId: anna, date: date(W), fields: { reason: "r" } };
    expect(problems(await create({ ...session, staffId: "nonsense" }))).toEqual(["staffId: Not a member of this workspace"]);
    // A client's ID is no member's, and a member's no service's.
    expect(problems(await create({ ...session, staffId: anna }))).toEqual(["staffId: Not a member of this workspace"]);
    expect(problems(await create({ ...session, serviceId: ids.sam }))).toEqual(["serviceId: No such service in this workspace"]);
    expect(await count()).toBe(before);

    const { appointment } = await create(session);
    const change = (i: object) => ok(url, UPDATE, { id: appointment.id, i }, { token: owner }).then((d) => d.updateAppointment);
    expect(problems(await change({ staffId: "nonsense" }))).toEqual(["staffId: Not a member of this workspace"]);
    expect(problems(await change({ serviceId: "" }))).toEqual(["serviceId: No such service in this workspace"]);
    expect((await change({ staffId: ids.sam })).appointment.staff.name).toBe("Sam Staff");

    const calendarOf = async (f: object) => (await ok(url, CALENDAR, { v: "WEEK", d: date(W), f }, { token: owner })).appointmentCalendar;
    expect(problems(await calendarOf({ clientId: "nonsense", staffId: anna }))).toEqual(["filter.clientId: No such client in this workspace", "filter.staffId: Not a member of this workspace"]);
    const FREE = `query($s: ID) { freeSlots(staffId: $s, from: "${date(W)}", to: "${date(W)}") { ... on QueryFreeSlotsSuccess { data { start } } ${ERR} } }`;
    expect(problems((await ok(url, FREE, { s: "nonsense" }, { token: owner })).freeSlots)).toEqual(["staffId: Not a member of this workspace"]);
    const PROGRESS = `query($c: ID!) { clientProgress(clientId: $c, from: "${date(W)}", to: "${date(W)}") { ... on ClientProgress { attended } ${ERR} } }`;
    expect(problems((await ok(url, PROGRESS, { c: ids.sam }, { token: owner })).clientProgress)).toEqual(["clientId: No such client in this workspace"]);
    expect((await ok(url, PROGRESS, { c: anna }, { token: owner })).clientProgress.attended).toBe(0);
  });

  it("warns outside working hours and about overlaps naming the others, and saves anyway", async () => {
    const first = await create({ name: "Massage", clientId: ben, staffId: ids.sam, startsAt: local(W, 1, "10:00"), durationMinutes: 60, fields: { reason: "r" } });
    expect(first.warnings).toEqual([]);
    const backToBack = await create({ name: "Follow-up", clientId: ben, staffId: ids.sam, startsAt: local(W, 1, "11:00"), durationMinutes: 30, fields: { reason: "r" } });
    expect(backToBack.warnings).toEqual([]);
    const clash = await create({ name: "Consult", clientId: anna, staffId: ids.sam, startsAt: local(W, 1, "10:30"), durationMinutes: 45, fields: { reason: "r" } });
    expect(clash.appointment.id).toBeTruthy();
    expect(clash.warnings).toHaveLength(1);
    expect(clash.warnings[0]).toMatchObject({ kind: "OVERLAP", message: 'Overlaps "Massage" (Ben Carter with Sam Staff, 10:00-11:00), "Follow-up" (Ben Carter with Sam Staff, 11:00-11:30)' });
    expect(clash.warnings[0].appointments.map((a: { name: string }) => a.name)).toEqual(["Massage", "Follow-up"]);

    const late = await create({ name: "Evening", clientId: anna, startsAt: local(W, 1, "16:30"), durationMinutes: 60, fields: { reason: "r" } });
    expect(late.warnings).toEqual([{ kind: "OUTSIDE_WORKING_HOURS", message: "Outside working hours (Tue 09:00-17:00, Europe/Berlin)", appointments: [] }]);
    const saturday = await create({ name: "Weekend", clientId: anna, date: date(W, 5), time: "10:00", fields: { reason: "r" } });
    expect(saturday.warnings.map((w: { kind: string }) => w.kind)).toEqual(["OUTSIDE_WORKING_HOURS"]);

    // Moving it away from the clash clears the warning; cancelled sessions don't clash.
    const moved = await ok(url, UPDATE, { id: clash.appointment.id, i: { time: "13:00" } }, { token: owner });
    expect(moved.updateAppointment.appointment.startsAt).toBe(at(W, 1, "13:00"));
    expect(moved.updateAppointment.warnings).toEqual([]);
    const cancelled = await ok(url, STATUS, { id: first.appointment.id, s: "CANCELLED" }, { token: owner });
    expect(cancelled.setAppointmentStatus.appointment.status).toBe("CANCELLED");
    const again = await create({ name: "Rebook", clientId: ben, staffId: ids.owner, startsAt: local(W, 1, "10:00"), durationMinutes: 60, fields: { reason: "r" } });
    expect(again.warnings).toEqual([]);

    // A practitioner (session.* without team.read) sees only their own sessions: others that clash are counted, not described.
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_READ, SESSION_CREATE, SESSION_UPDATE] }) { __typename } }`, {}, { token: owner });
    const practitioner = await tokenFor(url, samEmail);
    const own = await create({ name: "Sam's consult", clientId: ben, staffId: ids.sam, startsAt: local(W, 1, "10:15"), durationMinutes: 15, fields: { reason: "r" } }, practitioner);
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, { token: owner });
    expect(own.warnings).toEqual([{ kind: "OVERLAP", message: "Overlaps 1 other session of this client", appointments: [] }]);
  });

  it("of clashing sessions booked at the same moment, every later one warns about the earlier", async () => {
    const booked = await Promise.all(
      ["A", "B", "C", "D"].map((name) => create({ name, clientId: anna, staffId: ids.tom, startsAt: local(W, 2, "14:00"), durationMinutes: 30, fields: { reason: "r" } })),
    );
    // Saved one after another: the k-th saved names the k-1 before it, so the counts are 0, 1, 2, 3.
    const named = booked.map((b) => (b.warnings[0]?.appointments.length ?? 0) as number).sort();
    expect(named).toEqual([0, 1, 2, 3]);
  });

  it("edits details, tracks the status flow and deletes permanently", async () => {
    const { appointment } = await create({ name: "Session", clientId: anna, date: date(W, 3), time: "10:00", fields: { reason: "r" } });
    const edited = await ok(url, UPDATE, { id: appointment.id, i: { name: "Renamed", clientId: ben, durationMinutes: 90, date: date(W, 4) } }, { token: lisa });
    expect(edited.updateAppointment.appointment).toMatchObject({ name: "Renamed", client: { name: "Ben Carter" }, startsAt: at(W, 4, "10:00"), endsAt: at(W, 4, "11:30") });
    expect(edited.updateAppointment.appointment.sequence).toBe(appointment.sequence + 1);
    const bad = await ok(url, UPDATE, { id: appointment.id, i: { durationMinutes: 0, startsAt: "tomorrow" } }, { token: lisa });
    expect(problems(bad.updateAppointment)).toEqual(["durationMinutes: At least 1 minute", "startsAt: Must be an ISO-8601 date and time with an offset, e.g. 2026-11-21T09:30:00+01:00"]);
    for (const s of ["IN_PROGRESS", "COMPLETED"]) expect((await ok(url, STATUS, { id: appointment.id, s }, { token: sam })).setAppointmentStatus.appointment.status).toBe(s);

    // Staff may edit but not delete by default.
    const denied = await ok(url, `mutation($id: ID!) { deleteAppointment(input: { id: $id }) { ... on DeletedAppointment { id } ${PLAIN_ERR} } }`, { id: appointment.id }, { token: sam });
    expect(denied.deleteAppointment.code).toBe("FORBIDDEN");
    const deleted = await ok(url, `mutation($id: ID!) { deleteAppointment(input: { id: $id }) { ... on DeletedAppointment { id } ${PLAIN_ERR} } }`, { id: appointment.id }, { token: lisa });
    expect(deleted.deleteAppointment.id).toBe(appointment.id);
    const gone = await ok(url, `query($id: ID!) { node(id: $id) { id } }`, { id: appointment.id }, { token: owner });
    expect(gone.node).toBeNull();
  });

  it("archived fields keep their values, read-only", async () => {
    const { appointment } = await create({ name: "Archive", clientId: anna, date: date(W, 7), fields: { reason: "kept", mood: "bad" } });
    const mood = (await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { id key } }`, {}, { token: owner })).fieldDefinitions.find((d: { key: string }) => d.key === "mood");
    const archived = await ok(url, `mutation($id: ID!) { archiveFieldDefinition(input: { id: $id }) { ... on FieldDefinition { archivedAt } } }`, { id: mood.id }, { token: owner });
    expect(archived.archiveFieldDefinition.archivedAt).toBeTruthy();
    const active = (await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { key } }`, {}, { token: owner })).fieldDefinitions;
    expect(active.map((d: { key: string }) => d.key)).not.toContain("mood");

    const change = await ok(url, SAVE_FIELDS, { id: appointment.id, p: "PRE_SESSION", f: { reason: "new", mood: "good" } }, { token: owner });
    expect(problems(change.saveAppointmentFields)).toEqual(["fields.mood: This field is archived; its value is read-only"]);
    const saved = await ok(url, SAVE_FIELDS, { id: appointment.id, p: "PRE_SESSION", f: { reason: "new" } }, { token: owner });
    expect(saved.saveAppointmentFields.fieldValues).toEqual({ reason: "new", mood: "bad" });
    const values = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { values(phase: PRE_SESSION) { field { key } value readOnly } } } }`, { id: appointment.id }, { token: owner });
    expect(values.node.values).toContainEqual({ field: { key: "mood" }, value: "bad", readOnly: true });
    await ok(url, `mutation($id: ID!) { restoreFieldDefinition(input: { id: $id }) { ... on FieldDefinition { archivedAt } } }`, { id: mood.id }, { token: owner });
    const restored = (await ok(url, `{ fieldDefinitions(target: PRE_SESSION) { key } }`, {}, { token: owner })).fieldDefinitions;
    expect(restored.map((d: { key: string }) => d.key)).toContain("mood");
  });
});

describe("calendar, list, free slots and history", () => {
  it("loads the visible range with client and custom-field filters", async () => {
    await create({ name: "M A", clientId: anna, date: date(M), time: "09:00", fields: { reason: "r", mood: "good" } });
    await create({ name: "M B", clientId: ben, date: date(M, 1), time: "09:00", fields: { reason: "r", mood: "bad" } });
    await create({ name: "M C", clientId: ben, date: date(M, 14), time: "09:00", fields: { reason: "r", mood: "good" } });
    const names = (d: { appointmentCalendar: { appointments: { name: string }[] } }) => d.appointmentCalendar.appointments.map((a) => a.name);
    const week = await ok(url, CALENDAR, { v: "WEEK", d: date(M, 2) }, { token: owner });
    expect(week.appointmentCalendar).toMatchObject({ from: date(M), to: date(M, 6), timeZone: "Europe/Berlin", slotMinutes: 30, truncated: false });
    expect(names(week)).toEqual(["M A", "M B"]);
    expect(names(await ok(url, CALENDAR, { v: "DAY", d: date(M, 1) }, { token: owner }))).toEqual(["M B"]);
    expect(names(await ok(url, CALENDAR, { v: "MONTH", d: date(cal.firstOfMonth(2)), f: { clientId: ben } }, { token: owner }))).toEqual(["M B", "M C"]);
    expect(names(await ok(url, CALENDAR, { v: "MONTH", d: date(cal.firstOfMonth(2)), f: { fields: [{ key: "mood", value: "good" }] } }, { token: owner }))).toEqual(["M A", "M C"]);
    expect(names(await ok(url, CALENDAR, { v: "MONTH", d: date(cal.firstOfMonth(2)), f: { clientId: ben, fields: [{ key: "mood", value: "good" }] } }, { token: owner }))).toEqual(["M C"]);
    const notFilterable = await ok(url, CALENDAR, { v: "MONTH", d: date(cal.firstOfMonth(2)), f: { fields: [{ key: "reason", value: "r" }] } }, { token: owner });
    expect(problems(notFilterable.appointmentCalendar)).toEqual(["filter.fields.0.key: Not a filterable field"]);
  });

  it("lists with the same filters and cursor pagination", async () => {
    const LIST = `query($a: String, $f: AppointmentFilter) { appointments(from: "${date(cal.firstOfMonth(2))}", to: "${date(cal.firstOfMonth(2).endOf("month"))}", first: 2, after: $a, filter: $f) { ... on QueryAppointmentsConnection { pageInfo { hasNextPage endCursor } nodes { name } } } }`;
    const page1 = (await ok(url, LIST, {}, { token: owner })).appointments;
    expect(page1.nodes.map((n: { name: string }) => n.name)).toEqual(["M A", "M B"]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await ok(url, LIST, { a: page1.pageInfo.endCursor }, { token: owner })).appointments;
    expect(page2.nodes.map((n: { name: string }) => n.name)).toEqual(["M C"]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const filtered = (await ok(url, LIST, { f: { fields: [{ key: "mood", value: "bad" }] } }, { token: owner })).appointments;
    expect(filtered.nodes.map((n: { name: string }) => n.name)).toEqual(["M B"]);
  });

  it("finds a staff member's free slots within working hours", async () => {
    const FREE = `query($s: ID, $f: LocalDate!, $t: LocalDate!, $m: Int) { freeSlots(staffId: $s, from: $f, to: $t, slotMinutes: $m) { ... on QueryFreeSlotsSuccess { data { start end } } ${ERR} } }`;
    await create({ name: "Busy", clientId: anna, staffId: ids.emma, startsAt: local(M, 7, "10:00"), durationMinutes: 90, fields: { reason: "r" } });
    const slots = (await ok(url, FREE, { s: ids.emma, f: date(M, 7), t: date(M, 7), m: 60 }, { token: owner })).freeSlots.data;
    const localTimes = slots.map((s: { start: string }) => DateTime.fromISO(s.start, { zone: ZONE }).toFormat("HH:mm"));
    expect(localTimes).toEqual(["09:00", "12:00", "13:00", "14:00", "15:00", "16:00"]);
    const tooLong = await ok(url, FREE, { f: date(cal.firstOfMonth(2)), t: date(cal.firstOfMonth(4)) }, { token: owner });
    expect(problems(tooLong.freeSlots)).toEqual(["to: At most 31 days"]);
    const notOwn = await ok(url, FREE, { s: ids.emma, f: date(M, 7), t: date(M, 7) }, { token: tom });
    expect(problems(notOwn.freeSlots)).toEqual(["staffId: You can only see your own free time"]);
  });

  it("lists today's free slots from now on: one that has begun can't be booked", async () => {
    const own = await newWorkspace(url, ZONE);
    const allDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: "00:00", end: "23:59" }));
    await ok(url, `mutation($h: [WorkingDayInput!]) { updateWorkspace(input: { workingHours: $h }) { __typename } }`, { h: allDay }, { token: own.owner.token });
    const now = Date.now();
    if (now - cal.today.toMillis() < 15 * 60_000 || now > cal.today.plus({ minutes: 23 * 60 + 40 }).toMillis()) return; // no past slot yet, or none left
    const FREE = `query($f: LocalDate!, $t: LocalDate!) { freeSlots(from: $f, to: $t, slotMinutes: 5) { ... on QueryFreeSlotsSuccess { data { start } } } }`;
    const slots = (await ok(url, FREE, { f: date(cal.today), t: date(cal.today) }, { token: own.owner.token })).freeSlots.data.map((s: { start: string }) => Date.parse(s.start));
    expect(slots.length).toBeGreaterThan(0);
    expect(slots.filter((start: number) => start < now)).toEqual([]);
  });

  it("puts sessions on the right local day across a DST change", async () => {
    // The Sunday Berlin falls back has 25 hours: 00:30 and 23:30 local are both that day.
    const S = cal.nextDstSunday("end");
    await create({ name: "DST early", clientId: anna, startsAt: at(S, 0, "00:30"), durationMinutes: 30, fields: { reason: "r" } });
    await create({ name: "DST late", clientId: anna, startsAt: at(S, 0, "23:30"), durationMinutes: 30, fields: { reason: "r" } });
    const twice = await create({ name: "DST twice", clientId: anna, date: date(S), time: "02:30", durationMinutes: 30, fields: { reason: "r" } });
    expect(twice.appointment.startsAt).toBe(S.plus({ hours: 2.5 }).toUTC().toISO()); // the first 02:30 (summer time)
    const day = async (d: string) =>
      (await ok(url, CALENDAR, { v: "DAY", d, f: { clientId: anna } }, { token: owner })).appointmentCalendar.appointments.map((a: { name: string }) => a.name).filter((n: string) => n.startsWith("DST"));
    expect(await day(date(S))).toEqual(["DST early", "DST twice", "DST late"]);
    expect(await day(date(S, -1))).toEqual([]);
    expect(await day(date(S, 1))).toEqual([]);
  });

  it("shows a client's session history, newest first", async () => {
    const HISTORY = `query($id: ID!) { node(id: $id) { ... on Client { appointments(first: 3) { nodes { name startsAt } } } } }`;
    const history = (await ok(url, HISTORY, { id: ben }, { token: owner })).node.appointments.nodes;
    expect(history.map((n: { name: string }) => n.name).slice(0, 2)).toEqual(["M C", "M B"]);
  });
});

describe("clients", () => {
  it("are created, renamed and deleted only when no session refers to them", async () => {
    const created = (await ok(url, CREATE_CLIENT, { n: "Temp Client" }, { token: sam })).createClient;
    expect((await ok(url, CREATE_CLIENT, { n: "Temp Client" }, { token: sam })).createClient.code).toBe("VALIDATION");
    const renamed = await ok(url, `mutation($id: ID!) { updateClient(input: { id: $id, name: "Temporary" }) { ... on Client { name } ${ERR} } }`, { id: created.id }, { token: sam });
    expect(renamed.updateClient.name).toBe("Temporary");
    const DELETE = `mutation($id: ID!) { deleteClient(input: { id: $id }) { ... on DeletedClient { id } ${PLAIN_ERR} } }`;
    expect((await ok(url, DELETE, { id: ben }, { token: owner })).deleteClient.code).toBe("CONFLICT");
    expect((await ok(url, DELETE, { id: created.id }, { token: owner })).deleteClient.id).toBe(created.id);
    expect((await ok(url, `{ clients { nodes { name } } }`, {}, { token: owner })).clients.nodes.map((c: { name: string }) => c.name)).not.toContain("Temporary");
  });
});

describe("evaluations", () => {
  it("have their own validated fields and link to a session of the same client", async () => {
    const { appointment } = await create({ name: "Assessment", clientId: anna, date: date(M, 8), fields: { reason: "r" } });
    const SAVE = `mutation($c: ID!, $a: ID, $f: JSON!) { saveEvaluation(input: { clientId: $c, appointmentId: $a, title: "Initial", fields: $f }) { ... on Evaluation { id fieldValues appointment { id } } ${ERR} } }`;
    const bad = await ok(url, SAVE, { c: ben, a: appointment.id, f: { score: 101, reason: "x" } }, { token: lisa });
    expect(problems(bad.saveEvaluation)).toEqual(["appointmentId: A session of another client", "fields.reason: Unknown field", "fields.score: Must be at most 100"]);
    // A malformed ID, or another kind's, is named at its field, not a request error.
    const malformed = await ok(url, SAVE, { c: "nonsense", a: anna, f: { score: 80 } }, { token: lisa });
    expect(problems(malformed.saveEvaluation)).toEqual(["appointmentId: No such session", "clientId: No such client in this workspace"]);
    const good = await ok(url, SAVE, { c: anna, a: appointment.id, f: { score: 80 } }, { token: lisa });
    expect(good.saveEvaluation).toMatchObject({ fieldValues: { score: 80 }, appointment: { id: appointment.id } });
    const linked = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { evaluations { id } } } }`, { id: appointment.id }, { token: owner });
    expect(linked.node.evaluations).toEqual([{ id: good.saveEvaluation.id }]);

    // Edited in place, then deleted for good (staff may edit but not delete).
    const EDIT = `mutation($id: ID!, $c: ID!, $f: JSON!) { saveEvaluation(input: { id: $id, clientId: $c, title: "Revised", fields: $f }) { ... on Evaluation { id title fieldValues appointment { id } } ${ERR} } }`;
    const edited = (await ok(url, EDIT, { id: good.saveEvaluation.id, c: anna, f: { score: 85 } }, { token: lisa })).saveEvaluation;
    expect(edited).toEqual({ id: good.saveEvaluation.id, title: "Revised", fieldValues: { score: 85 }, appointment: null });
    const DELETE = `mutation($id: ID!) { deleteEvaluation(input: { id: $id }) { ... on Evaluation { id title } ${PLAIN_ERR} } }`;
    expect((await ok(url, DELETE, { id: edited.id }, { token: sam })).deleteEvaluation.code).toBe("FORBIDDEN");
    expect((await ok(url, DELETE, { id: edited.id }, { token: owner })).deleteEvaluation).toEqual({ id: edited.id, title: "Revised" });
    expect((await ok(url, DELETE, { id: edited.id }, { token: owner })).deleteEvaluation.code).toBe("NOT_FOUND");
    expect((await ok(url, `query($id: ID!) { node(id: $id) { id } }`, { id: edited.id }, { token: owner })).node).toBeNull();
  });
});

describe("permissions", () => {
  it("employees see their own sessions; staff without session.read see none anywhere", async () => {
    const own = await create({ name: "Tom's", clientId: anna, staffId: ids.tom, date: date(M, 9), fields: { reason: "r" } });
    await create({ name: "Not Tom's", clientId: anna, date: date(M, 9), time: "11:00", fields: { reason: "r" } });
    const tomDay = await ok(url, CALENDAR, { v: "DAY", d: date(M, 9) }, { token: tom });
    expect(tomDay.appointmentCalendar.appointments.map((a: { name: string }) => a.name)).toEqual(["Tom's"]);
    // Employees don't book client sessions, not even their own.
    const booked = await gql(url, CREATE, { i: { name: "x", clientId: anna, staffId: ids.tom, date: date(M, 9), fields: { reason: "r" } } }, { token: tom });
    expect(booked.body.data?.createAppointment).toMatchObject({ code: "FORBIDDEN" });

    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_CREATE] }) { ... on Workspace { id } } }`, {}, { token: owner });
    const samNow = await tokenFor(url, samEmail);
    const calendar = await gql(url, CALENDAR, { v: "DAY", d: date(M, 9) }, { token: samNow });
    expect(calendar.body.data?.appointmentCalendar ?? null).toMatchObject({ code: "FORBIDDEN" });
    const node = await ok(url, `query($id: ID!) { node(id: $id) { id } }`, { id: own.appointment.id }, { token: samNow });
    expect(node.node).toBeNull();
    const history = await gql(url, `query($id: ID!) { node(id: $id) { ... on Client { appointments { nodes { id } } } } }`, { id: anna }, { token: samNow });
    expect(history.body.data?.node?.appointments ?? null).toBeNull();
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { ... on Workspace { id } } }`, {}, { token: owner });
  });
});

describe("attachments", () => {
  const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea73581e40000000049454e44ae426082", "hex");
  const upload = (token: string, body: Buffer, type: string, query: string) =>
    fetch(`${url}/api/appointments/attachments?${query}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": type }, body: new Uint8Array(body) });

  it("uploads images and files for file fields and sessions, with size and type limits, readable only by those who see the session", async () => {
    // A practitioner: books and sees only their own sessions (session.* without team.read). Employees don't book.
    await ok(url, `mutation { setStaffPermissions(input: { permissions: [SESSION_READ, SESSION_CREATE, SESSION_UPDATE] }) { __typename } }`, {}, { token: owner });
    const pract = await tokenFor(url, samEmail);
    await field("PRE_SESSION", "xray", "IMAGE", {});
    await field("PRE_SESSION", "referral", "FILE", {});
    const image = await (await upload(pract, PNG, "image/png", "fileName=xray.png")).json();
    const pdf = await (await upload(pract, Buffer.from("%PDF-1.4 referral"), "application/pdf", "fileName=referral.pdf")).json();
    expect(image).toMatchObject({ fileName: "xray.png", mime: "image/png", size: PNG.length });

    // Wrong kinds: a PDF in an image field, someone else's upload, an unknown id.
    const lisaFile = await (await upload(lisa, Buffer.from("%PDF-1.4"), "application/pdf", "fileName=l.pdf")).json();
    const bad = await create({ name: "x", clientId: anna, staffId: ids.sam, date: date(M, 10), fields: { reason: "r", xray: pdf.id, referral: lisaFile.id } }, pract);
    expect(problems(bad)).toEqual(["fields.referral: Must be a file uploaded for this session", "fields.xray: Must be an image"]);

    const { appointment } = await create({ name: "With files", clientId: anna, staffId: ids.sam, date: date(M, 10), fields: { reason: "r", xray: image.id, referral: pdf.id } }, pract);
    const extra = await (await upload(lisa, Buffer.from("notes"), "text/plain", `fileName=notes.txt&appointmentId=${encodeURIComponent(appointment.id)}`)).json();
    const files = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { attachments { id fileName url } } } }`, { id: appointment.id }, { token: pract });
    expect(files.node.attachments.map((a: { fileName: string }) => a.fileName).sort()).toEqual(["notes.txt", "referral.pdf", "xray.png"]);
    expect(files.node.attachments.map((a: { id: string }) => a.id)).toContain(extra.id);

    const get = (token: string) => fetch(`${url}${image.url}`, { headers: { authorization: `Bearer ${token}` } });
    const mine = await get(pract);
    expect(mine.status).toBe(200);
    expect(Buffer.from(await mine.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await get(owner)).status).toBe(200);
    expect((await get(emma)).status).toBe(404); // an employee sees only her own sessions

    // Refused: disallowed type, content that isn't what it claims, too large, another's session.
    expect((await upload(pract, Buffer.from("MZ..."), "application/x-msdownload", "fileName=a.exe")).status).toBe(415);
    expect((await upload(pract, Buffer.from("not a png"), "image/png", "fileName=a.png")).status).toBe(415);
    expect((await upload(pract, Buffer.alloc(10_000_001), "text/plain", "fileName=big.txt")).status).toBe(413);
    const others = await create({ name: "Emma's", clientId: anna, staffId: ids.emma, date: date(M, 10), fields: { reason: "r" } });
    expect((await upload(pract, PNG, "image/png", `fileName=x.png&appointmentId=${encodeURIComponent(others.appointment.id)}`)).status).toBe(404);

    // A file removed from the session is gone; staff without session.update can't remove files.
    const removeFile = (token: string) => ok(url, `mutation($id: ID!) { deleteAppointmentAttachment(input: { id: $id }) { ... on AppointmentAttachment { fileName } ${PLAIN_ERR} } }`, { id: extra.id }, { token });
    expect((await removeFile(tom)).deleteAppointmentAttachment.code).toBe("FORBIDDEN");
    expect((await removeFile(lisa)).deleteAppointmentAttachment.fileName).toBe("notes.txt");
    expect((await fetch(`${url}${extra.url}`, { headers: { authorization: `Bearer ${lisa}` } })).status).toBe(404);

    // Deleting the session deletes its files.
    await ok(url, `mutation($id: ID!) { deleteAppointment(input: { id: $id }) { __typename } }`, { id: appointment.id }, { token: owner });
    expect((await get(pract)).status).toBe(404);
    await ok(url, `mutation { setStaffPermissions(input: { permissions: null }) { __typename } }`, {}, { token: owner });
  });

  it("a colleague's upload, its id pasted into a text field, stays theirs", async () => {
    const { appointment } = await create({ name: "Pasted id", clientId: anna, staffId: ids.sam, date: date(M, 12), fields: { reason: "r" } });
    await field("PRE_SESSION", "remarks", "TEXT", {});
    const theirs = await (await upload(lisa, Buffer.from("%PDF-1.4 Lisa's"), "application/pdf", "fileName=lisa.pdf")).json();
    const saved = await ok(url, SAVE_FIELDS, { id: appointment.id, p: "PRE_SESSION", f: { reason: "r", remarks: theirs.id } }, { token: owner });
    expect(problems(saved.saveAppointmentFields)).toEqual(["fields.remarks: Must be a file uploaded for this session"]);
    const files = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { fieldValues attachments { id } } } }`, { id: appointment.id }, { token: owner });
    expect(files.node).toEqual({ fieldValues: { reason: "r" }, attachments: [] });
    // Still Lisa's to use.
    const hers = await create({ name: "Lisa's", clientId: anna, date: date(M, 12), time: "15:00", fields: { reason: "r", referral: theirs.id } }, lisa);
    expect(hers.appointment.fieldValues.referral).toBe(theirs.id);
  });

  it("refuses a save whose file was swept between its check and its write, at that field", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const { appointment } = await create({ name: "Late file", clientId: anna, staffId: ids.sam, date: date(M, 11), fields: { reason: "r" } });
    const file = await (await upload(owner, Buffer.from("%PDF-1.4 late"), "application/pdf", "fileName=late.pdf")).json();
    // Holding the session's row, the save has checked the file and waits to write; meanwhile the
    // hourly sweep's own statement removes the upload, still unused.
    const [saved] = await queuedBehind(
      stack.databaseUrl,
      [`SELECT 1 FROM "Appointment" WHERE id = $1 FOR UPDATE`, [rowId(appointment.id)]],
      [() => ok(url, SAVE_FIELDS, { id: appointment.id, p: "PRE_SESSION", f: { reason: "r", referral: file.id } }, { token: owner })],
      (sql) => sql.query(`DELETE FROM "AppointmentAttachment" WHERE id = $1 AND "appointmentId" IS NULL`, [rowId(file.id)]),
    );
    expect(problems((saved as { saveAppointmentFields: Parameters<typeof problems>[0] }).saveAppointmentFields)).toEqual(["fields.referral: Must be a file uploaded for this session"]);
    const stored = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { fieldValues } } }`, { id: appointment.id }, { token: owner });
    expect(stored.node.fieldValues.referral).toBeUndefined();
  });
});

describe("invoices from sessions", () => {
  const SERVICE = `mutation($i: AppointmentServiceInput!) { saveAppointmentService(input: { service: $i }) { ... on AppointmentService { id } ${ERR} } }`;
  const INVOICE = `mutation($c: ID!) { createInvoice(input: { clientId: $c, from: "${date(P.startOf("month"))}", to: "${date(P.endOf("month"))}" }) { ... on MutationCreateInvoiceSuccess { data { id currency totalCents lines { description quantitySeconds rateCents amountCents } } } ${PLAIN_ERR} } }`;

  it("bills completed sessions by their service's price per session or per hour, once, and keeps lines when a session is deleted", async () => {
    const physio = (await ok(url, SERVICE, { i: { name: "Manual therapy", pricing: "PER_SESSION", priceCents: 8000, currency: "EUR" } }, { token: owner })).saveAppointmentService.id;
    const coaching = (await ok(url, SERVICE, { i: { name: "Coaching", pricing: "PER_HOUR", priceCents: 12000, currency: "EUR" } }, { token: owner })).saveAppointmentService.id;
    const badService = await ok(url, SERVICE, { i: { name: " ", pricing: "PER_HOUR", priceCents: -1, currency: "EURO" } }, { token: owner });
    expect(problems(badService.saveAppointmentService)).toEqual(["currency: Use a 3-letter ISO 4217 code", "name: Required", "priceCents: A whole number of cents, 0 or more"]);
    const payer = (await ok(url, CREATE_CLIENT, { n: "Paying Client" }, { token: owner })).createClient.id;
    const book = async (name: string, date: string, minutes: number, serviceId: string | null, status: string) =>
      (await create({ name, clientId: payer, serviceId, date, durationMinutes: minutes, status, fields: { reason: "r" } })).appointment.id as string;
    const s1 = await book("Knee", date(P), 45, physio, "COMPLETED");
    await book("Plan", date(P, 1), 90, coaching, "COMPLETED");
    await book("Upcoming", date(P, 2), 60, physio, "SCHEDULED");
    await book("No service", date(P, 3), 60, null, "COMPLETED");

    // Two managers invoicing at once: the sessions are billed on one invoice only.
    const [a, b] = await Promise.all([ok(url, INVOICE, { c: payer }, { token: owner }), ok(url, INVOICE, { c: payer }, { token: lisa })]);
    const invoices = [...a.createInvoice.data, ...b.createInvoice.data];
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      currency: "EUR",
      totalCents: String(8000 + 18000),
      lines: [
        { description: "Manual therapy: Knee", quantitySeconds: 2700, rateCents: "8000", amountCents: "8000" },
        { description: "Coaching: Plan", quantitySeconds: 5400, rateCents: "12000", amountCents: "18000" },
      ],
    });
    const billed = await ok(url, `query($id: ID!) { node(id: $id) { ... on Appointment { invoiced } } }`, { id: s1 }, { token: owner });
    expect(billed.node.invoiced).toBe(true);

    await ok(url, `mutation($id: ID!) { deleteAppointment(input: { id: $id }) { __typename } }`, { id: s1 }, { token: owner });
    const kept = await ok(url, `query($id: ID!) { node(id: $id) { ... on Invoice { lines { description } } } }`, { id: invoices[0].id }, { token: owner });
    expect(kept.node.lines.map((l: { description: string }) => l.description)).toEqual(["Manual therapy: Knee", "Coaching: Plan"]);
  });

  it("keeps what a billed session's line was made from until its invoice is voided; notes and staff still change", async () => {
    const service = (await ok(url, SERVICE, { i: { name: "Assessment", pricing: "PER_HOUR", priceCents: 6000, currency: "EUR" } }, { token: owner })).saveAppointmentService.id;
    const payer = (await ok(url, CREATE_CLIENT, { n: "Billed Client" }, { token: owner })).createClient.id;
    const other = (await ok(url, CREATE_CLIENT, { n: "Other Client" }, { token: owner })).createClient.id;
    const booked = (await create({ name: "Hip", clientId: payer, serviceId: service, date: date(P, 5), durationMinutes: 45, status: "COMPLETED", fields: { reason: "r" } })).appointment;
    const [invoice] = (await ok(url, INVOICE, { c: payer }, { token: owner })).createInvoice.data;
    const refused = { code: "CONFLICT", message: expect.stringMatching(/^This session is on invoice #\d+; void the invoice to change its time/) };
    const edit = async (i: object) => (await ok(url, UPDATE, { id: booked.id, i }, { token: owner })).updateAppointment;
    for (const change of [{ durationMinutes: 60 }, { date: date(P, 6) }, { name: "Knee" }, { clientId: other }, { serviceId: null }]) expect(await edit(change)).toMatchObject(refused);
    expect((await ok(url, STATUS, { id: booked.id, s: "CANCELLED" }, { token: owner })).setAppointmentStatus).toMatchObject(refused);
    const unchanged = await edit({ name: "Hip", durationMinutes: 45, status: "COMPLETED", staffId: ids.sam, adminNotes: "Paid by insurance" });
    expect(unchanged.appointment).toMatchObject({ name: "Hip", startsAt: booked.startsAt, durationMinutes: 45, status: "COMPLETED", staff: { name: expect.any(String) } });
    expect(unchanged.appointment.staff.name).not.toBe(booked.staff.name);

    await ok(url, `mutation($id: ID!) { voidInvoice(input: { id: $id }) { __typename } }`, { id: invoice.id }, { token: owner });
    expect((await edit({ durationMinutes: 60 })).appointment.durationMinutes).toBe(60);
  });

  it("bills the length a session ends up with when an edit races the invoicing, or refuses the edit", async () => {
    const service = (await ok(url, SERVICE, { i: { name: "Race", pricing: "PER_HOUR", priceCents: 6000, currency: "EUR" } }, { token: owner })).saveAppointmentService.id;
    for (let round = 0; round < 4; round++) {
      const payer = (await ok(url, CREATE_CLIENT, { n: `Racing Client ${round}` }, { token: owner })).createClient.id;
      const session = (await create({ name: "Race", clientId: payer, serviceId: service, date: date(P, 7), durationMinutes: 45, status: "COMPLETED", fields: { reason: "r" } })).appointment.id;
      const [invoiced, edited] = await Promise.all([
        ok(url, INVOICE, { c: payer }, { token: owner }),
        ok(url, UPDATE, { id: session, i: { durationMinutes: 60 } }, { token: lisa }),
      ]);
      const [line] = invoiced.createInvoice.data[0].lines;
      const minutes = edited.updateAppointment.code === "CONFLICT" ? 45 : edited.updateAppointment.appointment.durationMinutes;
      expect(line.quantitySeconds).toBe(minutes * 60);
    }
  });

  it("refuses an invoice whose session is deleted while its lines are written, writing nothing", async () => {
    if (!stack.databaseUrl) return; // the embedded database belongs to the server process
    const service = (await ok(url, SERVICE, { i: { name: "Review", pricing: "PER_SESSION", priceCents: 5000, currency: "EUR" } }, { token: owner })).saveAppointmentService.id;
    const payer = (await ok(url, CREATE_CLIENT, { n: "Vanishing Client" }, { token: owner })).createClient.id;
    const session = (await create({ name: "Gone", clientId: payer, serviceId: service, date: date(P, 4), durationMinutes: 30, status: "COMPLETED", fields: { reason: "r" } })).appointment.id;
    const holder = new pg.Client({ connectionString: stack.databaseUrl });
    const watcher = new pg.Client({ connectionString: stack.databaseUrl });
    await Promise.all([holder.connect(), watcher.connect()]);
    try {
      // Holding the session's row, the invoice can read the session but not write the line that bills it.
      await holder.query(`BEGIN`);
      await holder.query(`SELECT 1 FROM "Appointment" WHERE id = $1 FOR UPDATE`, [rowId(session)]);
      const invoicing = ok(url, INVOICE, { c: payer }, { token: owner });
      const { rows: [{ pid }] } = await holder.query(`SELECT pg_backend_pid() AS pid`);
      const waiting = await until(
        async () => (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid])).rows[0].n,
        (n) => n > 0,
      );
      expect(waiting).toBe(1);
      await holder.query(`DELETE FROM "Appointment" WHERE id = $1`, [rowId(session)]);
      await holder.query(`COMMIT`);
      expect((await invoicing).createInvoice).toMatchObject({ code: "CONFLICT", message: "Entries changed while invoicing; try again" });
      const invoices = await ok(url, `query($c: ID!) { invoices(first: 10, clientId: $c) { nodes { id } } }`, { c: payer }, { token: owner });
      expect(invoices.invoices.nodes).toEqual([]);
    } finally {
      await Promise.all([holder.end(), watcher.end()]);
    }
  });
});
