import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../schema/common/context.js";
import { AppError, NotFoundError } from "../schema/common/errors.js";
import { localId } from "../schema/common/input-limits.js";
import { reportCsv } from "../schema/work/reports.js";
import { monthlyReport } from "../schema/work/report-types.js";
import { type Authenticator, viewerOfRequest } from "./auth.js";
import type { Config } from "../platform/config.js";

const STATUS: Record<string, number> = { VALIDATION: 400, FORBIDDEN: 403, NOT_FOUND: 404 };

/** GET /api/work/report.csv?month=YYYY-MM&employee=<User ID>: the monthly report as a download. */
export function workReportRoute(services: Services, auth: Authenticator, config: Config) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const viewer = await viewerOfRequest(req, auth, config.allowedOrigins);
    if (!viewer) return void res.writeHead(401, { "content-type": "text/plain" }).end("Sign in or send a token");
    const params = new URL(req.url ?? "", "http://x").searchParams;
    try {
      const employee = params.get("employee");
      const employeeId = employee ? localId(employee, "User") : undefined;
      if (employeeId === null) throw new NotFoundError("Employee");
      const report = await monthlyReport({ ...services, viewer }, params.get("month") ?? "", employeeId);
      const user = await services.db.user.findUniqueOrThrow({ where: { id: report.userId } });
      res.writeHead(200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="work-${report.month}-${user.name.replace(/[^\w-]+/g, "_")}.csv"`,
        "cache-control": "private, no-store",
      });
      res.end(reportCsv(user.name, report));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      res.writeHead(STATUS[error.code] ?? 400, { "content-type": "text/plain" }).end(error.message);
    }
  };
}
