import { readFileSync } from "node:fs";
import { printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../schema/index.js";

describe("schema/schema.graphql", () => {
  it("is the printed schema (run `npm run schema:print` after a schema change)", () => {
    const committed = readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(printSchema(schema) + "\n");
  });
});
