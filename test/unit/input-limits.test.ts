// The input boundary on its own: what it refuses, by path, and what it leaves to JSON's owners.
import { GraphQLID, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, GraphQLString, type GraphQLArgument } from "graphql";
import { describe, expect, it } from "vitest";
import { inputProblems } from "../../schema/common/input-limits.js";

const JSON_SCALAR = new GraphQLScalarType({ name: "JSON" });
const Input = new GraphQLInputObjectType({ name: "Input", fields: { name: { type: GraphQLString }, values: { type: JSON_SCALAR }, ids: { type: new GraphQLList(new GraphQLNonNull(GraphQLID)) } } });
const args = [{ name: "input", type: new GraphQLNonNull(Input) }] as unknown as GraphQLArgument[];

describe("input limits", () => {
  it("refuse long names of our own inputs, but not a JSON value that happens to be keyed name", () => {
    expect(inputProblems({ input: { name: "n".repeat(201), values: { name: "v".repeat(5_000) } } }, args)).toEqual([{ path: ["input", "name"], message: "At most 200 characters" }]);
  });
  it("refuse lone surrogates, which have no UTF-8 form, in values and keys; a whole pair is fine", () => {
    const problems = inputProblems({ input: { name: "a\ud800", values: { ["\udc00"]: 1, ok: "🙂" } } }, args);
    expect(problems.map((p) => `${p.path.join(".")}: ${p.message}`).sort()).toEqual([
      "input.name: Must be well-formed Unicode (no lone surrogates)",
      "input.values: Keys must be well-formed Unicode (no lone surrogates)",
    ]);
  });
  it("refuse NUL characters in values and keys, foreign IDs, and lists and nesting past their limits", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const problems = inputProblems(
      { input: { values: { ok: "a\0b", ["k\0"]: 1, deep, many: Array(1_001).fill(0) }, ids: [{ typename: "Client", id: "1; DROP" }, { typename: "Client", id: "3f1d4a52-8a8e-4a52-9f0e-1c2d3e4f5a6b" }] } },
      args,
    );
    expect(problems.map((p) => `${p.path.slice(0, 4).join(".")}: ${p.message}`).sort()).toEqual([
      "input.ids.0: Not an ID of this API",
      "input.values.deep.0: Nested more than 32 levels deep",
      "input.values.many: At most 1000 items",
      "input.values.ok: Must not contain NUL characters",
      "input.values: Keys must not contain NUL characters",
    ]);
  });
});
