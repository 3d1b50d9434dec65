// The whole API: each domain registers its GraphQL types on the shared builder when imported.
// Jobs and Live board sources are gathered as lists instead, in jobs.ts and live-sources.ts.
import { builder } from "./builder.js";
import "./common/types.js";
import "./common/nodes.js";
import "./identity/types.js";
import "./live/types.js";
import "./jobs/types.js";
import "./clients/types.js";
import "./agent/timer.js";
import "./agent/sessions.js";
import "./billing/types.js";
import "./agent/entries.js";
import "./work/types.js";
import "./work/duplicates.js";
import "./work/report-types.js";
import "./appointments/fields.js";
import "./appointments/catalog.js";
import "./appointments/types.js";
import "./appointments/calendar-types.js";
import "./appointments/settings-types.js";
import "./appointments/clients.js";
import "./appointments/evaluations.js";
import "./appointments/progress-types.js";
import "./appointments/feeds.js";
import "./analytics/types.js";

export const schema = builder.toSchema({ sortSchema: true });
