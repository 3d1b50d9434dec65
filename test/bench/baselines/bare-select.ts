// Round-trip baseline (b): a bare node:http handler doing the data work of
// `{ viewer { role user { name } } }` by hand: hash the bearer token, one SELECT through `pg` for
// the token, its member and user, the JSON answer. Its own process, on the API's database.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";

// The API's pool size, so neither side waits on connections the other has.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

const VIEWER = `
  SELECT m.role, u.name, w."customStaff", w."staffPermissions"
  FROM "AccessToken" t
  JOIN "Workspace" w ON w.id = t."workspaceId"
  JOIN "Membership" m ON m."workspaceId" = t."workspaceId" AND m."userId" = t."userId"
  JOIN "User" u ON u.id = t."userId"
  WHERE t."secretHash" = $1 AND t."revokedAt" IS NULL AND (t."expiresAt" IS NULL OR t."expiresAt" > now())`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", async () => {
    JSON.parse(Buffer.concat(chunks).toString()); // the query itself is known; parsing it is work the API does too
    const secret = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const { rows } = await pool.query(VIEWER, [createHash("sha256").update(secret).digest("hex")]);
    const viewer = rows[0] ? { role: rows[0].role.toUpperCase(), user: { name: rows[0].name } } : null;
    res.writeHead(viewer ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify({ data: { viewer } }));
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(`ready on http://127.0.0.1:${(server.address() as { port: number }).port} `);
});
