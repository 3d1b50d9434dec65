// Invoices: the list, one invoice with its lines, generating and creating them, and billing settings.
import type { BillingSettingsFragment, InvoiceFragment, InvoiceStatus, InvoiceWithLinesFragment } from "./generated/graphql";
import { gql, graphql, isInvalidId, unwrap } from "./graphql";
import type { Page } from "./paged.svelte";

export type { InvoiceStatus };
export type Invoice = InvoiceFragment;
export type InvoiceWithLines = InvoiceWithLinesFragment;
export type BillingSettings = BillingSettingsFragment;

export const INVOICE_STATUSES: InvoiceStatus[] = ["DRAFT", "ISSUED", "PAID", "VOID"];
export const STATUS_LABELS: Record<InvoiceStatus, string> = { DRAFT: "Draft", ISSUED: "Issued", PAID: "Paid", VOID: "Void" };

graphql(`
  fragment Invoice on Invoice {
    id number status client { id name } currency periodStart periodEnd subtotalCents taxRateBp taxCents totalCents
    createdAt issuedAt paidAt voidedAt pdfUrl
  }
`);
graphql(`
  fragment InvoiceWithLines on Invoice {
    ...Invoice lines { position description date quantitySeconds rateCents amountCents }
  }
`);
graphql(`fragment BillingSettings on BillingSettings { rounding roundingMinutes taxRateBp }`);

// A literal in the query: the API's cost limit counts literal page sizes, not variables.
const INVOICES = graphql(`
  query Invoices($status: InvoiceStatus, $after: String) {
    invoices(status: $status, first: 25, after: $after) { nodes { ...Invoice } pageInfo { hasNextPage endCursor } }
  }
`);

export async function fetchInvoices(status: InvoiceStatus | null, after: string | null): Promise<Page<Invoice>> {
  const { invoices } = await gql(INVOICES, { status, after });
  return { nodes: invoices.nodes, ...invoices.pageInfo };
}

const INVOICE = graphql(`query Invoice($id: ID!) { node(id: $id) { __typename ...InvoiceWithLines } }`);

/** null when there is no such invoice (or the id is not one of ours at all). */
export async function findInvoice(id: string): Promise<InvoiceWithLines | null> {
  const data = await gql(INVOICE, { id }).catch((error) => {
    if (isInvalidId(error)) return { node: null };
    throw error;
  });
  return data.node?.__typename === "Invoice" ? data.node : null;
}

const STATUS_CHANGES = {
  ISSUED: graphql(`mutation IssueInvoice($id: ID!) { result: issueInvoice(input: { id: $id }) { __typename ...Failure ...InvoiceWithLines } }`),
  PAID: graphql(`mutation MarkInvoicePaid($id: ID!) { result: markInvoicePaid(input: { id: $id }) { __typename ...Failure ...InvoiceWithLines } }`),
  VOID: graphql(`mutation VoidInvoice($id: ID!) { result: voidInvoice(input: { id: $id }) { __typename ...Failure ...InvoiceWithLines } }`),
};

/** draft -> issued -> paid; draft or issued -> void. */
export async function setInvoiceStatus(id: string, to: keyof typeof STATUS_CHANGES): Promise<InvoiceWithLines> {
  const { result } = await gql(STATUS_CHANGES[to], { id });
  return unwrap(result, "Invoice");
}

/** Queues the month-end invoicing job; answers the month it queued. */
export async function generateInvoices(month: string): Promise<string> {
  const { generateInvoices } = await gql(
    graphql(`
      mutation GenerateInvoices($month: String!) {
        generateInvoices(input: { month: $month }) { __typename ...Failure ...Problems ... on InvoiceGeneration { month } }
      }
    `),
    { month },
  );
  return unwrap(generateInvoices, "InvoiceGeneration").month;
}

/** Invoices a client's unbilled time in the range: one invoice per currency. */
export async function createInvoice(clientId: string, from: string, to: string): Promise<Invoice[]> {
  const { createInvoice } = await gql(
    graphql(`
      mutation CreateInvoice($clientId: ID!, $from: LocalDate!, $to: LocalDate!) {
        createInvoice(input: { clientId: $clientId, from: $from, to: $to }) {
          __typename ...Failure ...Problems ... on MutationCreateInvoiceSuccess { data { ...Invoice } }
        }
      }
    `),
    { clientId, from, to },
  );
  return unwrap(createInvoice, "MutationCreateInvoiceSuccess").data;
}

export async function fetchBillingSettings(): Promise<BillingSettings> {
  return (await gql(graphql(`query BillingSettings { billingSettings { ...BillingSettings } }`))).billingSettings;
}

export async function updateBillingSettings(settings: BillingSettings): Promise<BillingSettings> {
  const { updateBillingSettings } = await gql(
    graphql(`
      mutation UpdateBillingSettings($rounding: RoundingMode!, $roundingMinutes: Int, $taxRateBp: Int!) {
        updateBillingSettings(input: { rounding: $rounding, roundingMinutes: $roundingMinutes, taxRateBp: $taxRateBp }) {
          __typename ...Failure ...Problems ...BillingSettings
        }
      }
    `),
    settings,
  );
  return unwrap(updateBillingSettings, "BillingSettings");
}

/** "19%" from basis points, "7.5%" for 750. */
export function formatTaxRate(bp: number) {
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(bp / 100)}%`;
}
