// Cached viewers and open WebSockets must hear of every change to a credential or a member at
// once, in every API process: this is the one channel that tells them.
import type { Services, Viewer } from "../common/context.js";
import type { IdentityChange } from "../common/pubsub.js";

const local = new Set<(change: IdentityChange) => void>();

/** Called at once for changes made in this process (other processes hear of them via pub/sub). */
export function onLocalChange(listener: (change: IdentityChange) => void) {
  local.add(listener);
}

/**
 * Tells this process synchronously, so its very next request already sees the change; stamps it in
 * Redis, so every other process's next request does too; and tells their open WebSockets through
 * pub/sub. Called once the change is committed, and awaited before the mutation answers.
 */
export async function announceChange(services: Services, change: IdentityChange) {
  for (const listener of local) listener(change);
  await services.credentialStamps?.stamp(change);
  services.pubsub.publish("identityChanged", change);
}

/** Whether a viewer resolved before the change may no longer be what its credential stands for. */
export function affects(change: IdentityChange, viewer: Viewer): boolean {
  if (change.all) return true;
  if (change.tokenIds?.includes(viewer.tokenId)) return true;
  if (change.userId) return change.userId === viewer.userId && (!change.workspaceId || change.workspaceId === viewer.workspaceId);
  return change.workspaceId === viewer.workspaceId;
}
