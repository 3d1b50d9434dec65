// `npm run bench`: every figure the issues ask for, printed as tables with same-run baselines.
import { beatFlips, monthEnd } from "./agent.js";
import { authorizationMatrix } from "./authorization.js";
import { badInput } from "./bad-input.js";
import { hostilePatternSave, signInUnderBurst } from "./security.js";
import { calendarMonth } from "./appointments.js";
import { eventIngestion, sessionList } from "./analytics.js";
import { fanOut, roundTrip } from "./platform.js";
import { faultScenarios } from "./faults.js";
import { soak } from "./soak.js";
import { trackerLag } from "./tracker.js";
import { heartbeatIngestion, importThroughput, sessionsPage } from "./work.js";
import { benchEnv, printTable } from "./support.js";

// `npm run bench -- [figure] [--quick]`
const only = process.argv.slice(2).find((arg) => !arg.startsWith("--"));
const env = await benchEnv();
console.log(env.infra ? "Backing services: PostgreSQL and Redis on loopback" : "Backing services: embedded PGlite (install PostgreSQL and Redis for real figures)");
try {
  if (!only || only === "roundtrip") printTable("GraphQL round trip, 50 concurrent clients", await roundTrip(env));
  if (!only || only === "fanout") {
    const counts = (process.env.BENCH_SUBSCRIBERS ?? "1000,10000").split(",").map(Number);
    printTable("liveBoard fan-out on one API process, 1 s ticks", await fanOut(env, counts));
  }
  if (!only || only === "beats") printTable("Agent session beat flips, 50 concurrent users", await beatFlips(env));
  if (!only || only === "invoicing") printTable("Month-end invoicing: 1,000 clients, 100,000 entries", await monthEnd(env));
  if (!only || only === "heartbeats") printTable("Heartbeat ingestion into PostgreSQL", await heartbeatIngestion(env));
  if (!only || only === "aw-import") printTable("ActivityWatch import, a month-sized export (two hosts, browser tabs)", await importThroughput(env));
  if (!only || only === "tracker-lag") printTable("Tracker lag: an ActivityWatch AFK heartbeat until the Live board shows it", await trackerLag(env));
  if (!only || only === "sessions-page") printTable("Sessions page, one month of 200 employees", await sessionsPage(env));
  if (!only || only === "appointments") printTable("Client sessions calendar, month view: 20 staff, 10,000 sessions with field values", await calendarMonth(env));
  if (!only || only === "analytics" || only === "ingestion")
    printTable("User-session event ingestion, end to end (HTTP batch in, events stored, sessions updated)", await eventIngestion(env));
  if (!only || only === "analytics") printTable("User Sessions list over 1,000,000 raw events (~50,000 sessions), 50 per page", await sessionList(env));
  if (!only || only === "faults")
    printTable("Faults under mixed traffic (2 API processes, 1 worker): refused batches sent again, every event id audited", await faultScenarios());
  if (!only || only === "soak")
    printTable("Soak: mixed traffic (heartbeats, analytics batches, reads, beat flips) with live-board subscribers held open, one API process and a worker", await soak(env));
  if (!only || only === "authorization") printTable("Authorization matrix: every root field and endpoint, every kind of caller", authorizationMatrix());
  if (!only || only === "bad-input") printTable("Bad input: hostile values for every root field and plain endpoint (BAD_INPUT_RUNS per field)", badInput());
  if (!only || only === "authorization" || only === "security") {
    printTable("Sign-in while another address brute-forces the same account", await signInUnderBurst(env));
    printTable("Custom-field save checked against a catastrophic-backtracking pattern", await hostilePatternSave(env));
  }
} finally {
  await env.infra?.stop();
}
process.exit(0);
