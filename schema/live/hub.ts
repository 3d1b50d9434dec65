import type { ChangeFeed, Db, LiveBoards, Watcher } from "../common/context.js";
import type { LiveBoard, LiveBoardChanges, LiveChange, LiveSession, PubSub } from "../common/pubsub.js";
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

const byStart = (a: LiveSession, b: LiveSession) => a.startedAt.getTime() - b.startedAt.getTime();

/**
 * A changes-only subscriber's mailbox: the whole board first, then the rows changed since the last
 * payload. Changes merge by row while the consumer is busy (each row as it is when taken), so a slow
 * reader costs an entry per row, never a queue of payloads, and misses nothing.
 */
class BoardChanges implements AsyncIterableIterator<LiveBoardChanges>, ChangeFeed {
  /** Rows changed since the last payload, by id: as they are, or as they were when they are gone. */
  private readonly touched = new Map<string, LiveSession>();
  private wholeWanted = true;
  private started = false;
  private tickAt: Date | null = null;
  private waiting: ((r: IteratorResult<LiveBoardChanges>) => void) | null = null;
  private done = false;
  lastWasWhole = false;

  constructor(
    readonly watcher: Watcher,
    private readonly workspaceId: string,
    private readonly board: () => ReadonlyMap<string, LiveSession>,
    private readonly onClose: () => void,
  ) {}

  /** Rows as they were and as they are; only those the watcher sees count. */
  touch(rows: readonly LiveSession[]) {
    for (const row of rows) if (this.watcher.sees(row)) this.touched.set(row.id, row);
    if (this.touched.size) this.wake();
  }

  tick(now: Date) {
    this.tickAt = now;
    this.wake();
  }

  resync() {
    this.wholeWanted = true;
    this.wake();
  }

  /**
   * The next payload, or null when nothing waits. Changes waiting go before a whole board asked for
   * again: whoever is already up to date needs them, and the whole board taken after includes them.
   */
  private take(): LiveBoardChanges | null {
    const serverTime = new Date();
    const pendingChanges = this.touched.size > 0 || this.tickAt !== null;
    if (this.wholeWanted && (!this.started || !pendingChanges)) {
      [this.started, this.wholeWanted, this.lastWasWhole, this.tickAt] = [true, false, true, null];
      this.touched.clear();
      return { workspaceId: this.workspaceId, serverTime, reason: "SNAPSHOT", sessions: [...this.board().values()].sort(byStart), removed: [] };
    }
    if (!pendingChanges) return null;
    const [sessions, removed] = [[] as LiveSession[], [] as LiveSession[]];
    for (const [id, row] of this.touched) {
      const current = this.board().get(id);
      if (current) sessions.push(current);
      else removed.push(row);
    }
    const reason = this.touched.size ? "CHANGE" : "TICK";
    const at = reason === "TICK" ? this.tickAt! : serverTime;
    this.touched.clear();
    [this.tickAt, this.lastWasWhole] = [null, false];
    return { workspaceId: this.workspaceId, serverTime: at, reason, sessions, removed };
  }

  private wake() {
    if (!this.waiting) return;
    const value = this.take();
    if (!value) return;
    const resolve = this.waiting;
    this.waiting = null;
    resolve({ value, done: false });
  }

  next(): Promise<IteratorResult<LiveBoardChanges>> {
    const value = this.done ? null : this.take();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<LiveBoardChanges>> {
    if (!this.done) {
      this.done = true;
      this.touched.clear();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
      this.onClose();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** Everything one process knows about one workspace's board, shared by all its subscribers here. */
class WorkspaceHub {
  private sessions = new Map<string, LiveSession>();
  /** Each subscriber's mailbox (newest board only), and what it watches. */
  private readonly mailboxes = new Map<LatestOnly<LiveBoard>, Watcher>();
  private readonly feeds = new Set<BoardChanges>();
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
    const before = [...this.sessions.values()];
    try {
      const list = await listOpenSessions(this.sources, this.db, this.workspaceId, new Date());
      this.sessions = new Map(list.map((s) => [s.id, s]));
    } finally {
      // Even when the read failed, changes heard meanwhile are applied and live updates go on.
      const heard = this.pending ?? [];
      this.pending = null;
      this.apply(heard, reason, [...before, ...this.sessions.values()]);
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
    mailbox.push({ workspaceId: this.workspaceId, serverTime: new Date(), reason: "SNAPSHOT", sessions: [...this.sessions.values()].sort(byStart) });
    return mailbox;
  }

  async subscribeChanges(watcher: Watcher): Promise<BoardChanges> {
    const feed: BoardChanges = new BoardChanges(watcher, this.workspaceId, () => this.sessions, () => this.leave(feed));
    this.feeds.add(feed);
    await this.ready;
    return feed;
  }

  private leave(subscriber: LatestOnly<LiveBoard> | BoardChanges) {
    if (subscriber instanceof BoardChanges) this.feeds.delete(subscriber);
    else this.mailboxes.delete(subscriber);
    if (this.mailboxes.size === 0 && this.feeds.size === 0) {
      this.stopListening();
      this.onEmpty();
    }
  }

  /**
   * A change goes to the subscribers who see a row it touched (as it was or as it is now); a
   * (re)load goes to everyone. The others' boards are unchanged, and sending them one anyway would
   * cost an execution per audience and a frame per socket for each change anywhere in the workspace.
   * After a (re)load, every row that was or is on the board counts as touched.
   */
  private apply(changes: LiveChange[], reason: LiveBoard["reason"] = "CHANGE", reloaded: LiveSession[] | null = null) {
    const touched: LiveSession[] = reloaded ?? [];
    for (const change of changes) {
      const id = change.upsert?.id ?? change.removeId!;
      const before = this.sessions.get(id);
      if (before) touched.push(before);
      if (change.upsert) {
        this.sessions.set(id, change.upsert);
        touched.push(change.upsert);
      } else this.sessions.delete(id);
    }
    this.publish(reason, new Date(), () => [...this.sessions.values()], (w) => reloaded !== null || touched.some(w.sees));
    for (const feed of this.feeds) feed.touch(touched);
  }

  /** One tick payload for the whole board, to the subscribers who asked for ticks and see a counter that moved. */
  tick(now: Date) {
    const sessions = [...this.sessions.values()];
    const ticking = sessions.filter((s) => s.ticking);
    if (!ticking.length) return;
    const ticks = (w: Watcher) => w.wantsTicks && ticking.some(w.sees);
    this.publish("TICK", now, () => sessions.map((s) => advance(s, now)), ticks);
    for (const feed of this.feeds) if (ticks(feed.watcher)) feed.tick(now);
  }

  /** One whole board for the `liveBoard` subscribers it goes to, built only if it goes to any. */
  private publish(reason: LiveBoard["reason"], now: Date, sessions: () => LiveSession[], to: (watcher: Watcher) => boolean) {
    let board: LiveBoard | null = null;
    for (const [mailbox, watcher] of this.mailboxes) {
      if (!to(watcher)) continue;
      board ??= { workspaceId: this.workspaceId, serverTime: now, reason, sessions: sessions().sort(byStart) };
      mailbox.push(board);
    }
  }

  get hasTickSubscribers() {
    for (const watcher of this.mailboxes.values()) if (watcher.wantsTicks) return true;
    for (const feed of this.feeds) if (feed.watcher.wantsTicks) return true;
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
    return this.hub(workspaceId, watcher).subscribe(watcher);
  }

  subscribeChanges(workspaceId: string, watcher: Watcher) {
    return this.hub(workspaceId, watcher).subscribeChanges(watcher);
  }

  private hub(workspaceId: string, watcher: Watcher) {
    let hub = this.hubs.get(workspaceId);
    if (!hub) {
      hub = new WorkspaceHub(workspaceId, this.db, this.sources, this.pubsub, () => this.hubs.delete(workspaceId));
      this.hubs.set(workspaceId, hub);
    }
    if (watcher.wantsTicks) this.startTicking();
    return hub;
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
