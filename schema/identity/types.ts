import { encodeGlobalID, resolveArrayConnection } from "@pothos/plugin-relay";
import type { AccessToken, Invitation, Membership, User, Workspace } from "../../prisma/generated/client.js";
import { builder } from "../builder.js";
import type { Viewer } from "../common/context.js";
import { NotFoundError, ValidationError } from "../common/errors.js";
import { actsAsPerson, can, PERMISSIONS, permissionsFor, rowsWhere, type Permission } from "../common/policy.js";
import { acceptInvitation, changeMemberRole, INVITATION_DAYS, inviteMember, removeMember, revokeInvitation } from "./members.js";
import { changePassword, requestPasswordReset, RESET_MINUTES, resetPassword, signOutEverywhere } from "./passwords.js";
import { workspaceDisplay } from "./rules.js";
import { asPerson, userOfViewer, workspaceOfViewer, type ViewerWorkspace, createToken, createWorkspace, revokeToken, SESSION_COOKIE, setStaffPermissions, signIn, switchWorkspace, updateWorkspace } from "./service.js";
import { parseWorkingHours, type WorkingDay } from "./working-hours.js";
import { upperSnake } from "../common/enums.js";

const RoleEnum = builder.enumType("Role", { values: upperSnake(["owner", "manager", "staff", "employee"]) });
const PermissionEnum = builder.enumType("Permission", {
  values: Object.fromEntries(PERMISSIONS.map((p) => [p.replaceAll(".", "_").toUpperCase(), { value: p }])) as Record<
    string,
    { value: Permission }
  >,
});
const TimeFormatEnum = builder.enumType("TimeFormat", {
  values: { H24: { value: "24h", description: "14:05 (the default)" }, H12: { value: "12h", description: "2:05 PM" } } as const,
});
const TokenKindEnum = builder.enumType("TokenKind", {
  values: upperSnake({
    browser: { description: "A signed-in browser." },
    personal: { description: "A personal access token (desktop app, AI agent)." },
    api_key: { description: "A workspace API key for third-party GraphQL consumers." },
  }),
});

export const WorkspaceRef = builder.objectRef<ViewerWorkspace>("Workspace");
// No password hash: the viewer's own user is kept in memory without it (userOfViewer).
export const UserRef = builder.objectRef<Omit<User, "passwordHash">>("User");
const MembershipRef = builder.objectRef<Membership & { user?: User }>("Member");
const AccessTokenRef = builder.objectRef<AccessToken>("AccessToken");

const WorkingDayRef = builder.objectRef<WorkingDay>("WorkingDay").implement({
  description: "One weekday's working hours.",
  fields: (t) => ({
    weekday: t.exposeInt("weekday", { description: "ISO weekday, 1 = Monday." }),
    start: t.exposeString("start", { description: "HH:mm in the workspace time zone." }),
    end: t.exposeString("end", { description: "HH:mm in the workspace time zone, after the start." }),
  }),
});

builder.node(WorkspaceRef, {
  id: { resolve: (w) => w.id },
  loadOne: (id, ctx) =>
    // A credential acts in one workspace: the others its person belongs to are not reachable through it.
    ctx.viewer && id === ctx.viewer.workspaceId ? workspaceOfViewer(ctx.db, ctx.viewer) : null,
  fields: (t) => ({
    name: t.exposeString("name"),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone name." }),
    workingHours: t.field({
      type: [WorkingDayRef],
      description: "The working days, Monday first, each with its hours; a weekday not listed is a day off.",
      resolve: (w) => parseWorkingHours(w.workingHours),
    }),
    weekStart: t.int({ description: "ISO weekday a week starts on, 1 = Monday.", resolve: (w) => workspaceDisplay(w.settings).weekStart }),
    timeFormat: t.field({ type: TimeFormatEnum, resolve: (w) => workspaceDisplay(w.settings).timeFormat }),
    settings: t.field({ type: "JSON", resolve: (w) => w.settings }),
    staffPermissions: t.field({
      type: [PermissionEnum],
      description: "What the staff role may do here.",
      resolve: (w) => [...permissionsFor("staff", w.customStaff ? w.staffPermissions : null)],
    }),
    members: t.connection({
      type: MembershipRef,
      authScopes: { permission: "team.read" },
      description: "Members of the workspace the request acts in (empty for any other).",
      resolve: async (w, args, ctx) =>
        resolveArrayConnection(
          { args },
          w.id === ctx.viewer!.workspaceId
            ? await ctx.db.membership.findMany({ where: rowsWhere(ctx.viewer, "member"), include: { user: true }, orderBy: { createdAt: "asc" } })
            : [],
        ),
    }),
  }),
});

builder.node(UserRef, {
  id: { resolve: (u) => u.id },
  // A user is visible only to members of a workspace they share with the viewer.
  loadOne: (id, ctx) =>
    ctx.viewer
      ? ctx.db.user.findFirst({ where: { id, memberships: { some: { workspaceId: ctx.viewer.workspaceId } } } })
      : null,
  fields: (t) => ({
    name: t.exposeString("name"),
    email: t.string({
      nullable: true,
      description: "Yours, or anyone's with team.read; null otherwise.",
      resolve: (u, _a, ctx) => (u.id === ctx.viewer?.userId || can(ctx.viewer, "team.read") ? u.email : null),
    }),
  }),
});

builder.node(MembershipRef, {
  id: { resolve: (m) => m.id },
  loadOne: (id, ctx) =>
    ctx.db.membership.findFirst({ where: { id, ...rowsWhere(ctx.viewer, "member") }, include: { user: true } }),
  fields: (t) => ({
    role: t.field({ type: RoleEnum, resolve: (m) => m.role }),
    user: t.field({
      type: UserRef,
      resolve: (m, _a, ctx) => m.user ?? ctx.db.user.findUniqueOrThrow({ where: { id: m.userId } }),
    }),
  }),
});

builder.node(AccessTokenRef, {
  id: { resolve: (t) => t.id },
  // Like the token list: a person's (all of the workspace's with tokens.manage), never an API key's.
  loadOne: (id, ctx) =>
    ctx.viewer && actsAsPerson(ctx.viewer)
      ? ctx.db.accessToken.findFirst({
          where: {
            id,
            workspaceId: ctx.viewer.workspaceId,
            ...(can(ctx.viewer, "tokens.manage") ? {} : { userId: ctx.viewer.userId }),
          },
        })
      : null,
  fields: (t) => ({
    kind: t.field({ type: TokenKindEnum, resolve: (tk) => tk.kind }),
    name: t.exposeString("name"),
    scopes: t.field({ type: [PermissionEnum], resolve: (tk) => tk.scopes as Permission[] }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
  }),
});

/**
 * A workspace as the switcher shows it. Only the name and your role: a credential acts in one
 * workspace, so another's settings and members are reached by switching to it, never through this.
 */
const WorkspaceChoiceRef = builder.objectRef<Membership & { workspace: Workspace }>("WorkspaceChoice").implement({
  description: "A workspace you belong to; switch to it with switchWorkspace to see more.",
  fields: (t) => ({
    id: t.field({ type: "ID", description: "The workspace's global ID.", resolve: (m) => encodeGlobalID("Workspace", m.workspaceId) }),
    name: t.string({ resolve: (m) => m.workspace.name }),
    timeZone: t.string({ description: "IANA time zone name.", resolve: (m) => m.workspace.timeZone }),
    role: t.field({ type: RoleEnum, description: "Your role there.", resolve: (m) => m.role }),
  }),
});

// Resolved from the authenticated request itself: each field loads only what it needs.
const ViewerRef = builder.objectRef<Viewer>("Viewer").implement({
  description: "The signed-in member and the workspace the request acts in.",
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (v, _a, ctx) => userOfViewer(ctx.db, v) }),
    workspace: t.field({
      type: WorkspaceRef,
      resolve: (v, _a, ctx) => workspaceOfViewer(ctx.db, v),
    }),
    role: t.field({ type: RoleEnum, resolve: (v) => v.role }),
    permissions: t.field({ type: [PermissionEnum], resolve: (v) => [...v.permissions] }),
    workspaces: t.field({
      type: [WorkspaceChoiceRef],
      description: "Every workspace you belong to, for the workspace switcher; an API key knows only its own.",
      resolve: (v, _a, ctx) =>
        ctx.db.membership.findMany({
          where: actsAsPerson(v) ? { userId: v.userId } : { userId: v.userId, workspaceId: v.workspaceId },
          include: { workspace: true },
          orderBy: { workspace: { name: "asc" } },
        }),
    }),
    tokens: t.connection({
      type: AccessTokenRef,
      description: "Tokens this member created (all of the workspace's with tokens.manage); none for an API key.",
      args: { includeRevoked: t.arg.boolean({ required: false, defaultValue: false }) },
      resolve: async (_v, args, ctx) => {
        const viewer = ctx.viewer!;
        if (!actsAsPerson(viewer)) return resolveArrayConnection({ args }, []);
        const tokens = await ctx.db.accessToken.findMany({
          where: {
            workspaceId: viewer.workspaceId,
            kind: { in: ["personal", "api_key"] },
            ...(can(viewer, "tokens.manage") ? {} : { userId: viewer.userId }),
            ...(args.includeRevoked ? {} : { revokedAt: null }),
          },
          orderBy: { createdAt: "desc" },
        });
        return resolveArrayConnection({ args }, tokens);
      },
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: ViewerRef,
    nullable: true,
    description: "Null when the request is not signed in.",
    resolve: (_r, _a, ctx) => ctx.viewer,
  }),
);

const SignInPayload = builder.objectRef<{ user: User }>("SignInPayload").implement({
  fields: (t) => ({ user: t.field({ type: UserRef, resolve: (p) => p.user }) }),
});

builder.mutationField("signIn", (t) =>
  t.fieldWithInput({
    type: SignInPayload,
    description: "Signs a browser in: sets an httpOnly session cookie.",
    errors: { types: [ValidationError] },
    input: {
      email: t.input.string(),
      password: t.input.string(),
      workspaceId: t.input.globalID({ required: false, for: WorkspaceRef }),
    },
    resolve: (_r, { input: args }, ctx) => signIn(ctx, args.email, args.password, args.workspaceId?.id),
  }),
);

const DonePayload = builder.objectRef<{ done: true }>("Done").implement({
  fields: (t) => ({ done: t.exposeBoolean("done") }),
});

builder.mutationField("signOut", (t) =>
  t.field({
    type: DonePayload,
    authScopes: { signedIn: true },
    errors: {},
    resolve: async (_r, _a, ctx) => {
      if (ctx.viewer!.tokenKind === "browser") await revokeToken(ctx, ctx.viewer!, ctx.viewer!.tokenId);
      ctx.cookies?.clear(SESSION_COOKIE);
      return { done: true as const };
    },
  }),
);

builder.mutationField("switchWorkspace", (t) =>
  t.fieldWithInput({
    type: WorkspaceRef,
    authScopes: { person: true },
    errors: { types: [NotFoundError] },
    input: { workspaceId: t.input.globalID({ for: WorkspaceRef }) },
    resolve: (_r, { input: args }, ctx) => switchWorkspace(ctx, args.workspaceId.id),
  }),
);

const CreatedTokenPayload = builder
  .objectRef<{ token: AccessToken; secret: string }>("CreatedToken")
  .implement({
    fields: (t) => ({
      token: t.field({ type: AccessTokenRef, resolve: (p) => p.token }),
      secret: t.exposeString("secret", { description: "Shown once; only a hash is stored." }),
    }),
  });

builder.mutationField("createPersonalAccessToken", (t) =>
  t.fieldWithInput({
    type: CreatedTokenPayload,
    description: "A token that acts as you, for the desktop app or an AI agent.",
    authScopes: { person: true },
    errors: { types: [ValidationError] },
    input: { name: t.input.string(), expiresAt: t.input.field({ type: "DateTime", required: false }) },
    resolve: (_r, { input: args }, ctx) => createToken(ctx, { kind: "personal", ...args }),
  }),
);

builder.mutationField("createApiKey", (t) =>
  t.fieldWithInput({
    type: CreatedTokenPayload,
    description: "A workspace key for third-party GraphQL consumers, limited to the given scopes.",
    authScopes: { permission: "tokens.manage" },
    errors: { types: [ValidationError] },
    input: {
      name: t.input.string(),
      scopes: t.input.field({ type: [PermissionEnum] }),
      expiresAt: t.input.field({ type: "DateTime", required: false }),
    },
    resolve: (_r, { input: args }, ctx) => createToken(ctx, { kind: "api_key", ...args }),
  }),
);

builder.mutationField("revokeToken", (t) =>
  t.fieldWithInput({
    type: AccessTokenRef,
    description: "Stops the token at once, on open WebSockets too.",
    authScopes: { person: true },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: AccessTokenRef }) },
    resolve: (_r, { input: args }, ctx) => revokeToken(ctx, ctx.viewer!, args.id.id),
  }),
);

const WorkingDayInput = builder.inputType("WorkingDayInput", {
  fields: (t) => ({
    weekday: t.int({ description: "ISO weekday, 1 = Monday; each weekday at most once." }),
    start: t.string({ description: "HH:mm" }),
    end: t.string({ description: "HH:mm, after the start" }),
  }),
});

builder.mutationField("updateWorkspace", (t) =>
  t.fieldWithInput({
    type: WorkspaceRef,
    description: "Changes the arguments given; the others keep their values.",
    authScopes: { permission: "workspace.manage" },
    errors: { types: [ValidationError] },
    input: {
      name: t.input.string({ required: false }),
      timeZone: t.input.string({ required: false }),
      workingHours: t.input.field({
        type: [WorkingDayInput],
        required: false,
        description: "The whole week: the working days with their hours; a weekday left out is a day off.",
      }),
      weekStart: t.input.int({ required: false, description: "ISO weekday a week starts on, 1 = Monday." }),
      timeFormat: t.input.field({ type: TimeFormatEnum, required: false }),
    },
    resolve: (_r, { input: args }, ctx) => updateWorkspace(ctx, args),
  }),
);

builder.mutationField("createWorkspace", (t) =>
  t.fieldWithInput({
    type: WorkspaceRef,
    description: "A new workspace with you as its owner; switch to it with switchWorkspace.",
    authScopes: { person: true },
    errors: { types: [ValidationError] },
    input: { name: t.input.string(), timeZone: t.input.string({ required: false, defaultValue: "UTC" }) },
    resolve: (_r, { input: args }, ctx) => createWorkspace(ctx, args.name, args.timeZone ?? "UTC"),
  }),
);

builder.mutationField("setStaffPermissions", (t) =>
  t.fieldWithInput({
    type: WorkspaceRef,
    description: "Grant the staff role a custom set of permissions; null restores the default set.",
    authScopes: { permission: "workspace.manage" },
    errors: { types: [ValidationError] },
    input: { permissions: t.input.field({ type: [PermissionEnum], required: false }) },
    resolve: (_r, { input: args }, ctx) => setStaffPermissions(ctx, args.permissions ?? null),
  }),
);

const InvitationRef = builder.objectRef<Invitation & { acceptLink?: string | null }>("Invitation");

builder.node(InvitationRef, {
  description: "An invitation to join the workspace; only the email it went to is known until it is accepted.",
  id: { resolve: (i) => i.id },
  loadOne: (id, ctx) =>
    ctx.viewer && actsAsPerson(ctx.viewer) && can(ctx.viewer, "members.manage")
      ? ctx.db.invitation.findFirst({ where: { id, workspaceId: ctx.viewer.workspaceId } })
      : null,
  fields: (t) => ({
    email: t.exposeString("email"),
    role: t.field({ type: RoleEnum, resolve: (i) => i.role }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    acceptedAt: t.expose("acceptedAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    acceptLink: t.string({
      nullable: true,
      description:
        "Only in inviteMember's answer, and only while mail goes to the server log (no mail transport set up): the link to pass on to the invitee.",
      resolve: (i) => i.acceptLink ?? null,
    }),
  }),
});

builder.queryField("invitations", (t) =>
  t.connection({
    type: InvitationRef,
    description: "The workspace's invitations, newest first: open ones, or all with includeClosed.",
    authScopes: { permission: "members.manage" },
    args: { includeClosed: t.arg.boolean({ required: false, defaultValue: false }) },
    resolve: async (_r, args, ctx) => {
      const viewer = asPerson(ctx.viewer, "members.manage");
      const open = { acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } };
      const invitations = await ctx.db.invitation.findMany({
        where: { workspaceId: viewer.workspaceId, ...(args.includeClosed ? {} : open) },
        orderBy: { createdAt: "desc" },
      });
      return resolveArrayConnection({ args }, invitations);
    },
  }),
);

builder.mutationField("inviteMember", (t) =>
  t.fieldWithInput({
    type: InvitationRef,
    description: `Mails a link to join with this role (valid ${INVITATION_DAYS} days); inviting the same email again replaces it.`,
    authScopes: { permission: "members.manage" },
    errors: { types: [ValidationError] },
    input: { email: t.input.string(), role: t.input.field({ type: RoleEnum }) },
    resolve: (_r, { input: args }, ctx) => inviteMember(ctx, args),
  }),
);

builder.mutationField("revokeInvitation", (t) =>
  t.fieldWithInput({
    type: InvitationRef,
    description: "The link stops working.",
    authScopes: { permission: "members.manage" },
    errors: { types: [NotFoundError] },
    input: { id: t.input.globalID({ for: InvitationRef }) },
    resolve: (_r, { input: args }, ctx) => revokeInvitation(ctx, args.id.id),
  }),
);

builder.mutationField("acceptInvitation", (t) =>
  t.fieldWithInput({
    type: WorkspaceRef,
    description:
      "Joins the workspace the invitation is for: as a new account (give name and password), or, when the email already has an account, signed in as it.",
    errors: { types: [ValidationError] },
    input: {
      token: t.input.string(),
      name: t.input.string({ required: false }),
      password: t.input.string({ required: false }),
    },
    resolve: (_r, { input: args }, ctx) => acceptInvitation(ctx, args),
  }),
);

builder.mutationField("removeMember", (t) =>
  t.fieldWithInput({
    type: DonePayload,
    description: "Ends the membership and revokes the member's sessions, tokens and API keys here; the last owner can't be removed.",
    authScopes: { permission: "members.manage" },
    errors: { types: [NotFoundError, ValidationError] },
    input: { memberId: t.input.globalID({ for: MembershipRef }) },
    resolve: (_r, { input: args }, ctx) => removeMember(ctx, args.memberId.id),
  }),
);

builder.mutationField("changeMemberRole", (t) =>
  t.fieldWithInput({
    type: MembershipRef,
    description: "Takes effect on the member's next request; open WebSockets reconnect. The last owner can't be demoted.",
    authScopes: { permission: "members.manage" },
    errors: { types: [NotFoundError, ValidationError] },
    input: { memberId: t.input.globalID({ for: MembershipRef }), role: t.input.field({ type: RoleEnum }) },
    resolve: (_r, { input: args }, ctx) => changeMemberRole(ctx, args.memberId.id, args.role),
  }),
);

builder.mutationField("changePassword", (t) =>
  t.fieldWithInput({
    type: DonePayload,
    description: "Your other browser sessions are signed out.",
    authScopes: { signedIn: true },
    errors: { types: [ValidationError] },
    input: { currentPassword: t.input.string(), newPassword: t.input.string() },
    resolve: (_r, { input: args }, ctx) => changePassword(ctx, args.currentPassword, args.newPassword),
  }),
);

builder.mutationField("requestPasswordReset", (t) =>
  t.fieldWithInput({
    type: DonePayload,
    description: `Mails a reset link (valid ${RESET_MINUTES} minutes) if the email has an account; the answer is the same either way.`,
    errors: {},
    input: { email: t.input.string() },
    resolve: (_r, { input: args }, ctx) => requestPasswordReset(ctx, args.email),
  }),
);

builder.mutationField("resetPassword", (t) =>
  t.fieldWithInput({
    type: DonePayload,
    description: "Sets a new password with a reset link's token; every browser session of the account is signed out.",
    errors: { types: [ValidationError] },
    input: { token: t.input.string(), newPassword: t.input.string() },
    resolve: (_r, { input: args }, ctx) => resetPassword(ctx, args.token, args.newPassword),
  }),
);

builder.mutationField("signOutEverywhere", (t) =>
  t.field({
    type: DonePayload,
    description: "Ends every browser session of your account, in every workspace, this one included. Tokens stay.",
    authScopes: { signedIn: true },
    errors: {},
    resolve: (_r, _a, ctx) => signOutEverywhere(ctx),
  }),
);
