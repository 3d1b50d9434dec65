import { gql } from "./graphql";

export interface Project {
  id: string;
  name: string;
  currency: string;
  hourlyRateCents: number;
  billAgentTime: boolean;
  client: { id: string; name: string };
}

export interface ClientRow {
  id: string;
  name: string;
}

const PROJECT = "id name currency hourlyRateCents billAgentTime client { id name }";

/** Projects whose name or client's name contains `search` (all of them when empty). */
export async function searchProjects(search: string, first = 20): Promise<Project[]> {
  const data = await gql<{ projects: { nodes: Project[] } }>(
    `query Projects($search: String, $first: Int) { projects(search: $search, first: $first) { nodes { ${PROJECT} } } }`,
    { search: search.trim() || null, first },
  );
  return data.projects.nodes;
}

export async function loadClients(): Promise<ClientRow[]> {
  const data = await gql<{ clients: { nodes: ClientRow[] } }>(`query Clients { clients(first: 200) { nodes { id name } } }`);
  return data.clients.nodes;
}
