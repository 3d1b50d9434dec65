// The public contract's naming convention, as the large public GraphQL APIs spell theirs (GitHub,
// Shopify): types PascalCase, fields and arguments camelCase, enum values UPPER_SNAKE, and every
// mutation's arguments one `input`. Third parties code against schema/schema.graphql, so a drift
// fails here rather than in their code.
import { readFileSync } from "node:fs";
import graphqlPlugin from "@graphql-eslint/eslint-plugin";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const SDL = readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8");

const linter = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ["**/*.graphql"],
      languageOptions: { parser: graphqlPlugin.parser },
      plugins: { "@graphql-eslint": graphqlPlugin },
      rules: {
        "@graphql-eslint/naming-convention": [
          "error",
          { types: "PascalCase", FieldDefinition: "camelCase", InputValueDefinition: "camelCase", Argument: "camelCase", EnumValueDefinition: "UPPER_CASE" },
        ],
        // Input type names are not checked: the inputs released before the convention keep theirs.
        "@graphql-eslint/input-name": ["error", { checkInputType: false }],
      },
    },
  ],
});

async function problems(sdl: string): Promise<string[]> {
  const [result] = await linter.lintText(sdl, { filePath: "schema/schema.graphql" });
  return result!.messages.map((m) => `${m.line}: ${m.message}`);
}

describe("schema/schema.graphql naming", () => {
  it("follows the convention", async () => {
    expect(await problems(SDL)).toEqual([]);
  });

  it("rejects a lower-case enum value", async () => {
    expect(await problems(`${SDL}\nenum Mood {\n  happy\n}\n`)).toEqual([expect.stringContaining('"happy" should be in UPPER_CASE')]);
  });

  it("rejects a mutation with arguments other than one input", async () => {
    const found = await problems(`${SDL}\nextend type Mutation {\n  renameThing(id: ID!, name: String!): Boolean!\n}\n`);
    expect(found).toEqual([expect.stringContaining('"id" should be named "input"'), expect.stringContaining('"name" should be named "input"')]);
  });
});
