import { GraphQLError, type ExecutionResult } from "graphql";
import type { WebSocket } from "ws";
import type { ChangeFeed } from "../schema/common/context.js";
import { LatestOnly } from "../schema/common/latest.js";

type Source = AsyncIterator<ExecutionResult> & { return?(): Promise<unknown> };

/**
 * One socket's operation in a group: where its frames go, and what it waits for. It is also
 * graphql-ws's view of the operation: it ends when the group does, and is returned when the client
 * leaves. One object, no closures: a wall display's process holds thousands.
 */
class Member extends LatestOnly<never> {
  /** Whole states: a frame is being written, and the newest payload that arrived meanwhile (one, never a queue). */
  sending = false;
  owed: Buffer | null = null;
  /** Changes: whether the socket has had the whole state that the changes now sent apply to. */
  synced = false;

  constructor(
    readonly group: Group,
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

/**
 * Bytes a socket may hold unwritten (its reader isn't keeping up) before it counts as behind on
 * changes: a burst of changes is a few KB, a whole board tens of KB.
 */
const BEHIND_BYTES = 512 * 1024;
const behind = (member: Member) => member.socket.bufferedAmount > BEHIND_BYTES;

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
  /** Changes only: the subscription's feed, asked for the whole state when a socket needs it. */
  feed: ChangeFeed | null = null;
  /** Changes only: a whole state is asked for and not yet here; sockets needing one wait for it. */
  private wholeAsked = false;

  constructor(
    private readonly onResult: (result: ExecutionResult) => void,
    private readonly onEmpty: () => void,
    readonly changes: boolean,
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

  /**
   * Whole states go to every socket. Of a changes stream, a whole state goes to the sockets waiting
   * for one, changes to the others, and a result without data (an error) to all. A socket behind on
   * changes skips them, and asks for the whole state once it has written what it holds.
   */
  private broadcast(result: ExecutionResult) {
    this.onResult(result);
    const payload = serialize(result);
    if (!this.changes) {
      this.latest = payload;
      for (const member of this.members) sendLatest(member, payload);
      return;
    }
    const whole = !result.data || this.feed?.lastWasWhole !== false;
    if (whole) this.wholeAsked = false;
    for (const member of this.members) {
      if (!result.data) write(member, payload);
      else if (whole && !member.synced && !behind(member)) {
        member.synced = true;
        write(member, payload);
      } else if (!whole && member.synced) {
        if (behind(member)) member.synced = false;
        else write(member, payload);
      }
    }
  }

  join(socket: WebSocket, id: string, onFirstFrame: () => void): AsyncIterableIterator<never> {
    const member = new Member(this, socket, id, onFirstFrame);
    this.members.add(member);
    // A late joiner starts from the current whole state: the last payload, or of changes the next one.
    if (this.latest) sendLatest(member, this.latest);
    if (this.changes) this.askWhole();
    return member;
  }

  private askWhole() {
    if (this.wholeAsked) return;
    this.wholeAsked = true;
    this.feed?.resync();
  }

  /** A member's frame is written out: what it waits for may go now. */
  written(member: Member) {
    member.sending = false;
    if (this.changes) {
      if (!member.synced && !behind(member)) this.askWhole();
      return;
    }
    const owed = member.owed;
    member.owed = null;
    if (owed) sendLatest(member, owed);
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

/** A whole state: while one is being written, only the newest waits. */
function sendLatest(member: Member, payload: Buffer) {
  if (member.sending) member.owed = payload;
  else write(member, payload);
}

/** Payloads up to this size are copied into one message per socket: one write instead of three. */
const ONE_COPY_BYTES = 16 * 1024;

/**
 * Writes a graphql-transport-ws `next` message, the operation's id around the shared payload. A
 * small payload (a change, a tick) is copied behind its socket's id into one frame, one write to the
 * socket; a large one (a whole board is tens of KB) goes as one text message in three fragments, so
 * it is handed to every socket as it is, never copied per socket.
 */
function write(member: Member, payload: Buffer) {
  const { socket } = member;
  if (socket.readyState !== socket.OPEN) return;
  member.sending = true;
  const head = `{"id":${JSON.stringify(member.id)},"type":"next","payload":`;
  const written = () => member.group.written(member);
  if (payload.length <= ONE_COPY_BYTES) {
    const frame = Buffer.allocUnsafe(Buffer.byteLength(head) + payload.length + 1);
    const at = frame.write(head);
    payload.copy(frame, at);
    frame[frame.length - 1] = CLOSING_BRACE[0];
    socket.send(frame, { binary: false }, written);
  } else {
    socket.send(head, { binary: false, fin: false });
    socket.send(payload, { binary: false, fin: false });
    socket.send(CLOSING_BRACE, { binary: false, fin: true }, written);
  }
  member.onFirstFrame?.();
  member.onFirstFrame = null;
}

/** Starts a group's execution; a changes subscription hands its feed to `onChangeFeed`. */
export type Start = (onChangeFeed: (feed: ChangeFeed) => void) => Promise<AsyncIterable<ExecutionResult> | ExecutionResult>;

/**
 * Subscriptions whose payloads are complete state, or changes after a complete state (the Live
 * board), are executed and serialized once per key in this process, however many sockets watch; the
 * key names everything that can change a payload (what the viewer may see, the operation and its
 * variables).
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly onResult: (result: ExecutionResult) => void) {}

  join(key: string, changes: boolean, start: Start, socket: WebSocket, id: string, onFirstFrame: () => void) {
    let group = this.groups.get(key);
    if (!group) {
      const created = new Group(this.onResult, () => this.groups.delete(key), changes);
      group = created;
      this.groups.set(key, created);
      start((feed) => (created.feed = feed)).then(
        (source) => created.start(source),
        (error: Error) => created.start({ errors: [new GraphQLError(error.message)] }),
      );
    }
    return group.join(socket, id, onFirstFrame);
  }
}
