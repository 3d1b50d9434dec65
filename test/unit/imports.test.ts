// The direction of the arrows (hosts → platform → domains → common) and no import rings, checked on
// every run: a ring or a host importing another host slips in with one innocent-looking line.
import madge from "madge";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const FOLDERS = ["server", "worker", "platform", "schema", "prisma", "tracker"];

/** The import graph from `entries`, type-only imports left out. */
function importGraph(entries: string[]) {
  return madge(entries, {
    baseDir: ROOT,
    fileExtensions: ["ts"],
    tsConfig: `${ROOT}tsconfig.json`,
    excludeRegExp: [/prisma\/generated\//],
    // `import type` is erased at compile time, so it can't make a ring at run time; Services and the
    // job API name each other's types on purpose.
    detectiveOptions: { ts: { skipTypeImports: true } },
  });
}

/** Each import from a file under `from` of a file under `to`, as "file → imported". */
function importsInto(graph: Record<string, string[]>, from: string, to: string) {
  return Object.entries(graph).flatMap(([file, deps]) =>
    file.startsWith(from) ? deps.filter((d) => d.startsWith(to)).map((d) => `${file} → ${d}`) : [],
  );
}

describe("imports", () => {
  let all: Awaited<ReturnType<typeof importGraph>>;
  let graph: Record<string, string[]>;
  beforeAll(async () => {
    all = await importGraph(FOLDERS.map((f) => `${ROOT}${f}`));
    graph = all.obj();
  }, 60_000);

  it("form no rings", () => {
    expect(Object.keys(graph).length).toBeGreaterThan(50);
    expect(all.circular()).toEqual([]);
  });

  it("never go from one host to another, nor from the platform or the domains up to a host", () => {
    expect(importsInto(graph, "server/", "worker/")).toEqual([]);
    expect(importsInto(graph, "worker/", "server/")).toEqual([]);
    expect(importsInto(graph, "prisma/", "server/")).toEqual([]);
    for (const lower of ["platform/", "schema/"])
      for (const host of ["server/", "worker/"]) expect(importsInto(graph, lower, host)).toEqual([]);
  });

  it("leave the GraphQL schema out of the worker process", async () => {
    const loaded = Object.keys((await importGraph([`${ROOT}worker/main.ts`])).obj());
    expect(loaded).toContain("schema/jobs.ts");
    expect(loaded).not.toContain("schema/builder.ts");
  });
});
