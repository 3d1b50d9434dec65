import { fileURLToPath } from "node:url";
import { DEMO_MEMBERS, DEMO_PASSWORD, seedDemo } from "../prisma/seed.js";
import { Authenticator } from "./auth.js";
import { readConfig } from "../platform/config.js";
import { createGraphQL } from "./graphql.js";
import { createHttpServer } from "./http.js";
import { openRuntime } from "../platform/services.js";
import { watchDatabase } from "../platform/watch.js";
import { refuseWhileDown } from "./unavailable.js";
import { createWebSocketServer } from "./websocket.js";
import { Health } from "./health.js";
import { Metrics } from "./metrics.js";
import { plainRoutes } from "./routes.js";
import { log } from "../schema/common/log.js";
import { reportMemoryOnSignal } from "./memory-report.js";

const config = readConfig();
const runtime = await openRuntime(config);
const auth = new Authenticator(runtime.db, runtime.pubsub, runtime.limits, runtime.credentialStamps);
const databaseWatch = config.databaseUrl ? watchDatabase(config.databaseUrl) : null;
if (databaseWatch) refuseWhileDown(runtime.pool, databaseWatch);
const health = new Health(runtime.pool, databaseWatch, runtime.redisWatch);
const metrics = new Metrics({
  pool: runtime.pool,
  jobCounts: runtime.jobCounts,
  openSockets: () => websocket.stats().sockets,
  liveSubscribers: () => websocket.stats().operations,
});
// Revocations and board changes announced while Redis was away never arrived here: catch up.
runtime.whenPubSubResumed(() => {
  auth.catchUp();
  runtime.live.catchUp();
});
const yoga = createGraphQL(runtime, auth, config, metrics);
const websocket = createWebSocketServer(yoga, auth, runtime.limits, config, metrics);
const webRoot = fileURLToPath(new URL("../web/build", import.meta.url));
const routes = plainRoutes({ runtime, auth, config, yoga, health, metrics });
const { server, markReady, drain } = createHttpServer({
  config,
  yoga,
  auth,
  webRoot,
  health,
  metrics,
  routes: Object.fromEntries(routes.map((r) => [r.path, r.handle])),
  bodyLimits: Object.fromEntries(routes.flatMap((r) => (r.maxBodyBytes ? [[r.path, r.maxBodyBytes]] : []))),
});

server.on("upgrade", (req, socket, head) => {
  if ((req.url ?? "").split("?")[0] === "/graphql") websocket.handleUpgrade(req, socket, head);
  else socket.destroy();
});

const seeded = config.seedDemo && (await seedDemo(runtime, { screenshots: { dataDir: config.dataDir, quota: config.screenshotQuota } }));
await runtime.embeddedJobs?.start(runtime);
await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
markReady();

const address = server.address();
const port = typeof address === "object" && address ? address.port : config.port;
log.info({ port }, `Sessions platform ready on http://localhost:${port} (GraphQL at /graphql)`);
if (!config.databaseUrl) log.info(`Embedded PostgreSQL in ${config.dataDir}; in-process jobs.`);
if (config.seedDemo) {
  const logins = DEMO_MEMBERS.map((m) => `${m.role} ${m.email}`);
  log.info({ logins, password: DEMO_PASSWORD, seeded }, `Demo logins (password "${DEMO_PASSWORD}"): ${logins.join(", ")}`);
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "finishing in-flight requests and jobs");
  // Stop accepting, let requests in flight complete, then close sockets, jobs and the database.
  const drained = drain();
  await websocket.close();
  await drained;
  databaseWatch?.stop();
  await runtime.close();
  process.exit(0);
}
if (process.env.BENCH_MEMORY === "1") reportMemoryOnSignal();
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
