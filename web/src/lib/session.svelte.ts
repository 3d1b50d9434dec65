import { ApiError, ERROR_FIELDS, gql, onUnauthenticated, PROBLEM_FIELDS, unwrap } from "./graphql";

export interface Workspace {
  id: string;
  name: string;
  timeZone: string;
}

export interface Viewer {
  user: { id: string; name: string; email: string };
  workspace: Workspace;
  role: string;
  /** Permission enum values, e.g. "BILLING_MANAGE". */
  permissions: string[];
  workspaces: Workspace[];
}

/** `viewer` is undefined until known, null when signed out. */
export const session = $state<{ viewer?: Viewer | null }>({});

onUnauthenticated(() => (session.viewer = null));

const VIEWER = `query Viewer {
  viewer { user { id name email } workspace { id name timeZone } role permissions workspaces { id name timeZone } }
}`;

/** Whether the signed-in member holds a permission ("BILLING_MANAGE", …) in the current workspace. */
export function can(permission: string): boolean {
  return session.viewer?.permissions.includes(permission) ?? false;
}

export async function loadViewer(): Promise<Viewer | null> {
  const { viewer } = await gql<{ viewer: Viewer | null }>(VIEWER);
  session.viewer = viewer;
  return viewer;
}

const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  signIn(input: { email: $email, password: $password }) { ${ERROR_FIELDS} ${PROBLEM_FIELDS} }
}`;

export async function signIn(email: string, password: string) {
  const send = () => gql<{ signIn: { __typename: string } }>(SIGN_IN, { email, password });
  // A stale session cookie gets a 401 that also clears it, so the second attempt goes through.
  const { signIn } = await send().catch((error) => {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return send();
    throw error;
  });
  unwrap(signIn, "SignInPayload");
  await loadViewer();
}

export async function signOut() {
  await gql(`mutation SignOut { signOut { ${ERROR_FIELDS} } }`);
  session.viewer = null;
}

export async function switchWorkspace(workspaceId: string) {
  const { switchWorkspace } = await gql<{ switchWorkspace: { __typename: string } }>(
    `mutation SwitchWorkspace($workspaceId: ID!) { switchWorkspace(input: { workspaceId: $workspaceId }) { ${ERROR_FIELDS} } }`,
    { workspaceId },
  );
  unwrap(switchWorkspace, "Workspace");
  await loadViewer();
}
