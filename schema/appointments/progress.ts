// A client's progress report (a practice's use case): for a date range, the sessions and how they
// went, each number or choice field over time, and the evaluations; on screen, printed, or as PDF.
import type { Appointment, Client, Evaluation, FieldDefinition, User } from "../../prisma/generated/client.js";
import type { Context, Db, Viewer } from "../common/context.js";
import { NotFoundError, Problems, ValidationError } from "../common/errors.js";
import { localId } from "../common/input-limits.js";
import { rowsWhere } from "../common/policy.js";
import { dateRange, daysBetween } from "../common/time.js";
import { listDefinitions } from "./fields.js";
import { progressSeries, type ProgressPoint } from "./rules.js";

/** A year at most: a report is read by people, and a longer one is two reports. */
const MAX_DAYS = 366;

export interface ProgressReport {
  client: Client;
  from: string;
  to: string;
  timeZone: string;
  sessions: (Appointment & { staff: User; client: Client })[];
  evaluations: Evaluation[];
  series: { field: FieldDefinition; points: ProgressPoint[] }[];
}

export function checkRange(from: string, to: string) {
  const problems = new Problems();
  if (to < from) problems.add("to", "Must not be before from");
  else if (daysBetween(from, to) >= MAX_DAYS) problems.add("to", `At most ${MAX_DAYS} days`);
  problems.throwIfAny();
}

/** The report as the viewer may see it: their sessions (all, with team.read) and evaluations. */
export async function progressReport(db: Db, viewer: Viewer, clientId: string, from: string, to: string): Promise<ProgressReport> {
  checkRange(from, to);
  const client = await db.client.findFirst({ where: { id: clientId, ...rowsWhere(viewer, "client") } });
  if (!client) throw new NotFoundError("Client");
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: viewer.workspaceId } });
  const range = dateRange(from, to, workspace.timeZone);
  const [sessions, evaluations, definitions] = await Promise.all([
    db.appointment.findMany({
      where: { ...rowsWhere(viewer, "appointment"), clientId, startsAt: { gte: range.start, lt: range.end } },
      include: { staff: true, client: true },
      orderBy: [{ startsAt: "asc" }, { id: "asc" }],
    }),
    db.evaluation.findMany({ where: { ...rowsWhere(viewer, "evaluation"), clientId, createdAt: { gte: range.start, lt: range.end } }, orderBy: { createdAt: "asc" } }),
    listDefinitions(db, viewer.workspaceId, ["pre_session", "during_session", "post_session", "evaluation"], false),
  ]);
  const records = [
    ...sessions.filter((s) => s.status !== "cancelled").map((s) => ({ at: s.startsAt, values: s.fieldValues as Record<string, unknown> })),
    ...evaluations.map((e) => ({ at: e.createdAt, values: e.fieldValues as Record<string, unknown> })),
  ];
  return { client, from, to, timeZone: workspace.timeZone, sessions, evaluations, series: progressSeries(definitions, records) };
}

/** The report for the client's global ID as sent: a malformed one, or another kind's, is a problem at `clientId`. */
export async function progressOf(ctx: Context, clientId: string, from: string, to: string) {
  const id = localId(clientId, "Client");
  if (!id) throw ValidationError.field("clientId", "No such client in this workspace");
  return progressReport(ctx.db, ctx.viewer!, id, from, to);
}
