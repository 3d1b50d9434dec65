import { GraphQLError, type ExecutionResult } from "graphql";
import type { WebSocket } from "ws";
import { LatestOnly } from "../schema/common/latest.js";

type Source = AsyncIterator<ExecutionResult> & { return?(): Promise<unknown> };

/**
 * One socket's operation in a group: where its frames go, and at most one frame waiting to. It is
 * also graphql-ws's view of the operation: it ends when the group does, and is returned when the
 * client leaves. One object, no closures: a wall display's process holds thousands.
 */
class Member extends LatestOnly<never> {
  sending = false;
  /** The newest payload that arrived while one was still being written: a slow socket holds one, never a queue. */
  owed: Buffer | null = null;

  constructor(
    private readonly group: Group,
    readonly socket: WebSocket,
    /** The operation's id (graphql-ws holds the same string): the only per-socket bytes of a frame. */
    readonly id: string,
    public onFirstFrame: (() => void) | null,
  ) {
    super();
  }

  protected override closed() {
    this.group.leave(this);
  }
}

/** The payload of a graphql-transport-ws `next` message, as graphql-ws itself would write it. */
function serialize(result: ExecutionResult): Buffer {
  const { errors, ...rest } = result;
  return Buffer.from(JSON.stringify(errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest));
}

const CLOSING_BRACE = Buffer.from("}");

/**
 * One execution of a state subscription, fanned out to every socket that asked the same thing:
 * each payload is serialized once, and each socket gets it behind its own operation id.
 */
class Group {
  private latest: Buffer | null = null;
  private readonly members = new Set<Member>();
  private source: Source | null = null;
  private closed = false;

  constructor(
    private readonly onResult: (result: ExecutionResult) => void,
    private readonly onEmpty: () => void,
  ) {}

  start(source: AsyncIterable<ExecutionResult> | ExecutionResult) {
    if (!(Symbol.asyncIterator in source)) {
      // The subscription failed to start (e.g. not authorised): every member gets that result.
      this.broadcast(source);
      return this.close();
    }
    this.source = source[Symbol.asyncIterator]();
    void this.pump(this.source);
  }

  private async pump(source: Source) {
    for (let r = await source.next(); !r.done && !this.closed; r = await source.next()) this.broadcast(r.value);
    this.close();
  }

  private broadcast(result: ExecutionResult) {
    this.onResult(result);
    this.latest = serialize(result);
    for (const member of this.members) send(member, this.latest);
  }

  join(socket: WebSocket, id: string, onFirstFrame: () => void): AsyncIterableIterator<never> {
    const member = new Member(this, socket, id, onFirstFrame);
    this.members.add(member);
    // Each payload is the whole state, so a late joiner starts from the current one.
    if (this.latest) send(member, this.latest);
    return member;
  }

  leave(member: Member) {
    this.members.delete(member);
    if (!this.members.size) this.close();
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    void this.source?.return?.();
    // Frames already handed to the socket go out before the `complete` graphql-ws sends next; one
    // still owed would come after it, and the stream has ended anyway.
    for (const member of this.members) {
      member.owed = null;
      member.end();
    }
    this.onEmpty();
  }
}

/**
 * Writes a graphql-transport-ws `next` message, the operation's id around the shared payload, as
 * one text message in three fragments: the payload itself is handed to every socket as it is, never
 * copied per socket (a whole board is tens of KB). While it is being written, only the newest
 * payload waits.
 */
function send(member: Member, payload: Buffer) {
  if (member.sending) {
    member.owed = payload;
    return;
  }
  const { socket } = member;
  if (socket.readyState !== socket.OPEN) return;
  member.sending = true;
  socket.send(`{"id":${JSON.stringify(member.id)},"type":"next","payload":`, { binary: false, fin: false });
  socket.send(payload, { binary: false, fin: false });
  socket.send(CLOSING_BRACE, { binary: false, fin: true }, () => {
    member.sending = false;
    const owed = member.owed;
    member.owed = null;
    if (owed) send(member, owed);
  });
  member.onFirstFrame?.();
  member.onFirstFrame = null;
}

/**
 * Subscriptions whose every payload is complete state (the Live board) are executed and serialized
 * once per key in this process, however many sockets watch; the key names everything that can change
 * a payload (what the viewer may see, the operation and its variables).
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly onResult: (result: ExecutionResult) => void) {}

  join(key: string, start: () => Promise<AsyncIterable<ExecutionResult> | ExecutionResult>, socket: WebSocket, id: string, onFirstFrame: () => void) {
    let group = this.groups.get(key);
    if (!group) {
      const created = new Group(this.onResult, () => this.groups.delete(key));
      group = created;
      this.groups.set(key, created);
      start().then(
        (source) => created.start(source),
        (error: Error) => created.start({ errors: [new GraphQLError(error.message)] }),
      );
    }
    return group.join(socket, id, onFirstFrame);
  }
}
