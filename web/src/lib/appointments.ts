// Client sessions (appointments): what the calendar, list, dialogs and field pages send and read.
import type { Client } from "graphql-ws";
import { ApiError, ERROR_FIELDS, gql, PROBLEM_FIELDS, unwrap } from "./graphql";

export type Phase = "PRE_SESSION" | "DURING_SESSION" | "POST_SESSION";
export type FieldTarget = Phase | "EVALUATION";
export type Status = "SCHEDULED" | "IN_PROGRESS" | "COMPLETED" | "CANCELLED";
export type CalendarView = "DAY" | "WEEK" | "MONTH";

export const PHASES: { value: Phase; label: string }[] = [
  { value: "PRE_SESSION", label: "Pre-session" },
  { value: "DURING_SESSION", label: "During session" },
  { value: "POST_SESSION", label: "Post-session" },
];
export const STATUSES: { value: Status; label: string }[] = [
  { value: "SCHEDULED", label: "Scheduled" },
  { value: "IN_PROGRESS", label: "In progress" },
  { value: "COMPLETED", label: "Completed" },
  { value: "CANCELLED", label: "Cancelled" },
];
export const FIELD_TYPES = [
  "TEXT", "TEXTAREA", "NUMBER", "BOOLEAN", "DATE", "DATETIME", "SELECT", "MULTI_SELECT",
  "IMAGE", "FILE", "SIGNATURE", "ARRAY", "OBJECT", "TEAM_MEMBER",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  required: boolean;
  validation: { min?: number | string; max?: number | string; minLength?: number; maxLength?: number; pattern?: string; options?: string[] };
  fields: FieldSpec[];
}

export interface FieldDefinition extends FieldSpec {
  id: string;
  target: FieldTarget;
  description: string;
  position: number;
  filterable: boolean;
  archivedAt: string | null;
}

export interface Appointment {
  id: string;
  name: string;
  startsAt: string;
  endsAt: string;
  durationMinutes: number;
  status: Status;
  adminNotes: string;
  fieldValues: Record<string, unknown>;
  client: { id: string; name: string };
  staff: { id: string; name: string };
}

export interface Attachment {
  id: string;
  fileName: string;
  mime: string;
  size: number;
  url: string;
}

export interface AppointmentDetails extends Appointment {
  service: { id: string; name: string } | null;
  attachments: Attachment[];
  evaluations: { id: string; title: string }[];
}

export interface Warning {
  kind: "OUTSIDE_WORKING_HOURS" | "OVERLAP";
  message: string;
}

const APPOINTMENT = `id name startsAt endsAt durationMinutes status adminNotes fieldValues client { id name } staff { id name }`;
const DEFINITION = `id target key label description type required validation fields position filterable archivedAt`;

export async function fieldDefinitions(target: FieldTarget, includeArchived = false): Promise<FieldDefinition[]> {
  const query = `query Fields($t: FieldTarget!, $a: Boolean) { fieldDefinitions(target: $t, includeArchived: $a) { ${DEFINITION} } }`;
  const { fieldDefinitions } = await gql<{ fieldDefinitions: FieldDefinition[] }>(query, { t: target, a: includeArchived });
  return fieldDefinitions.map((d) => ({ ...d, fields: d.fields.map(subField) }));
}

/** Sub-fields are JSON and spell their type lower-case (as they are typed in); the FieldType enum is upper-case. */
function subField(spec: FieldSpec): FieldSpec {
  return { ...spec, type: spec.type.toUpperCase() as FieldType, fields: (spec.fields ?? []).map(subField) };
}

export async function clients(): Promise<{ id: string; name: string }[]> {
  return (await gql<{ clients: { nodes: { id: string; name: string }[] } }>(`{ clients(first: 100) { nodes { id name } } }`)).clients.nodes;
}

export async function members(): Promise<{ id: string; name: string }[]> {
  const data = await gql<{ viewer: { workspace: { members: { nodes: { user: { id: string; name: string } }[] } } } }>(
    `{ viewer { workspace { members(first: 100) { nodes { user { id name } } } } } }`,
  );
  return data.viewer.workspace.members.nodes.map((n) => n.user);
}

export interface Filter {
  clientId?: string;
  staffId?: string;
  fields?: { key: string; value: unknown }[];
}

export interface Calendar {
  from: string;
  to: string;
  timeZone: string;
  slotMinutes: number;
  truncated: boolean;
  appointments: Appointment[];
}

export async function calendar(view: CalendarView, date: string, filter: Filter): Promise<Calendar> {
  const query = `query Calendar($v: CalendarView!, $d: LocalDate!, $f: AppointmentFilter) {
    appointmentCalendar(view: $v, date: $d, filter: $f) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on AppointmentCalendar { from to timeZone slotMinutes truncated appointments { ${APPOINTMENT} } } } }`;
  const data = await gql<{ appointmentCalendar: Calendar & { __typename: string } }>(query, { v: view, d: date, f: filter });
  return unwrap(data.appointmentCalendar, "AppointmentCalendar");
}

export async function list(from: string, to: string, filter: Filter, after: string | null) {
  const query = `query List($f: LocalDate!, $t: LocalDate!, $filter: AppointmentFilter, $after: String) {
    appointments(from: $f, to: $t, filter: $filter, first: 25, after: $after) { ${ERROR_FIELDS} ${PROBLEM_FIELDS}
      ... on QueryAppointmentsConnection { pageInfo { hasNextPage endCursor } nodes { ${APPOINTMENT} } } } }`;
  type Page = { __typename: string; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Appointment[] };
  const data = await gql<{ appointments: Page }>(query, { f: from, t: to, filter, after });
  return unwrap<Page>(data.appointments, "QueryAppointmentsConnection");
}

const DETAILS = `${APPOINTMENT} service { id name } attachments { id fileName mime size url } evaluations { id title }`;

/** Everything the edit dialog shows; the calendar loads only what its blocks need. */
export async function appointmentDetails(id: string): Promise<AppointmentDetails | null> {
  return (await gql<{ node: AppointmentDetails | null }>(`query One($id: ID!) { node(id: $id) { ... on Appointment { ${DETAILS} } } }`, { id })).node;
}

export async function services(): Promise<{ id: string; name: string; pricing: string; priceCents: string; currency: string }[]> {
  return (await gql<{ appointmentServices: { id: string; name: string; pricing: string; priceCents: string; currency: string }[] }>(
    `{ appointmentServices { id name pricing priceCents currency } }`,
  )).appointmentServices;
}

type Payload = { __typename: string; appointment: Appointment; warnings: Warning[] };
const PAYLOAD = `${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on AppointmentPayload { appointment { ${APPOINTMENT} } warnings { kind message } }`;

export interface AppointmentInput {
  name: string;
  clientId: string;
  date: string;
  time: string;
  durationMinutes: number;
  status: Status;
  adminNotes: string;
  staffId?: string;
  serviceId?: string | null;
  fields?: Record<string, unknown>;
}

export async function createAppointment(input: AppointmentInput) {
  const data = await gql<{ createAppointment: Payload }>(`mutation Create($i: NewAppointmentInput!) { createAppointment(input: $i) { ${PAYLOAD} } }`, { i: input });
  return unwrap<Payload>(data.createAppointment, "AppointmentPayload");
}

export async function updateAppointment(id: string, input: Omit<AppointmentInput, "fields">) {
  const data = await gql<{ updateAppointment: Payload }>(`mutation Update($id: ID!, $i: AppointmentChangesInput!) { updateAppointment(input: { id: $id, changes: $i }) { ${PAYLOAD} } }`, { id, i: input });
  return unwrap<Payload>(data.updateAppointment, "AppointmentPayload");
}

export async function saveFields(id: string, phase: Phase, fields: Record<string, unknown>) {
  const query = `mutation SaveFields($id: ID!, $p: FieldTarget!, $f: JSON!) { saveAppointmentFields(input: { id: $id, phase: $p, fields: $f }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on Appointment { ${APPOINTMENT} } } }`;
  const data = await gql<{ saveAppointmentFields: Appointment & { __typename: string } }>(query, { id, p: phase, f: fields });
  return unwrap<Appointment>(data.saveAppointmentFields, "Appointment");
}

export async function deleteAppointment(id: string) {
  const data = await gql<{ deleteAppointment: { __typename: string } }>(`mutation Delete($id: ID!) { deleteAppointment(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id });
  unwrap(data.deleteAppointment, "DeletedAppointment");
}

/**
 * Uploads a file: to a session, or (no session) for a file or image field, whose value is the
 * returned id.
 */
export async function upload(file: File, appointmentId?: string): Promise<Attachment> {
  const session = appointmentId ? `&appointmentId=${encodeURIComponent(appointmentId)}` : "";
  const response = await fetch(`/api/appointments/attachments?fileName=${encodeURIComponent(file.name)}${session}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": file.type || "application/octet-stream" },
    body: file,
  });
  const body = await response.json();
  if (!response.ok) throw new ApiError(body.error ?? `Upload failed (${response.status})`, body.code ?? "UPLOAD");
  return body;
}

export async function saveDefinition(definition: { id?: string; target: FieldTarget; key: string; type: FieldType; input: object }) {
  const result = `${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on FieldDefinition { id }`;
  if (definition.id) {
    const data = await gql<{ updateFieldDefinition: { __typename: string } }>(
      `mutation UpdateField($id: ID!, $i: FieldDefinitionInput!) { updateFieldDefinition(input: { id: $id, definition: $i }) { ${result} } }`,
      { id: definition.id, i: definition.input },
    );
    return unwrap(data.updateFieldDefinition, "FieldDefinition");
  }
  const data = await gql<{ createFieldDefinition: { __typename: string } }>(
    `mutation CreateField($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) { createFieldDefinition(input: { target: $t, key: $k, type: $ty, definition: $i }) { ${result} } }`,
    { t: definition.target, k: definition.key, ty: definition.type, i: definition.input },
  );
  return unwrap(data.createFieldDefinition, "FieldDefinition");
}

export async function archiveDefinition(id: string, archived: boolean) {
  const field = archived ? "archiveFieldDefinition" : "restoreFieldDefinition";
  const data = await gql<Record<string, { __typename: string }>>(`mutation Archive($id: ID!) { ${field}(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id });
  unwrap(data[field], "FieldDefinition");
}

export async function reorderDefinitions(target: FieldTarget, ids: string[]) {
  const data = await gql<{ reorderFieldDefinitions: { __typename: string } }>(
    `mutation Reorder($t: FieldTarget!, $ids: [ID!]!) { reorderFieldDefinitions(input: { target: $t, ids: $ids }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} } }`,
    { t: target, ids },
  );
  unwrap(data.reorderFieldDefinitions, "MutationReorderFieldDefinitionsSuccess");
}

/** Calls `changed` whenever a session the viewer may see is created, changed or deleted. */
export function watchAppointments(client: Client, on: { changed: () => void; failed: (error: unknown) => void }) {
  return client.subscribe(
    { query: `subscription AppointmentChanged { appointmentChanged { appointmentId change } }` },
    { next: () => on.changed(), error: on.failed, complete: () => {} },
  );
}

/** Problems by dotted path ("fields.vitals.0.pulse"), for showing each under its input. */
export function problemsByPath(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  return Object.fromEntries(error.problems.map((p) => [p.path.join("."), p.message]));
}

export interface Settings {
  defaultDurationMinutes: number;
  defaultStatus: Status;
  defaultTime: string;
  slotMinutes: number;
}

export async function settings(): Promise<Settings> {
  return (await gql<{ appointmentSettings: Settings }>(`{ appointmentSettings { defaultDurationMinutes defaultStatus defaultTime slotMinutes } }`)).appointmentSettings;
}

export interface FullSettings extends Settings {
  autoStatus: boolean;
  clientNamesInFeeds: boolean;
}

export async function fullSettings(): Promise<FullSettings> {
  const query = `{ appointmentSettings { defaultDurationMinutes defaultStatus defaultTime slotMinutes autoStatus clientNamesInFeeds } }`;
  return (await gql<{ appointmentSettings: FullSettings }>(query)).appointmentSettings;
}

export async function updateSettings(input: FullSettings) {
  const query = `mutation Settings($i: AppointmentSettingsInput!) { updateAppointmentSettings(input: $i) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} } }`;
  unwrap((await gql<{ updateAppointmentSettings: { __typename: string } }>(query, { i: input })).updateAppointmentSettings, "AppointmentSettings");
}

export interface Feed {
  id: string;
  scope: "MINE" | "WORKSPACE";
  createdAt: string;
  revokedAt: string | null;
}

export async function feeds(): Promise<Feed[]> {
  return (await gql<{ calendarFeeds: Feed[] }>(`{ calendarFeeds { id scope createdAt revokedAt } }`)).calendarFeeds;
}

/** A new feed; its path holds the secret and is shown only now. */
export async function createFeed(scope: Feed["scope"]): Promise<string> {
  const query = `mutation Feed($s: CalendarFeedScope!) { createCalendarFeed(input: { scope: $s }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on CreatedCalendarFeed { path } } }`;
  const data = await gql<{ createCalendarFeed: { __typename: string; path: string } }>(query, { s: scope });
  return unwrap<{ path: string }>(data.createCalendarFeed, "CreatedCalendarFeed").path;
}

export async function revokeFeed(id: string) {
  const data = await gql<{ revokeCalendarFeed: { __typename: string } }>(`mutation Revoke($id: ID!) { revokeCalendarFeed(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id });
  unwrap(data.revokeCalendarFeed, "CalendarFeed");
}

export async function saveService(input: { name: string; pricing: string; priceCents: number; currency: string }, id?: string) {
  const query = `mutation Service($id: ID, $i: AppointmentServiceInput!) { saveAppointmentService(input: { id: $id, service: $i }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} } }`;
  unwrap((await gql<{ saveAppointmentService: { __typename: string } }>(query, { id, i: input })).saveAppointmentService, "AppointmentService");
}

export async function saveClient(name: string, id?: string) {
  const result = `${ERROR_FIELDS} ${PROBLEM_FIELDS}`;
  if (id) {
    const data = await gql<{ updateClient: { __typename: string } }>(`mutation Rename($id: ID!, $n: String!) { updateClient(input: { id: $id, name: $n }) { ${result} } }`, { id, n: name });
    return unwrap(data.updateClient, "Client");
  }
  const data = await gql<{ createClient: { __typename: string } }>(`mutation AddClient($n: String!) { createClient(input: { name: $n }) { ${result} } }`, { n: name });
  return unwrap(data.createClient, "Client");
}

export async function deleteClient(id: string) {
  const data = await gql<{ deleteClient: { __typename: string } }>(`mutation DeleteClient($id: ID!) { deleteClient(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id });
  unwrap(data.deleteClient, "DeletedClient");
}

export interface Evaluation {
  id: string;
  title: string;
  createdAt: string;
  fieldValues: Record<string, unknown>;
  appointment: { id: string; name: string } | null;
}

export interface ClientHistory {
  appointments: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Appointment[] };
  evaluations: { nodes: Evaluation[] };
}

export async function clientHistory(id: string, after: string | null): Promise<ClientHistory | null> {
  const query = `query History($id: ID!, $after: String) { node(id: $id) { ... on Client {
    appointments(first: 20, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${APPOINTMENT} } }
    evaluations(first: 50) { nodes { id title createdAt fieldValues appointment { id name } } } } } }`;
  return (await gql<{ node: ClientHistory | null }>(query, { id, after })).node;
}

/** Creates an evaluation, or replaces the one with `id`. */
export async function saveEvaluation(input: { id: string | null; clientId: string; appointmentId: string | null; title: string; fields: Record<string, unknown> }) {
  const query = `mutation Evaluate($id: ID, $c: ID!, $a: ID, $t: String!, $f: JSON!) { saveEvaluation(input: { id: $id, clientId: $c, appointmentId: $a, title: $t, fields: $f }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} } }`;
  const data = await gql<{ saveEvaluation: { __typename: string } }>(query, { id: input.id, c: input.clientId, a: input.appointmentId, t: input.title, f: input.fields });
  return unwrap(data.saveEvaluation, "Evaluation");
}

export async function deleteEvaluation(id: string) {
  const data = await gql<{ deleteEvaluation: { __typename: string } }>(`mutation RemoveEvaluation($id: ID!) { deleteEvaluation(input: { id: $id }) { ${ERROR_FIELDS} } }`, { id });
  unwrap(data.deleteEvaluation, "Evaluation");
}

export async function deleteAttachment(id: string) {
  const data = await gql<{ deleteAppointmentAttachment: { __typename: string } }>(
    `mutation RemoveFile($id: ID!) { deleteAppointmentAttachment(input: { id: $id }) { ${ERROR_FIELDS} } }`,
    { id },
  );
  unwrap(data.deleteAppointmentAttachment, "AppointmentAttachment");
}

export async function freeSlots(staffId: string | null, from: string, to: string): Promise<{ start: string; end: string }[]> {
  const query = `query Free($s: ID, $f: LocalDate!, $t: LocalDate!) { freeSlots(staffId: $s, from: $f, to: $t) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} ... on QueryFreeSlotsSuccess { data { start end } } } }`;
  const data = await gql<{ freeSlots: { __typename: string; data: { start: string; end: string }[] } }>(query, { s: staffId, f: from, t: to });
  return unwrap<{ data: { start: string; end: string }[] }>(data.freeSlots, "QueryFreeSlotsSuccess").data;
}
