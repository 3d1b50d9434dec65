import type { Services } from "../common/context.js";
import type { LiveSession, SessionStatusEvent } from "../common/pubsub.js";

/** Call after a session's state is committed: the board and status subscribers hear of it. */
export function publishSessionChange(
  services: Services,
  session: LiveSession,
  open: boolean,
  status?: Omit<SessionStatusEvent, "sessionId" | "userId" | "kind">,
) {
  const { workspaceId } = session;
  services.pubsub.publish("live", workspaceId, open ? { upsert: session } : { removeId: session.id });
  if (status) {
    services.pubsub.publish("sessionStatus", workspaceId, {
      sessionId: session.id,
      userId: session.userId,
      kind: session.kind,
      ...status,
    });
  }
}
