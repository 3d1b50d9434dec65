import type { Services } from "../schema/common/context.js";
import { NotFoundError } from "../schema/common/errors.js";
import { localId } from "../schema/common/input-limits.js";
import { monthlyReportCsv } from "../schema/work/report-types.js";
import type { Authenticator } from "./auth.js";
import type { Config } from "../platform/config.js";
import { endpoint, signedIn } from "./rest.js";

/** GET /api/work/report.csv?month=YYYY-MM&employee=<User ID>: the monthly report as a download. */
export function workReportRoute(services: Services, auth: Authenticator, config: Config) {
  return endpoint(async (req, res) => {
    const viewer = await signedIn(req, auth, config);
    const params = new URL(req.url ?? "", "http://x").searchParams;
    const employee = params.get("employee");
    const employeeId = employee ? localId(employee, "User") : undefined;
    if (employeeId === null) throw new NotFoundError("Employee");
    const report = await monthlyReportCsv({ ...services, viewer }, params.get("month") ?? "", employeeId);
    res.writeHead(200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${report.fileName}"`,
      "cache-control": "private, no-store",
    });
    res.end(report.csv);
  }, "text");
}
