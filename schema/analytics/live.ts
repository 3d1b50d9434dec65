import type { Services } from "../common/context.js";

/** After commit: the User Sessions page hears which sessions changed or were merged away. */
export function announceUserSessions(services: Services, workspaceId: string, changedIds: string[], removedIds: string[]) {
  if (changedIds.length || removedIds.length) services.pubsub.publish("userSessions", workspaceId, { changedIds, removedIds });
}
