// The progress report's GraphQL: clientProgress(clientId, from, to).
import { builder } from "../builder.js";
import { ValidationError, NotFoundError } from "../common/errors.js";
import { ClientRef } from "../clients/types.js";
import { EvaluationRef } from "./evaluations.js";
import { FieldDefinitionRef } from "./fields.js";
import { progressOf, type ProgressReport } from "./progress.js";
import { AppointmentRef, AppointmentStatusEnum } from "./types.js";
import type { ProgressPoint } from "./rules.js";

const STATUSES = ["scheduled", "in_progress", "completed", "cancelled"] as const;

const StatusCountRef = builder.objectRef<{ status: (typeof STATUSES)[number]; count: number }>("AppointmentStatusCount").implement({
  fields: (t) => ({
    status: t.field({ type: AppointmentStatusEnum, resolve: (c) => c.status }),
    count: t.exposeInt("count"),
  }),
});

const PointRef = builder.objectRef<ProgressPoint>("ProgressPoint").implement({
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime", description: "The session's start, or when the evaluation was made." }),
    number: t.float({ nullable: true, resolve: (p) => (typeof p.value === "number" ? p.value : null) }),
    text: t.string({ nullable: true, description: "A choice field's value.", resolve: (p) => (typeof p.value === "string" ? p.value : null) }),
  }),
});

const SeriesRef = builder.objectRef<ProgressReport["series"][number]>("ProgressSeries").implement({
  fields: (t) => ({
    field: t.field({ type: FieldDefinitionRef, resolve: (s) => s.field }),
    points: t.field({ type: [PointRef], resolve: (s) => s.points }),
  }),
});

const ReportRef = builder.objectRef<ProgressReport>("ClientProgress").implement({
  description: "A client's sessions, outcomes over time and evaluations within a date range (workspace time zone).",
  fields: (t) => ({
    client: t.field({ type: ClientRef, resolve: (r) => r.client }),
    from: t.expose("from", { type: "LocalDate" }),
    to: t.expose("to", { type: "LocalDate" }),
    attended: t.int({ description: "Sessions completed.", resolve: (r) => r.sessions.filter((s) => s.status === "completed").length }),
    statusCounts: t.field({
      type: [StatusCountRef],
      resolve: (r) => STATUSES.map((status) => ({ status, count: r.sessions.filter((s) => s.status === status).length })),
    }),
    sessions: t.field({ type: [AppointmentRef], description: "Oldest first, the viewer's own unless they see the team's.", resolve: (r) => r.sessions }),
    series: t.field({ type: [SeriesRef], description: "Each number or single-choice field's values over time (sessions not cancelled, and evaluations).", resolve: (r) => r.series }),
    evaluations: t.field({ type: [EvaluationRef], resolve: (r) => r.evaluations }),
    pdfUrl: t.string({
      description: "The report as PDF (same origin; the session cookie or a bearer token).",
      resolve: (r) => `/api/appointments/clients/${r.client.id}/progress.pdf?from=${r.from}&to=${r.to}`,
    }),
  }),
});

builder.queryField("clientProgress", (t) =>
  t.field({
    type: ReportRef,
    description: "A client's progress report: at most a year.",
    authScopes: { permission: "session.read" },
    errors: { types: [ValidationError, NotFoundError] },
    // Read as text: an ID of no client is a problem at this argument, not a request error.
    args: { clientId: t.arg.id({ description: "A Client's ID." }), from: t.arg({ type: "LocalDate" }), to: t.arg({ type: "LocalDate" }) },
    resolve: (_r, args, ctx) => progressOf(ctx, String(args.clientId), args.from, args.to),
  }),
);
