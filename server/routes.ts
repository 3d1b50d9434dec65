// Every plain HTTP endpoint the API process serves, in one list: main.ts mounts exactly these, and
// the authorization matrix test checks each of them has its row.
import { MAX_ATTACHMENT_BYTES } from "../schema/appointments/storage.js";
import { MAX_SCREENSHOT_BYTES } from "../schema/work/screenshots.js";
import { analyticsEventsRoute, analyticsIntake, MAX_EVENTS_BODY_BYTES } from "./analytics-events.js";
import { postHogRoute, segmentRoute } from "./analytics-sdks.js";
import { appointmentAttachmentsRoute } from "./appointment-attachments.js";
import { appointmentFeedsRoute } from "./appointment-feeds.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import type { GraphQLServer } from "./graphql.js";
import type { Health } from "./health.js";
import { invoicePdfRoute } from "./invoice-pdf.js";
import { progressPdfRoute } from "./progress-pdf.js";
import { createMcpRoute } from "./mcp/http.js";
import { type Metrics, metricsRoute } from "./metrics.js";
import type { PlainRoute } from "./rest.js";
import type { Runtime } from "../platform/services.js";
import { MAX_IMPORT_BYTES, workEventsRoute, workImportRoute } from "./work-events.js";
import { workReportRoute } from "./work-report.js";
import { screenshotsRoute } from "./screenshots.js";

export interface RouteDeps {
  runtime: Runtime;
  auth: Authenticator;
  config: Config;
  yoga: GraphQLServer;
  health: Health;
  metrics: Metrics;
}

export function plainRoutes({ runtime, auth, config, yoga, health, metrics }: RouteDeps): PlainRoute[] {
  const intake = analyticsIntake(runtime, config, health, metrics);
  const postHog = postHogRoute(intake);
  const events = (path: string, handle: PlainRoute["handle"]) => ({ path, handle, maxBodyBytes: MAX_EVENTS_BODY_BYTES });
  return [
    // Operations and AI agents.
    { path: "/metrics", handle: metricsRoute(metrics, config.metricsToken) },
    { path: "/mcp", handle: createMcpRoute(yoga) },
    // Work sessions: the desktop app's events, imports, screenshots, and the monthly report.
    { path: "/api/work/events", handle: workEventsRoute(runtime, auth, config, metrics) },
    { path: "/api/work/import", handle: workImportRoute(runtime, auth, config), maxBodyBytes: MAX_IMPORT_BYTES },
    { path: "/api/work/report.csv", handle: workReportRoute(runtime, auth, config) },
    { path: "/api/work/screenshots", handle: screenshotsRoute(runtime, auth, config), maxBodyBytes: MAX_SCREENSHOT_BYTES },
    // Client sessions: files and calendar feeds.
    { path: "/api/appointments/attachments", handle: appointmentAttachmentsRoute(runtime, auth, config), maxBodyBytes: MAX_ATTACHMENT_BYTES },
    { path: "/api/appointments/feeds", handle: appointmentFeedsRoute(runtime) },
    { path: "/api/appointments/clients", handle: progressPdfRoute(runtime.db, auth, config) },
    // Billing.
    { path: "/api/invoices", handle: invoicePdfRoute(runtime.db, auth, config) },
    // Product analytics; the SDKs teams already run post to these paths of their service's host.
    events("/api/events", analyticsEventsRoute(intake)),
    events("/v1", segmentRoute(intake)),
    events("/batch", postHog),
    events("/capture", postHog),
    events("/e", postHog),
  ];
}
