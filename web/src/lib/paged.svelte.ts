import { Newest } from "./newest";

/** One page of a cursor connection, as a domain module's list function returns it. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * A list loaded page after page ("Load more"). Each `first` or `refetchShown` supersedes every load
 * started before it: when the filters change twice quickly, an older answer arriving last never
 * overwrites the newer one, and a next page of the old filters is dropped.
 */
export class PagedList<T extends { id: string }> {
  /** null until the first page arrives; pages may also change rows in place (live updates). */
  items = $state<T[] | null>(null);
  hasMore = $state(false);
  #cursor: string | null = null;
  #pages = 0;
  #newest = new Newest();

  constructor(private readonly fetchPage: (after: string | null) => Promise<Page<T>>) {}

  /** Forgets the rows shown (the filters changed): the list shows as loading until `first` answers. */
  clear() {
    this.items = null;
    this.#pages = 0;
  }

  /** The first page, replacing the list; false when a later load superseded it. */
  async first(): Promise<boolean> {
    const current = this.#newest.ask();
    const page = await this.fetchPage(null);
    if (!current()) return false;
    this.#show(page.nodes, page, 1);
    return true;
  }

  /** The next page, appended without the rows already shown (a row can move between pages meanwhile). */
  async more() {
    const current = this.#newest.join();
    const page = await this.fetchPage(this.#cursor);
    if (!current()) return;
    this.#show(withoutKnown(this.items ?? [], page.nodes), page, this.#pages + 1);
  }

  /** Refetches as many pages as are shown, in order, and swaps them in at once; false when superseded. */
  async refetchShown(): Promise<boolean> {
    const current = this.#newest.ask();
    const wanted = Math.max(1, this.#pages);
    let all: T[] = [];
    let last: Page<T> = { nodes: [], hasNextPage: false, endCursor: null };
    for (let i = 0; i < wanted; i++) {
      last = await this.fetchPage(last.endCursor);
      all = withoutKnown(all, last.nodes);
      if (!last.hasNextPage) break;
    }
    if (!current()) return false;
    this.#show(all, last, wanted);
    return true;
  }

  #show(items: T[], page: Page<T>, pages: number) {
    this.items = items;
    this.#cursor = page.endCursor;
    this.hasMore = page.hasNextPage;
    this.#pages = pages;
  }
}

function withoutKnown<T extends { id: string }>(shown: T[], next: T[]): T[] {
  const known = new Set(shown.map((row) => row.id));
  return [...shown, ...next.filter((row) => !known.has(row.id))];
}
