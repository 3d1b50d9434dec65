// Heartbeat floor: what receiving the batches costs before anything is stored. A bare node:http
// server, in its own process, reads each POSTed batch and checks it with the API's own reader and
// parser (readJson, parseBatch), then answers with the counts; no credential, no database. Any HTTP
// path for heartbeats does at least this, so its rate is the most the endpoint could reach.
import { createServer } from "node:http";
import { parseBatch } from "../../../schema/work/events.js";
import { readJson } from "../../../server/rest.js";

const LIMIT = 10_000_000;

const server = createServer((req, res) => {
  readJson(req, LIMIT).then(
    (body) => {
      const { events, rejected } = parseBatch(body);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: events.length, rejected }));
    },
    () => res.writeHead(400).end(),
  );
});
server.listen(0, "127.0.0.1", () => {
  console.log(`ready on http://127.0.0.1:${(server.address() as { port: number }).port} `);
});
