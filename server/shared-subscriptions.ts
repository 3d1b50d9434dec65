import { GraphQLError, type DocumentNode, type ExecutionResult } from "graphql";
import { LatestOnly } from "../schema/common/latest.js";

type Source = AsyncIterator<ExecutionResult> & { return?(): Promise<unknown> };

/** One execution of a state subscription, fanned out to every socket that asked the same thing. */
class Group {
  private latest: ExecutionResult | null = null;
  private readonly members = new Set<LatestOnly<ExecutionResult>>();
  private source: Source | null = null;
  private closed = false;

  constructor(
    /** The validated operation, so later joiners skip parsing and validation. */
    readonly document: DocumentNode,
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
    this.latest = result;
    for (const member of this.members) member.push(result);
  }

  join(): LatestOnly<ExecutionResult> {
    const member: LatestOnly<ExecutionResult> = new LatestOnly(() => this.leave(member));
    this.members.add(member);
    // Each payload is the whole state, so a late joiner starts from the current one.
    if (this.latest) member.push(this.latest);
    return member;
  }

  private leave(member: LatestOnly<ExecutionResult>) {
    this.members.delete(member);
    if (!this.members.size) this.close();
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    void this.source?.return?.();
    for (const member of this.members) member.end();
    this.onEmpty();
  }
}

/**
 * Subscriptions whose every payload is complete state (the Live board) are executed once per
 * distinct (viewer identity, operation, variables) in this process, however many sockets watch.
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  /** The already validated operation for this key, while its group runs. */
  documentFor(key: string): DocumentNode | undefined {
    return this.groups.get(key)?.document;
  }

  join(key: string, document: DocumentNode, start: () => Promise<AsyncIterable<ExecutionResult> | ExecutionResult>) {
    let group = this.groups.get(key);
    if (!group) {
      const created = new Group(document, () => this.groups.delete(key));
      group = created;
      this.groups.set(key, created);
      start().then(
        (source) => created.start(source),
        (error: Error) => created.start({ errors: [new GraphQLError(error.message)] }),
      );
    }
    return group.join();
  }
}
