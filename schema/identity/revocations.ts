import type { Services } from "../common/context.js";

const local = new Set<(tokenId: string) => void>();

/** Called at once for revocations made in this process (other processes hear of them via pub/sub). */
export function onLocalRevocation(listener: (tokenId: string) => void) {
  local.add(listener);
}

/**
 * Tells this process synchronously, so its very next request already refuses the token, and every
 * other process through pub/sub.
 */
export function announceRevocation(services: Services, tokenId: string) {
  for (const listener of local) listener(tokenId);
  services.pubsub.publish("tokenRevoked", { tokenId });
}
