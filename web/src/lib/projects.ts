import { gql } from "./graphql";

export interface Project {
  id: string;
  name: string;
  currency: string;
  hourlyRateCents: string;
  billAgentTime: boolean;
  client: { id: string; name: string };
}

export interface ClientRow {
  id: string;
  name: string;
}

const PROJECT = "id name currency hourlyRateCents billAgentTime client { id name }";

/** Projects whose name or client's name contains `search` (all of them when empty). */
export async function searchProjects(search: string): Promise<Project[]> {
  const data = await gql<{ projects: { nodes: Project[] } }>(
    `query Projects($search: String) { projects(search: $search, first: 20) { nodes { ${PROJECT} } } }`,
    { search: search.trim() || null },
  );
  return data.projects.nodes;
}

export async function loadClients(): Promise<ClientRow[]> {
  const data = await gql<{ clients: { nodes: ClientRow[] } }>(`query Clients { clients(first: 100) { nodes { id name } } }`);
  return data.clients.nodes;
}
