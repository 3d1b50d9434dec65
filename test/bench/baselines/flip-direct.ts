// Beat-flip baseline: the database work of setBeat alone, agent_flip_beat called through `pg` by the
// same people flipping the same sessions in the same order as the bench does through the API, in its
// own process, with the API's pool size, so the ratio is what the API adds to one flip.
// Arguments: one JSON object { databaseUrl, seconds, people: [{ workspaceId, userId, sessions: [a, b] }] }.
// Prints { flips, p50, p99 } (ms) as JSON.
import pg from "pg";
import { loadLoop, percentile } from "../support.js";

interface Person {
  workspaceId: string;
  userId: string;
  sessions: [string, string];
}

const { databaseUrl, seconds, people } = JSON.parse(process.argv[2]) as { databaseUrl: string; seconds: number; people: Person[] };
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
const kinds = ["active", "agent", "idle"];
const FLIP = `SELECT * FROM agent_flip_beat($1, $2, $3, $4, 'idle', $5)`;

const latencies = await loadLoop(people, seconds, (p, i) => pool.query(FLIP, [p.workspaceId, p.userId, p.sessions[i % 2], kinds[i % 3], new Date()]));
await pool.end();
console.log(JSON.stringify({ flips: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }));
