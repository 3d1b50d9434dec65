import type { Db } from "../schema/common/context.js";
import { AppError } from "../schema/common/errors.js";
import { UUID } from "../schema/common/input-limits.js";
import { canRead } from "../schema/common/policy.js";
import { invoicePdf } from "../schema/billing/pdf.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import { endpoint, signedIn } from "./rest.js";

/** GET /api/invoices/<id>.pdf, for the browser (cookie) and API clients (bearer token) alike. */
export function invoicePdfRoute(db: Db, auth: Authenticator, config: Config) {
  return endpoint(async (req, res) => {
    const match = /^\/api\/invoices\/([^/]+)\.pdf$/.exec((req.url ?? "").split("?")[0]);
    if (req.method !== "GET" || !match || !UUID.test(match[1])) return void res.writeHead(404).end();
    const viewer = await signedIn(req, auth, config);
    // Same rule as the API: invoices are for billing managers of their own workspace only.
    const pdf = canRead(viewer, "invoice") ? await invoicePdf(db, viewer.workspaceId, match[1]) : null;
    if (!pdf) throw new AppError("NOT_FOUND", "No such invoice");
    res.writeHead(200, {
      "content-type": "application/pdf",
      "content-disposition": `attachment; filename="${pdf.name}"`,
      "cache-control": "private, no-store",
    });
    res.end(pdf.bytes);
  }, "text");
}
