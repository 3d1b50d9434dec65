// Writes the SDL third parties code against; `npm run schema:print` after every schema change.
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "./index.js";

const target = new URL("./schema.graphql", import.meta.url);
writeFileSync(target, printSchema(schema) + "\n");
console.log(`wrote ${target.pathname}`);
