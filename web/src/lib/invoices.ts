import { ERROR_FIELDS, gql, unwrap } from "./graphql";

export type InvoiceStatus = "DRAFT" | "ISSUED" | "PAID" | "VOID";
export const INVOICE_STATUSES: InvoiceStatus[] = ["DRAFT", "ISSUED", "PAID", "VOID"];
export const STATUS_LABELS: Record<InvoiceStatus, string> = { DRAFT: "Draft", ISSUED: "Issued", PAID: "Paid", VOID: "Void" };

export interface InvoiceLine {
  position: number;
  description: string;
  date: string;
  quantitySeconds: number;
  rateCents: string;
  amountCents: string;
}

export interface Invoice {
  id: string;
  number: number;
  status: InvoiceStatus;
  client: { id: string; name: string };
  currency: string;
  periodStart: string;
  periodEnd: string;
  subtotalCents: string;
  taxRateBp: number;
  taxCents: string;
  totalCents: string;
  createdAt: string;
  issuedAt: string | null;
  paidAt: string | null;
  voidedAt: string | null;
  pdfUrl: string;
}

export type InvoiceWithLines = Invoice & { lines: InvoiceLine[] };

export const INVOICE = `id number status client { id name } currency periodStart periodEnd subtotalCents taxRateBp taxCents totalCents
  createdAt issuedAt paidAt voidedAt pdfUrl`;
export const INVOICE_WITH_LINES = `${INVOICE} lines { position description date quantitySeconds rateCents amountCents }`;

const MUTATIONS = { ISSUED: "issueInvoice", PAID: "markInvoicePaid", VOID: "voidInvoice" } as const;

/** draft -> issued -> paid; draft or issued -> void. */
export async function setInvoiceStatus(id: string, to: keyof typeof MUTATIONS): Promise<InvoiceWithLines> {
  const field = MUTATIONS[to];
  const data = await gql<Record<string, { __typename: string }>>(
    `mutation SetInvoiceStatus($id: ID!) { ${field}(input: { id: $id }) { ${ERROR_FIELDS} ... on Invoice { ${INVOICE_WITH_LINES} } } }`,
    { id },
  );
  return unwrap<InvoiceWithLines>(data[field], "Invoice");
}

/** "19%" from basis points, "7.5%" for 750. */
export function formatTaxRate(bp: number) {
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(bp / 100)}%`;
}
