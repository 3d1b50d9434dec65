// Where a process's bytes go: two V8 heap snapshots summed by what each object is (its constructor
// or kind) and compared, so a figure such as "KB per subscriber" is traced to the objects that make it.
import { readFileSync } from "node:fs";
import type { Row } from "./support.js";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Own sizes and counts of each kind of object in a snapshot. */
function kindsIn(file: string) {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const types = snapshot.meta.node_types[0];
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < nodes.length; i += fields.length) {
    // Strings and code are named by their contents, not their kind: count them as one kind each.
    const kind = types[nodes[i + type]];
    const key = kind === "object" || kind === "closure" || kind === "native" ? `${strings[nodes[i + name]]} (${kind})` : `(${kind})`;
    const entry = kinds.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + size];
    kinds.set(key, entry);
  }
  return kinds;
}

/** The `top` kinds of object that grew most from `before` to `after`, per subscriber added between them. */
export function heapGrowthByKind(before: string, after: string, subscribers: number, top = 12): Row[] {
  const base = kindsIn(before);
  const grown = [...kindsIn(after)].map(([kind, { count, bytes }]) => {
    const was = base.get(kind) ?? { count: 0, bytes: 0 };
    return [kind, { count: count - was.count, bytes: bytes - was.bytes }] as const;
  });
  return grown
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, top)
    .map(([kind, { count, bytes }]) => ({
      "object (kind)": kind.slice(0, 60),
      count,
      "count/subscriber": Number((count / subscribers).toFixed(2)),
      "bytes/subscriber": Math.round(bytes / subscribers),
      MB: Number((bytes / 2 ** 20).toFixed(1)),
    }));
}
