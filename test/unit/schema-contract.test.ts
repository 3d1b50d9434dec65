// Third parties code against schema/schema.graphql. schema/released.graphql is the contract as last
// released; a breaking change since then must be deliberate: CHANGELOG.md's newest section is then
// "## Unreleased" and its "### Breaking" list names the path of each (see README, Contributing).
import { readFileSync } from "node:fs";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import { buildSchema } from "graphql";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/** The section of the changelog a breaking change must be listed in, or null when the newest is a release. */
function unreleasedBreaking(changelog: string): string | null {
  const newest = changelog.split(/^## /m)[1] ?? "";
  if (!/^Unreleased\b/.test(newest)) return null;
  return newest.split(/^### Breaking\b/m)[1]?.split(/^### /m)[0] ?? "";
}

/** Each breaking change from the released SDL to the current one that the changelog doesn't name. */
async function unacknowledged(released: string, current: string, changelog: string): Promise<string[]> {
  const changes = await diff(buildSchema(released), buildSchema(current));
  const breaking = changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking);
  const listed = unreleasedBreaking(changelog) ?? "";
  return breaking.filter((c) => !listed.includes(`\`${c.path}\``)).map((c) => `${c.path}: ${c.message}`);
}

describe("the public contract", () => {
  it("has no breaking change since the release that CHANGELOG.md doesn't list", async () => {
    expect(await unacknowledged(read("schema/released.graphql"), read("schema/schema.graphql"), read("CHANGELOG.md"))).toEqual([]);
  });

  const released = "type Query { a: Int!, b: Int! }";
  const withoutB = "type Query { a: Int! }";

  it("fails on a breaking change the changelog doesn't name", async () => {
    expect(await unacknowledged(released, withoutB, "# Changelog\n\n## 0.2.0\n\n### Breaking\n- `Query.b` removed\n")).toEqual([
      expect.stringContaining("Query.b"),
    ]);
    expect(await unacknowledged(released, withoutB, "# Changelog\n\n## Unreleased\n\n### Added\n- `Query.b`\n")).toHaveLength(1);
  });

  it("passes once the Unreleased section's Breaking list names it", async () => {
    expect(await unacknowledged(released, withoutB, "# Changelog\n\n## Unreleased\n\n### Breaking\n- `Query.b` removed\n\n## 0.2.0\n")).toEqual([]);
  });
});
