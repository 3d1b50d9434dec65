import type { Db } from "../schema/common/context.js";
import { AppError } from "../schema/common/errors.js";
import { localDateProblem, UUID } from "../schema/common/input-limits.js";
import { can } from "../schema/common/policy.js";
import { progressReport } from "../schema/appointments/progress.js";
import { progressPdf } from "../schema/appointments/progress-pdf.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import { endpoint, signedIn } from "./rest.js";

/** GET /api/appointments/clients/<id>/progress.pdf?from=YYYY-MM-DD&to=YYYY-MM-DD: the progress report as PDF. */
export function progressPdfRoute(db: Db, auth: Authenticator, config: Config) {
  return endpoint(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const match = /^\/api\/appointments\/clients\/([^/]+)\/progress\.pdf$/.exec(url.pathname);
    if (req.method !== "GET" || !match || !UUID.test(match[1])) return void res.writeHead(404).end();
    const viewer = await signedIn(req, auth, config);
    // Same rule as clientProgress: client sessions' readers, each seeing what the policy lets them.
    if (!can(viewer, "session.read")) throw new AppError("NOT_FOUND", "No such client");
    const [from, to] = ["from", "to"].map((k) => url.searchParams.get(k) ?? "");
    for (const [name, value] of [["from", from], ["to", to]]) {
      const problem = localDateProblem(value);
      if (problem) throw new AppError("VALIDATION", `${name} ${problem}`);
    }
    const pdf = await progressPdf(await progressReport(db, viewer, match[1], from, to));
    res.writeHead(200, { "content-type": "application/pdf", "content-disposition": `attachment; filename="${pdf.name}"`, "cache-control": "private, no-store" });
    res.end(pdf.bytes);
  }, "text");
}
