// `nodes(ids:)` asks each type's `loadOne` once per id. Each loader states its type's visibility
// rule once, as a by-id `findFirst`/`findUnique`; this view of the database gathers the by-id reads
// made in the same tick with the same other arguments into one `findMany`, so a hundred ids of a
// type cost one query instead of a hundred, and no loader needs a batched twin. List fields under
// each item of a list (a client's projects) gather their parents the same way (childrenOf).
import type { Db } from "./context.js";

type Args = { where: { id: string } & Record<string, unknown> } & Record<string, unknown>;
type Row = { id: string };
type ModelDelegate = { findMany(args: object): Promise<Row[]> };

interface Batch {
  ids: string[];
  waiting: { id: string; resolve(row: Row | null): void; reject(error: unknown): void }[];
}

const BY_ID = new Set(["findFirst", "findUnique"]);

export function batchedById(db: Db): Db {
  const batches = new Map<string, Batch>();

  const start = (delegate: ModelDelegate, key: string, rest: object, where: object): Batch => {
    const batch: Batch = { ids: [], waiting: [] };
    batches.set(key, batch);
    // Loaders of one type are all called in the same tick; the query goes once they have been.
    queueMicrotask(() => {
      batches.delete(key);
      delegate.findMany({ ...rest, where: { ...where, id: { in: batch.ids } } }).then(
        (rows) => {
          const byId = new Map(rows.map((r) => [r.id, r]));
          for (const w of batch.waiting) w.resolve(byId.get(w.id) ?? null);
        },
        (error) => batch.waiting.forEach((w) => w.reject(error)),
      );
    });
    return batch;
  };

  const load = (delegate: ModelDelegate, model: string, args: Args) => {
    const { id, ...where } = args.where;
    const rest = { ...args, where };
    const key = `${model} ${JSON.stringify(rest)}`;
    const batch = batches.get(key) ?? start(delegate, key, rest, where);
    batch.ids.push(id);
    return new Promise<Row | null>((resolve, reject) => batch.waiting.push({ id, resolve, reject }));
  };

  const model = (name: string, delegate: ModelDelegate) =>
    new Proxy(delegate, {
      get(target, method, receiver) {
        const original = Reflect.get(target, method, receiver);
        if (typeof method !== "string" || !BY_ID.has(method)) return original;
        return (args: Args) => (typeof args?.where?.id === "string" ? load(target, name, args) : original.call(target, args));
      },
    });

  return new Proxy(db, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      return typeof name === "string" && !name.startsWith("$") && value && typeof value === "object" && "findMany" in value
        ? model(name, value as ModelDelegate)
        : value;
    },
  });
}

interface ChildBatch {
  parentIds: string[];
  waiting: { parentId: string; resolve(rows: unknown[]): void; reject(error: unknown): void }[];
}

/** One request's child batches, by the field they serve; dropped with the request's context. */
const childBatches = new WeakMap<object, Map<string, ChildBatch>>();

/**
 * The rows under one parent, for a list field such as `Client.projects`: the executor resolves a
 * list's items in one tick, so every call made in that tick for the same `field` of the same
 * request goes to `load` once, with all their parents' ids, and a list of 50 costs what a list of
 * 1 does. `load` keeps its order (each parent's rows come back in it); `parentOf` names a row's parent.
 */
export function childrenOf<T>(ctx: object, field: string, parentId: string, load: (parentIds: string[]) => Promise<T[]>, parentOf: (row: T) => string): Promise<T[]> {
  let batches = childBatches.get(ctx);
  if (!batches) childBatches.set(ctx, (batches = new Map()));
  let batch = batches.get(field);
  if (!batch) {
    const started: ChildBatch = (batch = { parentIds: [], waiting: [] });
    batches.set(field, started);
    queueMicrotask(() => {
      batches.delete(field);
      load(started.parentIds).then(
        (rows) => {
          const byParent = new Map<string, T[]>();
          for (const row of rows) {
            const siblings = byParent.get(parentOf(row));
            if (siblings) siblings.push(row);
            else byParent.set(parentOf(row), [row]);
          }
          for (const w of started.waiting) w.resolve(byParent.get(w.parentId) ?? []);
        },
        (error) => started.waiting.forEach((w) => w.reject(error)),
      );
    });
  }
  batch.parentIds.push(parentId);
  return new Promise<T[]>((resolve, reject) => batch.waiting.push({ parentId, resolve: resolve as (rows: unknown[]) => void, reject }));
}
