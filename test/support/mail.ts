// Invitations and password resets arrive by mail; the test stacks send mail to an outbox file
// (MAIL_OUTBOX), read here as the invitee's inbox.
import { existsSync, readFileSync } from "node:fs";
import { ok } from "./client.js";

type LinkKind = "invitations/accept" | "password-reset";

/** The outbox of each API process by its URL, so helpers need only the URL a test already has. */
const outboxes = new Map<string, string>();

export function registerOutbox(url: string, outbox: string) {
  outboxes.set(url, outbox);
}

function outboxOf(url: string): string {
  const outbox = outboxes.get(url);
  if (!outbox) throw new Error(`no mail outbox known for ${url}: start it with startStack`);
  return outbox;
}

/** The tokens of the links of one kind mailed to `to` through the API at `url`, oldest first. */
export function mailedTokens(url: string, to: string, kind: LinkKind): string[] {
  const outbox = outboxOf(url);
  if (!existsSync(outbox)) return [];
  const pattern = new RegExp(`/${kind}\\?token=(\\S+)`);
  return readFileSync(outbox, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { to: string; text: string })
    .filter((m) => m.to === to)
    .flatMap((m) => pattern.exec(m.text)?.[1] ?? []);
}

/** Waits for the `count`-th such mail (mails may be sent after the answer) and returns its token. */
export async function waitForToken(url: string, to: string, kind: LinkKind, count = 1, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const tokens = mailedTokens(url, to, kind);
    if (tokens.length >= count) return tokens[count - 1];
    if (Date.now() > until) throw new Error(`no mail #${count} with ${kind} to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A new account joins the inviter's workspace with `role`, as its owner would through the mailed link. */
export async function createMember(
  url: string,
  inviter: { token?: string; cookie?: string },
  member: { email: string; role: string; name?: string; password?: string },
) {
  const invited = await ok(url, `mutation($e: String!, $r: Role!) { inviteMember(input: { email: $e, role: $r }) { __typename } }`, { e: member.email, r: member.role }, inviter);
  if (invited.inviteMember.__typename !== "Invitation") throw new Error(`invitation refused: ${JSON.stringify(invited)}`);
  const token = await waitForToken(url, member.email, "invitations/accept");
  const accepted = await ok(
    url,
    `mutation($t: String!, $n: String!, $p: String!) { acceptInvitation(input: { token: $t, name: $n, password: $p }) { __typename } }`,
    { t: token, n: member.name ?? "New Member", p: member.password ?? "member-password" },
  );
  if (accepted.acceptInvitation.__typename !== "Workspace") throw new Error(`acceptance refused: ${JSON.stringify(accepted)}`);
}
