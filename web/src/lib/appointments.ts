// Client sessions (appointments): what the calendar, list, dialogs and field pages send and read.
import type { Client } from "graphql-ws";
import type {
  AppointmentDetailsFragment,
  ClientProgressQuery,
  AppointmentChangesInput,
  AppointmentFilter,
  AppointmentFragment,
  AppointmentPayloadFragment,
  NewAppointmentInput,
  RepeatInput,
  SeriesScope,
  AppointmentServiceInput,
  AppointmentSettingsFragment,
  AppointmentStatus,
  CalendarFeedScope,
  CalendarFeedsQuery,
  CalendarQuery,
  CalendarView,
  ClientHistoryQuery,
  FieldDefinitionFragment,
  FieldDefinitionInput,
  FieldTarget,
  FieldType,
  PricingMode,
  ServicesQuery,
} from "./generated/graphql";
import { formatDayTime, formatLocalDate } from "./format";
import { ApiError, gql, graphql, subscribe, unwrap } from "./graphql";
import type { Page } from "./paged.svelte";

export type { CalendarView, FieldTarget, FieldType, PricingMode };
export type Status = AppointmentStatus;
export type Phase = Exclude<FieldTarget, "EVALUATION" | "CLIENT">;

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
export const FIELD_TYPES: FieldType[] = [
  "TEXT", "TEXTAREA", "NUMBER", "BOOLEAN", "DATE", "DATETIME", "SELECT", "MULTI_SELECT",
  "IMAGE", "FILE", "SIGNATURE", "ARRAY", "OBJECT", "TEAM_MEMBER",
];

/** A field as its JSON `validation` and sub-`fields` describe it (the API sends both as JSON). */
export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  required: boolean;
  validation: { min?: number | string; max?: number | string; minLength?: number; maxLength?: number; pattern?: string; options?: string[] };
  fields: FieldSpec[];
}

export type FieldDefinition = Omit<FieldDefinitionFragment, "validation" | "fields"> & FieldSpec;

/**
 * A saved value as words for reading (an evaluation's details): yes/no, dates as the reader writes
 * them, lists and sub-fields by their labels, a file or signature by what it is; never the JSON.
 */
export function valueText(spec: FieldSpec, value: unknown, timeZone: string, members: { id: string; name: string }[] = []): string {
  if (value == null || value === "") return "—";
  const list = Array.isArray(value) ? value : [value];
  switch (spec.type) {
    case "BOOLEAN":
      return value ? "Yes" : "No";
    case "DATE":
      return formatLocalDate(String(value));
    case "DATETIME":
      return formatDayTime(String(value), timeZone);
    case "MULTI_SELECT":
      return list.join(", ");
    case "IMAGE":
    case "FILE":
      return "File attached";
    case "SIGNATURE":
      return "Signed";
    case "TEAM_MEMBER":
      return members.find((m) => m.id === value)?.name ?? "A team member";
    case "ARRAY":
      return spec.fields[0] ? list.map((item) => valueText(spec.fields[0], item, timeZone, members)).join("; ") : list.join(", ");
    case "OBJECT": {
      const parts = value as Record<string, unknown>;
      return spec.fields.filter((f) => parts[f.key] != null).map((f) => `${f.label}: ${valueText(f, parts[f.key], timeZone, members)}`).join(", ");
    }
    default:
      return String(value);
  }
}

graphql(`
  fragment Appointment on Appointment {
    id name startsAt endsAt durationMinutes status adminNotes fieldValues recurring client { id name } staff { id name }
  }
`);
graphql(`
  fragment AppointmentDetails on Appointment {
    ...Appointment invoiced service { id name } attachments { id fileName mime size url } evaluations { id title }
  }
`);
graphql(`
  fragment FieldDefinition on FieldDefinition {
    id target key label description type required validation fields position filterable archivedAt
  }
`);

export type Appointment = AppointmentFragment;
export type AppointmentDetails = AppointmentDetailsFragment;
export type Attachment = AppointmentDetails["attachments"][number];

export async function fieldDefinitions(target: FieldTarget, includeArchived = false): Promise<FieldDefinition[]> {
  const data = await gql(
    graphql(`query Fields($t: FieldTarget!, $a: Boolean) { fieldDefinitions(target: $t, includeArchived: $a) { ...FieldDefinition } }`),
    { t: target, a: includeArchived },
  );
  // `validation` and `fields` are JSON holding what FieldSpec describes: the API validates them on every save.
  const definitions = data.fieldDefinitions as unknown as FieldDefinition[];
  return definitions.map((d) => ({ ...d, fields: d.fields.map(subField) }));
}

/** Sub-fields are JSON and spell their type lower-case (as they are typed in); the FieldType enum is upper-case. */
function subField(spec: FieldSpec): FieldSpec {
  return { ...spec, type: spec.type.toUpperCase() as FieldType, fields: (spec.fields ?? []).map(subField) };
}

export async function clients(): Promise<{ id: string; name: string }[]> {
  return (await gql(graphql(`query AppointmentClients { clients(first: 100) { nodes { id name } } }`))).clients.nodes;
}

export async function members(): Promise<{ id: string; name: string }[]> {
  const data = await gql(graphql(`query AppointmentStaff { viewer { workspace { members(first: 100) { nodes { user { id name } } } } } }`));
  return (data.viewer?.workspace.members.nodes ?? []).map((n) => n.user);
}

export type Filter = AppointmentFilter;

export type Calendar = Extract<CalendarQuery["appointmentCalendar"], { __typename: "AppointmentCalendar" }>;

export async function calendar(view: CalendarView, date: string, filter: Filter): Promise<Calendar> {
  const data = await gql(
    graphql(`
      query Calendar($v: CalendarView!, $d: LocalDate!, $f: AppointmentFilter) {
        appointmentCalendar(view: $v, date: $d, filter: $f) {
          __typename ...Failure ...Problems
          ... on AppointmentCalendar { from to timeZone slotMinutes truncated appointments { ...Appointment } }
        }
      }
    `),
    { v: view, d: date, f: filter },
  );
  return unwrap(data.appointmentCalendar, "AppointmentCalendar");
}

export async function list(from: string, to: string, filter: Filter, after: string | null): Promise<Page<Appointment>> {
  const data = await gql(
    graphql(`
      query List($f: LocalDate!, $t: LocalDate!, $filter: AppointmentFilter, $after: String) {
        appointments(from: $f, to: $t, filter: $filter, first: 25, after: $after) {
          __typename ...Failure ...Problems
          ... on QueryAppointmentsConnection { pageInfo { hasNextPage endCursor } nodes { ...Appointment } }
        }
      }
    `),
    { f: from, t: to, filter, after },
  );
  const page = unwrap(data.appointments, "QueryAppointmentsConnection");
  return { nodes: page.nodes, ...page.pageInfo };
}

/** Everything the edit dialog shows; the calendar loads only what its blocks need. */
export async function appointmentDetails(id: string): Promise<AppointmentDetails | null> {
  const { node } = await gql(graphql(`query One($id: ID!) { node(id: $id) { __typename ...AppointmentDetails } }`), { id });
  return node?.__typename === "Appointment" ? node : null;
}

export type Service = ServicesQuery["appointmentServices"][number];

export async function services(): Promise<Service[]> {
  return (await gql(graphql(`query Services { appointmentServices { id name pricing priceCents currency } }`))).appointmentServices;
}

graphql(`
  fragment AppointmentPayload on AppointmentPayload {
    appointment { ...Appointment } warnings { kind message } following { date appointment { ...Appointment } warnings { kind message } }
  }
`);

export type Warning = AppointmentPayloadFragment["warnings"][number];

export type AppointmentInput = Omit<NewAppointmentInput, "fields"> & { fields?: Record<string, unknown> };

export async function createAppointment(input: AppointmentInput) {
  const data = await gql(
    graphql(`mutation Create($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename ...Failure ...Problems ...AppointmentPayload } }`),
    { i: input },
  );
  return unwrap(data.createAppointment, "AppointmentPayload");
}

export type { RepeatInput, SeriesScope };
export type Occurrence = AppointmentPayloadFragment["following"][number];

/** Recurring sessions, all or none; each occurrence comes back with its own warnings. */
export async function createSeries(input: AppointmentInput, repeat: RepeatInput) {
  const data = await gql(
    graphql(`
      mutation CreateSeries($i: NewAppointmentSeriesInput!) {
        createAppointmentSeries(input: $i) {
          __typename ...Failure ...Problems
          ... on AppointmentSeriesPayload { occurrences { date appointment { ...Appointment } warnings { kind message } } }
        }
      }
    `),
    { i: { ...input, repeat } },
  );
  return unwrap(data.createAppointmentSeries, "AppointmentSeriesPayload").occurrences;
}

/** The local dates a repeat rule gives from `first` (as the API computes them), for a preview; at most one past `max`. */
export function repeatDates(first: string, repeat: RepeatInput, max: number): string[] {
  const dates: string[] = [];
  const start = Date.parse(`${first}T00:00:00Z`);
  if (Number.isNaN(start) || !(repeat.everyWeeks >= 1)) return dates;
  for (let i = 0; i <= max; i++) {
    const date = new Date(start + i * repeat.everyWeeks * 7 * 86_400_000).toISOString().slice(0, 10);
    if (repeat.count != null ? i >= repeat.count : !repeat.until || date > repeat.until) break;
    dates.push(date);
  }
  return dates;
}

/** Changes only what `input` gives (the calendar's drag sends the time alone). */
export async function updateAppointment(id: string, input: AppointmentChangesInput, scope: SeriesScope = "ONLY_THIS") {
  const data = await gql(
    graphql(`
      mutation Update($id: ID!, $i: AppointmentChangesInput!, $s: SeriesScope) {
        updateAppointment(input: { id: $id, changes: $i, scope: $s }) { __typename ...Failure ...Problems ...AppointmentPayload }
      }
    `),
    { id, i: input, s: scope },
  );
  return unwrap(data.updateAppointment, "AppointmentPayload");
}

export async function saveFields(id: string, phase: Phase, fields: Record<string, unknown>) {
  const data = await gql(
    graphql(`
      mutation SaveFields($id: ID!, $p: FieldTarget!, $f: JSON!) {
        saveAppointmentFields(input: { id: $id, phase: $p, fields: $f }) { __typename ...Failure ...Problems ...Appointment }
      }
    `),
    { id, p: phase, f: fields },
  );
  return unwrap(data.saveAppointmentFields, "Appointment");
}

export async function deleteAppointment(id: string) {
  const data = await gql(graphql(`mutation Delete($id: ID!) { deleteAppointment(input: { id: $id }) { __typename ...Failure } }`), { id });
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

const FIELD_CHANGES = {
  create: graphql(`
    mutation CreateField($t: FieldTarget!, $k: String!, $ty: FieldType!, $i: FieldDefinitionInput!) {
      createFieldDefinition(input: { target: $t, key: $k, type: $ty, definition: $i }) { __typename ...Failure ...Problems ... on FieldDefinition { id } }
    }
  `),
  update: graphql(`
    mutation UpdateField($id: ID!, $i: FieldDefinitionInput!) {
      updateFieldDefinition(input: { id: $id, definition: $i }) { __typename ...Failure ...Problems ... on FieldDefinition { id } }
    }
  `),
};

export async function saveDefinition(definition: { id?: string; target: FieldTarget; key: string; type: FieldType; input: FieldDefinitionInput }) {
  if (definition.id) {
    const data = await gql(FIELD_CHANGES.update, { id: definition.id, i: definition.input });
    return unwrap(data.updateFieldDefinition, "FieldDefinition");
  }
  const data = await gql(FIELD_CHANGES.create, { t: definition.target, k: definition.key, ty: definition.type, i: definition.input });
  return unwrap(data.createFieldDefinition, "FieldDefinition");
}

const ARCHIVING = {
  archive: graphql(`mutation Archive($id: ID!) { result: archiveFieldDefinition(input: { id: $id }) { __typename ...Failure } }`),
  restore: graphql(`mutation Restore($id: ID!) { result: restoreFieldDefinition(input: { id: $id }) { __typename ...Failure } }`),
};

export async function archiveDefinition(id: string, archived: boolean) {
  const { result } = await gql(archived ? ARCHIVING.archive : ARCHIVING.restore, { id });
  unwrap(result, "FieldDefinition");
}

export async function reorderDefinitions(target: FieldTarget, ids: string[]) {
  const data = await gql(
    graphql(`mutation Reorder($t: FieldTarget!, $ids: [ID!]!) { reorderFieldDefinitions(input: { target: $t, ids: $ids }) { __typename ...Failure ...Problems } }`),
    { t: target, ids },
  );
  unwrap(data.reorderFieldDefinitions, "MutationReorderFieldDefinitionsSuccess");
}

const CHANGED = graphql(`subscription AppointmentChanged { appointmentChanged { appointmentId change } }`);

/** Calls `changed` whenever a session the viewer may see is created, changed or deleted. */
export function watchAppointments(client: Client, on: { changed: () => void; failed: (error: unknown) => void }) {
  return subscribe(client, CHANGED, { data: () => on.changed(), failed: on.failed });
}

/** Problems by dotted path ("fields.vitals.0.pulse"), for showing each under its input. */
export function problemsByPath(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  return Object.fromEntries(error.problems.map((p) => [p.path.join("."), p.message]));
}

graphql(`fragment AppointmentSettings on AppointmentSettings { defaultDurationMinutes defaultStatus defaultTime slotMinutes autoStatus clientNamesInFeeds }`);

export type FullSettings = AppointmentSettingsFragment;
/** What the booking dialog takes its defaults from. */
export type Settings = Pick<FullSettings, "defaultDurationMinutes" | "defaultStatus" | "defaultTime" | "slotMinutes">;

export async function fullSettings(): Promise<FullSettings> {
  return (await gql(graphql(`query AppointmentSettings { appointmentSettings { ...AppointmentSettings } }`))).appointmentSettings;
}

/** The booking dialog's defaults. */
export const settings: () => Promise<Settings> = fullSettings;

export async function updateSettings(input: FullSettings) {
  const data = await gql(
    graphql(`
      mutation Settings($i: AppointmentSettingsInput!) { updateAppointmentSettings(input: $i) { __typename ...Failure ...Problems } }
    `),
    { i: input },
  );
  unwrap(data.updateAppointmentSettings, "AppointmentSettings");
}

export type Feed = CalendarFeedsQuery["calendarFeeds"][number];

export async function feeds(): Promise<Feed[]> {
  return (await gql(graphql(`query CalendarFeeds { calendarFeeds { id scope createdAt revokedAt } }`))).calendarFeeds;
}

/** A new feed; its path holds the secret and is shown only now. */
export async function createFeed(scope: CalendarFeedScope): Promise<string> {
  const data = await gql(
    graphql(`
      mutation Feed($s: CalendarFeedScope!) {
        createCalendarFeed(input: { scope: $s }) { __typename ...Failure ...Problems ... on CreatedCalendarFeed { path } }
      }
    `),
    { s: scope },
  );
  return unwrap(data.createCalendarFeed, "CreatedCalendarFeed").path;
}

export async function revokeFeed(id: string) {
  const data = await gql(graphql(`mutation Revoke($id: ID!) { revokeCalendarFeed(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(data.revokeCalendarFeed, "CalendarFeed");
}

export async function saveService(input: AppointmentServiceInput, id?: string) {
  const data = await gql(
    graphql(`
      mutation Service($id: ID, $i: AppointmentServiceInput!) { saveAppointmentService(input: { id: $id, service: $i }) { __typename ...Failure ...Problems } }
    `),
    { id, i: input },
  );
  unwrap(data.saveAppointmentService, "AppointmentService");
}

const CLIENT_CHANGES = {
  rename: graphql(`mutation Rename($id: ID!, $n: String!) { updateClient(input: { id: $id, name: $n }) { __typename ...Failure ...Problems } }`),
  add: graphql(`mutation AddClient($n: String!) { createClient(input: { name: $n }) { __typename ...Failure ...Problems } }`),
};

export async function saveClient(name: string, id?: string) {
  if (id) unwrap((await gql(CLIENT_CHANGES.rename, { id, n: name })).updateClient, "Client");
  else unwrap((await gql(CLIENT_CHANGES.add, { n: name })).createClient, "Client");
}

export async function deleteClient(id: string) {
  const data = await gql(graphql(`mutation DeleteClient($id: ID!) { deleteClient(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(data.deleteClient, "DeletedClient");
}

export type ClientHistory = Extract<NonNullable<ClientHistoryQuery["node"]>, { __typename: "Client" }>;
export type Evaluation = ClientHistory["evaluations"]["nodes"][number];

export async function clientHistory(id: string, after: string | null): Promise<ClientHistory | null> {
  const { node } = await gql(
    graphql(`
      query ClientHistory($id: ID!, $after: String) {
        node(id: $id) {
          __typename
          ... on Client {
            fieldValues
            appointments(first: 20, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Appointment } }
            evaluations(first: 50) { nodes { id title createdAt fieldValues appointment { id name } } }
          }
        }
      }
    `),
    { id, after },
  );
  return node?.__typename === "Client" ? node : null;
}

export type ClientProgress = Extract<ClientProgressQuery["clientProgress"], { __typename: "ClientProgress" }>;

/** A client's progress report for a date range; a bad range answers problems on `from`/`to`. */
export async function clientProgress(clientId: string, from: string, to: string): Promise<ClientProgress> {
  const data = await gql(
    graphql(`
      query ClientProgress($c: ID!, $f: LocalDate!, $t: LocalDate!) {
        clientProgress(clientId: $c, from: $f, to: $t) {
          __typename ...Failure ...Problems
          ... on ClientProgress {
            client { id name } from to attended pdfUrl
            statusCounts { status count }
            sessions { id name startsAt status adminNotes staff { name } }
            series { field { id key label type } points { at number text } }
            evaluations { id title createdAt }
          }
        }
      }
    `),
    { c: clientId, f: from, t: to },
  );
  return unwrap(data.clientProgress, "ClientProgress");
}

/** Replaces a client's profile fields; problems name `fields.<key>`. */
export async function saveClientFields(id: string, fields: Record<string, unknown>) {
  const data = await gql(
    graphql(`mutation SaveClientFields($id: ID!, $f: JSON!) { saveClientFields(input: { id: $id, fields: $f }) { __typename ...Failure ...Problems } }`),
    { id, f: fields },
  );
  return unwrap(data.saveClientFields, "Client");
}

/** Clients whose filterable profile fields hold these values, by name. */
export async function clientsByFields(fields: Record<string, string | number | boolean>): Promise<{ id: string; name: string }[]> {
  const data = await gql(graphql(`query ClientsByFields($f: JSON!) { clientsByFields(fields: $f, first: 200) { nodes { id name } } }`), { f: fields });
  return data.clientsByFields.nodes;
}

/** Creates an evaluation, or replaces the one with `id`. */
export async function saveEvaluation(input: { id: string | null; clientId: string; appointmentId: string | null; title: string; fields: Record<string, unknown> }) {
  const data = await gql(
    graphql(`
      mutation Evaluate($id: ID, $c: ID!, $a: ID, $t: String!, $f: JSON!) {
        saveEvaluation(input: { id: $id, clientId: $c, appointmentId: $a, title: $t, fields: $f }) { __typename ...Failure ...Problems }
      }
    `),
    { id: input.id, c: input.clientId, a: input.appointmentId, t: input.title, f: input.fields },
  );
  return unwrap(data.saveEvaluation, "Evaluation");
}

export async function deleteEvaluation(id: string) {
  const data = await gql(graphql(`mutation RemoveEvaluation($id: ID!) { deleteEvaluation(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(data.deleteEvaluation, "Evaluation");
}

export async function deleteAttachment(id: string) {
  const data = await gql(graphql(`mutation RemoveFile($id: ID!) { deleteAppointmentAttachment(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(data.deleteAppointmentAttachment, "AppointmentAttachment");
}

export async function freeSlots(staffId: string | null, from: string, to: string): Promise<{ start: string; end: string }[]> {
  const data = await gql(
    graphql(`
      query Free($s: ID, $f: LocalDate!, $t: LocalDate!) {
        freeSlots(staffId: $s, from: $f, to: $t) { __typename ...Failure ...Problems ... on QueryFreeSlotsSuccess { data { start end } } }
      }
    `),
    { s: staffId, f: from, t: to },
  );
  return unwrap(data.freeSlots, "QueryFreeSlotsSuccess").data;
}
