import type { Permission, TimeFormat, ViewerQuery } from "./generated/graphql";
import { ApiError, gql, graphql, onUnauthenticated, unwrap } from "./graphql";

export type Viewer = NonNullable<ViewerQuery["viewer"]>;

/**
 * `viewer` is undefined until known, null when signed out. A kiosk has no member signed in: its
 * key's workspace clock is `kioskClock`.
 */
export const session = $state<{ viewer?: Viewer | null; kioskClock?: TimeFormat }>({});

onUnauthenticated(() => (session.viewer = null));

const VIEWER = graphql(`
  query Viewer {
    viewer { user { id name email } workspace { id name timeZone weekStart timeFormat workingHours { weekday start end } } role permissions workspaces { id name timeZone } }
  }
`);

/** Whether the signed-in member holds a permission ("BILLING_MANAGE", …) in the current workspace. */
export function can(permission: Permission): boolean {
  return session.viewer?.permissions.includes(permission) ?? false;
}

/** The first day of the workspace's week as an ISO weekday (1 = Monday, the default; 7 = Sunday). */
export function weekStart(): number {
  return session.viewer?.workspace.weekStart ?? 1;
}

export async function loadViewer(): Promise<Viewer | null> {
  const { viewer } = await gql(VIEWER);
  session.viewer = viewer;
  return viewer;
}

const SIGN_IN = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(input: { email: $email, password: $password }) { __typename ...Failure ...Problems }
  }
`);

export async function signIn(email: string, password: string) {
  const send = () => gql(SIGN_IN, { email, password });
  // A stale session cookie gets a 401 that also clears it, so the second attempt goes through.
  const { signIn } = await send().catch((error) => {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return send();
    throw error;
  });
  unwrap(signIn, "SignInPayload");
  await loadViewer();
}

export async function signOut() {
  await gql(graphql(`mutation SignOut { signOut { __typename ...Failure } }`));
  session.viewer = null;
}

export async function switchWorkspace(workspaceId: string) {
  const { switchWorkspace } = await gql(
    graphql(`mutation SwitchWorkspace($workspaceId: ID!) { switchWorkspace(input: { workspaceId: $workspaceId }) { __typename ...Failure } }`),
    { workspaceId },
  );
  unwrap(switchWorkspace, "Workspace");
  await loadViewer();
}

/** Signs out every other browser, as a password change must. */
export async function changePassword(currentPassword: string, newPassword: string) {
  const { changePassword } = await gql(
    graphql(`
      mutation ChangePassword($c: String!, $n: String!) {
        changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename ...Failure ...Problems }
      }
    `),
    { c: currentPassword, n: newPassword },
  );
  unwrap(changePassword, "Done");
}

export async function signOutEverywhere() {
  const { signOutEverywhere } = await gql(graphql(`mutation SignOutEverywhere { signOutEverywhere { __typename ...Failure } }`));
  unwrap(signOutEverywhere, "Done");
  session.viewer = null;
}
