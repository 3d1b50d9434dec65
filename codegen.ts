// Types for the web client's operations, generated from the committed SDL: a query that no longer
// matches the schema fails the generation, and a changed result type fails the type check.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["web/src/lib/**/*.ts", "web/src/lib/**/*.graphql"],
  // Only `graphql(...)` calls are operations; plain template strings elsewhere are not.
  pluckConfig: { globalGqlIdentifierName: "graphql", modules: [{ name: "./generated", identifier: "graphql" }] },
  generates: {
    "web/src/lib/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true },
        // Every JSON the API answers is an object (field values, event parameters, validation rules).
        scalars: { DateTime: "string", LocalDate: "string", Money: { input: "string | number", output: "string" }, JSON: { input: "unknown", output: "Record<string, unknown>" } },
      },
    },
  },
};

export default config;
