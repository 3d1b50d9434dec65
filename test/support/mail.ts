// Invitations and password resets arrive by mail; the test stacks send mail to an outbox file
// (MAIL_OUTBOX), read here as the invitee's inbox.
import { existsSync, readFileSync } from "node:fs";
import { ok } from "./client.js";

type LinkKind = "invitations/accept" | "password-reset";

/** The tokens of the links of one kind mailed to `to`, oldest first. */
export function mailedTokens(outbox: string, to: string, kind: LinkKind): string[] {
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
export async function waitForToken(outbox: string, to: string, kind: LinkKind, count = 1, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const tokens = mailedTokens(outbox, to, kind);
    if (tokens.length >= count) return tokens[count - 1];
    if (Date.now() > until) throw new Error(`no mail #${count} with ${kind} to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A new account joins the inviter's workspace with `role`, as its owner would through the mailed link. */
export async function createMember(url: string, outbox: string, inviter: string, email: string, role: string, password = "member-password") {
  const invited = await ok(url, `mutation($e: String!, $r: Role!) { inviteMember(email: $e, role: $r) { __typename } }`, { e: email, r: role }, { token: inviter });
  if (invited.inviteMember.__typename !== "Invitation") throw new Error(`invitation refused: ${JSON.stringify(invited)}`);
  const token = await waitForToken(outbox, email, "invitations/accept");
  const accepted = await ok(url, `mutation($t: String!, $p: String!) { acceptInvitation(token: $t, name: "New Member", password: $p) { __typename } }`, { t: token, p: password });
  if (accepted.acceptInvitation.__typename !== "Workspace") throw new Error(`acceptance refused: ${JSON.stringify(accepted)}`);
}
