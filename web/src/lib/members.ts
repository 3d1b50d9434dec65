// Who belongs to the workspace and as what: members, invitations, roles and what staff may do.
import type { InvitationFragment, MembersQuery, Permission, Role } from "./generated/graphql";
import { gql, graphql, unwrap } from "./graphql";

graphql(`fragment Invitation on Invitation { id email role expiresAt }`);

export type Member = NonNullable<MembersQuery["viewer"]>["workspace"]["members"]["nodes"][number];
/** `acceptLink` only right after inviting: the link the mail carries. */
export type Invitation = InvitationFragment & { acceptLink?: string | null };

/** Null when signed out. */
export async function fetchMembers() {
  const data = await gql(
    graphql(`
      query Members {
        viewer { workspace { staffPermissions members(first: 100) { nodes { id role user { id name email } } } } }
        invitations(first: 100) { nodes { ...Invitation } }
      }
    `),
  );
  if (!data.viewer) return null;
  const { members, staffPermissions } = data.viewer.workspace;
  return { members: members.nodes, staffPermissions, invitations: data.invitations.nodes as Invitation[] };
}

/** Inviting the same email again replaces the open invitation. */
export async function inviteMember(email: string, role: Role): Promise<Invitation> {
  const { inviteMember } = await gql(
    graphql(`
      mutation Invite($email: String!, $role: Role!) {
        inviteMember(input: { email: $email, role: $role }) { __typename ...Failure ...Problems ... on Invitation { ...Invitation acceptLink } }
      }
    `),
    { email, role },
  );
  return unwrap(inviteMember, "Invitation");
}

export async function revokeInvitation(id: string) {
  const { revokeInvitation } = await gql(graphql(`mutation RevokeInvitation($id: ID!) { revokeInvitation(input: { id: $id }) { __typename ...Failure } }`), { id });
  unwrap(revokeInvitation, "Invitation");
}

/** The role as stored. */
export async function changeMemberRole(memberId: string, role: Role): Promise<Role> {
  const { changeMemberRole } = await gql(
    graphql(`
      mutation ChangeRole($id: ID!, $role: Role!) {
        changeMemberRole(input: { memberId: $id, role: $role }) { __typename ...Failure ...Problems ... on Member { id role } }
      }
    `),
    { id: memberId, role },
  );
  return unwrap(changeMemberRole, "Member").role;
}

export async function removeMember(memberId: string) {
  const { removeMember } = await gql(
    graphql(`mutation RemoveMember($id: ID!) { removeMember(input: { memberId: $id }) { __typename ...Failure ...Problems } }`),
    { id: memberId },
  );
  unwrap(removeMember, "Done");
}

/** The permissions as stored. */
export async function setStaffPermissions(permissions: Permission[]): Promise<Permission[]> {
  const { setStaffPermissions } = await gql(
    graphql(`
      mutation StaffPermissions($p: [Permission!]) {
        setStaffPermissions(input: { permissions: $p }) { __typename ...Failure ...Problems ... on Workspace { staffPermissions } }
      }
    `),
    { p: permissions },
  );
  return unwrap(setStaffPermissions, "Workspace").staffPermissions;
}

/** Joins the invitation's workspace: signed in with the account you have, or as a new account; the workspace's name. */
export async function acceptInvitation(token: string, account?: { name: string; password: string }): Promise<string> {
  const { acceptInvitation } = await gql(
    graphql(`
      mutation AcceptInvitation($token: String!, $name: String, $password: String) {
        acceptInvitation(input: { token: $token, name: $name, password: $password }) { __typename ...Failure ...Problems ... on Workspace { name } }
      }
    `),
    { token, ...account },
  );
  return unwrap(acceptInvitation, "Workspace").name;
}
