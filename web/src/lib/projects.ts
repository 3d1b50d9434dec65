// Projects and clients as the timer, the agent sessions and the invoices pick them, and as the
// Projects page keeps them.
import type { ClientsQuery, ProjectFragment } from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";

export type Project = ProjectFragment;
export type ClientRow = ClientsQuery["clients"]["nodes"][number];

graphql(`fragment Project on Project { id name currency hourlyRateCents billAgentTime archived client { id name } }`);

/** Projects whose name or client's name contains `search` (all of them when empty); archived ones only when asked. */
export async function searchProjects(search: string, includeArchived = false): Promise<Project[]> {
  const data = await gql(
    graphql(`query Projects($search: String, $includeArchived: Boolean) { projects(search: $search, includeArchived: $includeArchived, first: 20) { nodes { ...Project } } }`),
    { search: search.trim() || null, includeArchived },
  );
  return data.projects.nodes;
}

export async function loadClients(): Promise<ClientRow[]> {
  const data = await gql(graphql(`query Clients { clients(first: 100) { nodes { id name } } }`));
  return data.clients.nodes;
}

/** Every project, archived ones too, for the Projects page. */
export async function loadProjects(): Promise<Project[]> {
  const data = await gql(graphql(`query ProjectList { projects(includeArchived: true, first: 100) { nodes { ...Project } } }`));
  return data.projects.nodes;
}

export interface ProjectChanges {
  clientId: string;
  name: string;
  hourlyRateCents: string;
  currency: string;
  billAgentTime: boolean;
}

const PROJECT_CHANGES = {
  create: graphql(`
    mutation CreateProject($clientId: ID!, $name: String!, $hourlyRateCents: Money!, $currency: String, $billAgentTime: Boolean) {
      createProject(input: { clientId: $clientId, name: $name, hourlyRateCents: $hourlyRateCents, currency: $currency, billAgentTime: $billAgentTime }) {
        __typename ...Failure ...Problems
      }
    }
  `),
  update: graphql(`
    mutation UpdateProject($id: ID!, $name: String, $hourlyRateCents: Money, $currency: String, $billAgentTime: Boolean) {
      updateProject(input: { id: $id, name: $name, hourlyRateCents: $hourlyRateCents, currency: $currency, billAgentTime: $billAgentTime }) {
        __typename ...Failure ...Problems
      }
    }
  `),
};

/** Creates a project, or changes the one `id` names (its client stays). */
export async function saveProject(changes: ProjectChanges, id: string | null) {
  if (id) unwrap((await gql(PROJECT_CHANGES.update, { id, ...changes })).updateProject, "Project");
  else unwrap((await gql(PROJECT_CHANGES.create, changes)).createProject, "Project");
}

const ARCHIVING = {
  archive: graphql(`mutation ArchiveProject($id: ID!) { archiveProject(input: { id: $id }) { __typename ...Failure } }`),
  restore: graphql(`mutation RestoreProject($id: ID!) { restoreProject(input: { id: $id }) { __typename ...Failure } }`),
};

export async function setArchived(id: string, archived: boolean) {
  if (archived) unwrap((await gql(ARCHIVING.archive, { id })).archiveProject, "Project");
  else unwrap((await gql(ARCHIVING.restore, { id })).restoreProject, "Project");
}

/** Digits after the decimal point in the currency (2 for EUR, 0 for JPY; 2 for a code Intl doesn't know). */
function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An amount typed as "90" or "90.50", in the currency's minor units ("9050"); null when it isn't one. */
export function toMinorUnits(amount: string, currency: string): string | null {
  const digits = fractionDigits(currency);
  const match = /^(\d+)(?:[.,](\d+))?$/.exec(amount.trim());
  if (!match || (match[2]?.length ?? 0) > digits) return null;
  return BigInt(match[1] + (match[2] ?? "").padEnd(digits, "0")).toString();
}

/** Minor units back to the amount as typed ("9050" → "90.50"), for editing. */
export function fromMinorUnits(minor: string, currency: string): string {
  const digits = fractionDigits(currency);
  if (!digits) return minor;
  const padded = minor.padStart(digits + 1, "0");
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
