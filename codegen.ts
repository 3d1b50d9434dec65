// Types for the web client's operations, generated from the committed SDL: a query that no longer
// matches the schema fails the generation, and a changed result type fails the type check.
// `npm run codegen` writes web/src/lib/generated/ (not committed); build:web and typecheck run it
// first, so run it once before `vite dev` or an editor's type check.
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
        // Operations travel as strings: fetch and graphql-ws send them as they are.
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true },
        // The JSON the API answers is an object (field values, event parameters, validation rules)
        // except a field definition's sub-fields, which lib/appointments.ts reads as FieldSpec[].
        scalars: { DateTime: "string", LocalDate: "string", Money: { input: "string | number", output: "string" }, JSON: { input: "unknown", output: "Record<string, unknown>" } },
      },
    },
  },
};

export default config;
