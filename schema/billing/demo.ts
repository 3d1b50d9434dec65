// Demo invoices for the demo client, made by the invoicing itself (numbers, lines and totals as it
// makes them): the week before last issued, last week still a draft, this week not billed yet.
import type { DateTime } from "luxon";
import type { Services } from "../common/context.js";
import type { DemoCalendar } from "../common/demo.js";
import { datesPeriod } from "./rules.js";
import { generateInvoices, setInvoiceStatus } from "./service.js";

export async function seedBillingDemo(services: Services, calendar: DemoCalendar, clientId: string) {
  const week = (monday: DateTime) => datesPeriod(monday.toISODate()!, monday.plus({ days: 6 }).toISODate()!, calendar.timeZone);
  const thisWeek = calendar.today.startOf("week");
  const [issued] = await generateInvoices(services, calendar.workspaceId, week(thisWeek.minus({ weeks: 2 })), clientId);
  if (issued) await setInvoiceStatus(services, calendar.workspaceId, issued, "issued", calendar.now);
  await generateInvoices(services, calendar.workspaceId, week(thisWeek.minus({ weeks: 1 })), clientId);
}
