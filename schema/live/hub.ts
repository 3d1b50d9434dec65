import type { Db, LiveBoards, Watcher } from "../common/context.js";
import type { LiveBoard, LiveChange, LiveSession, PubSub } from "../common/pubsub.js";
import { LatestOnly } from "../common/latest.js";
import { listOpenSessions, type LiveSource } from "./sources.js";

/**
 * Counters of ticking sessions advanced by the whole seconds since their serverTime, which moves by
 * exactly as much: the fraction left over stays counted, so tick after tick nothing is lost.
 */
export function advance(session: LiveSession, now: Date): LiveSession {
  if (!session.ticking) return { ...session, serverTime: now };
  const elapsed = Math.max(0, Math.floor((now.getTime() - session.serverTime.getTime()) / 1000));
  return { ...session, accumulatedSeconds: session.accumulatedSeconds + elapsed, serverTime: new Date(session.serverTime.getTime() + elapsed * 1000) };
}

/** Everything one process knows about one workspace's board, shared by all its subscribers here. */
class WorkspaceHub {
  private sessions = new Map<string, LiveSession>();
  private board: LiveBoard | null = null;
  /** Each subscriber's mailbox (newest board only), and what it watches. */
  private readonly mailboxes = new Map<LatestOnly<LiveBoard>, Watcher>();
  private readonly ready: Promise<void>;
  private readonly stopListening: () => void;

  /** Changes heard while the board is (re)loaded, applied on top of what was read. */
  private pending: LiveChange[] | null = [];

  constructor(
    private readonly workspaceId: string,
    private readonly db: Db,
    private readonly sources: readonly LiveSource[],
    pubsub: PubSub,
    private readonly onEmpty: () => void,
  ) {
    // Listen before loading so no change slips between the load and the subscription.
    const iterator = pubsub.subscribe("live", workspaceId)[Symbol.asyncIterator]();
    const pump = async () => {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        if (this.pending) this.pending.push(r.value);
        else this.apply([r.value]);
      }
    };
    void pump();
    this.stopListening = () => void iterator.return?.();
    this.ready = this.load("SNAPSHOT");
  }

  private async load(reason: LiveBoard["reason"]) {
    this.pending ??= [];
    try {
      const list = await listOpenSessions(this.sources, this.db, this.workspaceId, new Date());
      this.sessions = new Map(list.map((s) => [s.id, s]));
    } finally {
      // Even when the read failed, changes heard meanwhile are applied and live updates go on.
      const heard = this.pending ?? [];
      this.pending = null;
      this.apply(heard, reason, true);
    }
  }

  /** Reads the board again: changes published while pub/sub was down never arrived. */
  reload(): Promise<void> {
    return this.load("CHANGE");
  }

  async subscribe(watcher: Watcher): Promise<AsyncIterableIterator<LiveBoard>> {
    const mailbox: LatestOnly<LiveBoard> = new LatestOnly(() => this.leave(mailbox));
    this.mailboxes.set(mailbox, watcher);
    await this.ready;
    // Stamped now: clients measure their clock's offset from the board's serverTime.
    mailbox.push({ ...this.board!, reason: "SNAPSHOT", serverTime: new Date() });
    return mailbox;
  }

  private leave(mailbox: LatestOnly<LiveBoard>) {
    this.mailboxes.delete(mailbox);
    if (this.mailboxes.size === 0) {
      this.stopListening();
      this.onEmpty();
    }
  }

  /**
   * A change goes to the subscribers who see a row it touched (as it was or as it is now); a
   * (re)load goes to everyone. The others' boards are unchanged, and sending them one anyway would
   * cost an execution per audience and a frame per socket for each change anywhere in the workspace.
   */
  private apply(changes: LiveChange[], reason: LiveBoard["reason"] = "CHANGE", toEveryone = false) {
    const touched: LiveSession[] = [];
    for (const change of changes) {
      const id = change.upsert?.id ?? change.removeId!;
      const before = this.sessions.get(id);
      if (before) touched.push(before);
      if (change.upsert) {
        this.sessions.set(id, change.upsert);
        touched.push(change.upsert);
      } else this.sessions.delete(id);
    }
    this.publish(reason, new Date(), [...this.sessions.values()], (w) => toEveryone || touched.some(w.sees));
  }

  /** One tick payload for the whole board, to the subscribers who asked for ticks and see a counter that moved. */
  tick(now: Date) {
    const sessions = [...this.sessions.values()];
    const ticking = sessions.filter((s) => s.ticking);
    if (!ticking.length) return;
    this.publish("TICK", now, sessions.map((s) => advance(s, now)), (w) => w.wantsTicks && ticking.some(w.sees));
  }

  private publish(reason: LiveBoard["reason"], now: Date, sessions: LiveSession[], to: (watcher: Watcher) => boolean) {
    sessions.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    this.board = { workspaceId: this.workspaceId, serverTime: now, reason, sessions };
    for (const [mailbox, watcher] of this.mailboxes) if (to(watcher)) mailbox.push(this.board);
  }

  get hasTickSubscribers() {
    for (const watcher of this.mailboxes.values()) if (watcher.wantsTicks) return true;
    return false;
  }
}

/** The per-process registry of workspace hubs and the single tick timer they share. */
export class LiveHubs implements LiveBoards {
  private readonly hubs = new Map<string, WorkspaceHub>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly pubsub: PubSub,
    private readonly sources: readonly LiveSource[],
    private readonly tickMs = 1000,
  ) {}

  subscribe(workspaceId: string, watcher: Watcher): Promise<AsyncIterableIterator<LiveBoard>> {
    let hub = this.hubs.get(workspaceId);
    if (!hub) {
      hub = new WorkspaceHub(workspaceId, this.db, this.sources, this.pubsub, () => this.hubs.delete(workspaceId));
      this.hubs.set(workspaceId, hub);
    }
    if (watcher.wantsTicks) this.startTicking();
    return hub.subscribe(watcher);
  }

  /** After a pub/sub outage every board here is read again; a failed read keeps the old one. */
  catchUp() {
    for (const hub of this.hubs.values()) void hub.reload().catch(() => {});
  }

  private startTicking() {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = new Date();
      let anyTicking = false;
      for (const hub of this.hubs.values()) {
        if (!hub.hasTickSubscribers) continue;
        anyTicking = true;
        hub.tick(now);
      }
      if (!anyTicking) this.stop();
    }, this.tickMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
