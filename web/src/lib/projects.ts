// Projects and clients as the timer, the agent sessions and the invoices pick them.
import type { ClientsQuery, ProjectFragment } from "./generated/graphql";
import { gql, graphql } from "./graphql";

export type Project = ProjectFragment;
export type ClientRow = ClientsQuery["clients"]["nodes"][number];

graphql(`fragment Project on Project { id name currency hourlyRateCents billAgentTime client { id name } }`);

/** Projects whose name or client's name contains `search` (all of them when empty). */
export async function searchProjects(search: string): Promise<Project[]> {
  const data = await gql(
    graphql(`query Projects($search: String) { projects(search: $search, first: 20) { nodes { ...Project } } }`),
    { search: search.trim() || null },
  );
  return data.projects.nodes;
}

export async function loadClients(): Promise<ClientRow[]> {
  const data = await gql(graphql(`query Clients { clients(first: 100) { nodes { id name } } }`));
  return data.clients.nodes;
}
