import { DateTime } from "luxon";
import type { JobDefinition } from "../common/jobs.js";
import { monthPeriod, previousMonth } from "./rules.js";
import { generateInvoices } from "./service.js";

export const GENERATE = "billing.generate";

/** Drafts one workspace's invoices for one month; safe to run any number of times. */
const generate: JobDefinition = {
  name: GENERATE,
  async process({ workspaceId, month }: { workspaceId: string; month: string }, services) {
    const workspace = await services.db.workspace.findUnique({ where: { id: workspaceId } });
    if (!workspace) return; // deleted since: nothing to bill
    await generateInvoices(services, workspaceId, monthPeriod(month, workspace.timeZone));
  },
};

/** On the first day of a month where the workspace is, the month that just ended; otherwise null. */
export function monthToInvoice(now: Date, timeZone: string): string | null {
  return DateTime.fromJSDate(now, { zone: timeZone }).day === 1 ? previousMonth(now, timeZone) : null;
}

/**
 * Hourly: wherever it is now the first day of a month, draft last month's invoices. Hourly rather
 * than at one instant because every workspace's midnight is at a different time.
 */
const monthEnd: JobDefinition = {
  name: "billing.monthEnd",
  repeat: { pattern: "7 * * * *" },
  async process(_payload, services) {
    const now = new Date();
    const workspaces = await services.db.workspace.findMany({ select: { id: true, timeZone: true } });
    for (const w of workspaces) {
      const month = monthToInvoice(now, w.timeZone);
      if (!month) continue;
      await services.jobs.enqueue(GENERATE, { workspaceId: w.id, month }, { dedupeKey: `invoices:${w.id}:${month}` });
    }
  },
};

export const jobs = [generate, monthEnd];
