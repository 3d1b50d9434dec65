// Round-trip baseline (a): graphql-yoga + Pothos answering `{ hello }`, built with the API's own
// builder plugins and yoga options, in its own process. What the API costs above this is ours.
import { createServer } from "node:http";
import { createYoga } from "graphql-yoga";
import { newBuilder } from "../../../schema/builder.js";
import { yogaBasics } from "../../../server/graphql.js";

const builder = newBuilder();
builder.queryType({ fields: (t) => ({ hello: t.string({ resolve: () => "world" }) }) });

const yoga = createYoga({ ...yogaBasics(), schema: builder.toSchema(), context: () => ({ viewer: null }) });
const server = createServer(yoga);
server.listen(0, "127.0.0.1", () => {
  console.log(`ready on http://127.0.0.1:${(server.address() as { port: number }).port} `);
});
