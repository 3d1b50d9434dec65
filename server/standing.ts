// Operations that outlive their request (a WebSocket's subscriptions, a subscription streamed over
// SSE) were authorized once: these keep them to the credential as it is now. A credential revoked,
// expired or given other permissions ends what runs on it, and the client comes back with what it
// holds now (nothing, or the new permissions).
import type { ServerResponse } from "node:http";
import type { Viewer } from "../schema/common/context.js";
import type { IdentityChange } from "../schema/common/pubsub.js";
import { affects } from "../schema/identity/revocations.js";
import { forgetWorkspace } from "../schema/identity/service.js";
import type { Authenticator } from "./auth.js";

/** Same member, same workspace, same permissions: what runs on the credential stays valid. */
function sameAuthority(a: Viewer, b: Viewer) {
  return a.workspaceId === b.workspaceId && a.role === b.role && [...a.permissions].sort().join() === [...b.permissions].sort().join();
}

/** Null while `viewer` still holds; "revoked" when its credential no longer signs in, "changed" when it now grants something else. */
export async function standing(auth: Authenticator, secret: string, viewer: Viewer): Promise<"revoked" | "changed" | null> {
  const fresh = await auth.resolve(secret);
  if (!fresh) return "revoked";
  return sameAuthority(viewer, fresh) ? null : "changed";
}

/** setTimeout's ceiling (about 24.8 days); longer expiries are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `end` once `expiresAt` has passed (at once if it has); returns what cancels that. */
export function atExpiry(expiresAt: Date | null, end: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = expiresAt!.getTime() - Date.now();
    if (left <= 0) return end();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  if (expiresAt) arm();
  return () => clearTimeout(timer);
}

/**
 * Calls `check` for each of `running` (by what it runs on) that a change of identity may concern,
 * after dropping the viewer's cached workspace so that what runs next reads it again. A change to
 * the workspace's own fields (name, zone, settings) grants nothing new, so only that is done for it.
 */
export function onIdentityChange<K>(auth: Authenticator, running: Map<K, { viewer: Viewer; secret: string }>, check: (key: K, secret: string, viewer: Viewer) => void) {
  auth.whenChanged((change: IdentityChange) => {
    for (const [key, { viewer, secret }] of running) {
      if (!affects(change, viewer)) continue;
      forgetWorkspace(viewer);
      if (!change.workspaceEdited) check(key, secret, viewer);
    }
  });
}

/**
 * Subscriptions over SSE: each is one HTTP response for as long as it runs. It is cut when its
 * credential is revoked, expires or changes authority, as a WebSocket is closed; the client's
 * reconnection then meets the credential as it is now.
 */
export function eventStreams(auth: Authenticator) {
  const open = new Map<ServerResponse, { viewer: Viewer; secret: string }>();
  const cut = (res: ServerResponse) => res.destroy();
  onIdentityChange(auth, open, (res, secret, viewer) => {
    void standing(auth, secret, viewer).then((outcome) => outcome && cut(res), () => cut(res));
  });
  return {
    /** Watches a response that may stream (it accepted text/event-stream) until it closes. */
    track(res: ServerResponse, secret: string, viewer: Viewer) {
      open.set(res, { viewer, secret });
      const cancel = atExpiry(viewer.expiresAt, () => cut(res));
      res.once("close", () => {
        open.delete(res);
        cancel();
      });
    },
  };
}
