// `npm run bench`: every figure the issues ask for, printed as tables with same-run baselines.
import { beatFlips, monthEnd } from "./agent.js";
import { authorizationMatrix } from "./authorization.js";
import { badInput } from "./bad-input.js";
import { hostilePatternSave, signInUnderBurst } from "./security.js";
import { calendarMonth } from "./appointments.js";
import { eventIngestion, sessionList } from "./analytics.js";
import type { Board } from "./fanout-client.js";
import { fanOut, roundTrip } from "./platform.js";
import { faultScenarios } from "./faults.js";
import { soak } from "./soak.js";
import { trackerLag } from "./tracker.js";
import { heartbeatIngestion, importThroughput, sessionsPage } from "./work.js";
import { benchEnv, printTable, quick } from "./support.js";

// `npm run bench -- [figure] [--quick]`
const only = process.argv.slice(2).find((arg) => !arg.startsWith("--"));
/** The full size of a figure, or its `--quick` size. */
const size = (full: number, small: number) => (quick ? small : full);
const n = (value: number) => value.toLocaleString("en");
/**
 * Whether to take a figure. The scenario figures (faults, soak, the authorization matrix, bad
 * input, security) count what went wrong under a scenario rather than time a hot path, and take
 * half a run's minutes: a plain `--quick` leaves them out to stay under two minutes; named, they run.
 */
const scenarios = ["faults", "soak", "authorization", "bad-input", "security"];
const wanted = (...names: string[]) => (only ? names.includes(only) : !(quick && names.some((name) => scenarios.includes(name))));
const env = await benchEnv();
// Stopped with Ctrl-C or a kill, the run still takes its PostgreSQL and Redis down with it (a
// second signal, as Ctrl-C also reaches the tsx parent that relays it, changes nothing).
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void env.infra?.stop();
    process.exit(130);
  });
console.log(env.infra ? "Backing services: PostgreSQL and Redis on loopback" : "Backing services: embedded PGlite (install PostgreSQL and Redis for real figures)");
try {
  if (wanted("roundtrip")) printTable("GraphQL round trip, 50 concurrent clients", await roundTrip(env));
  if (wanted("fanout")) {
    // 20,000 per process is the goal, but a process may hold only 20,000 descriptors here (`ulimit
    // -Hn`), its database, Redis and listening sockets among them: the top step is 19,500.
    const counts = (process.env.BENCH_SUBSCRIBERS ?? (quick ? "400" : "1000,10000,19500")).split(",").map(Number);
    // The board's 200 sessions belong to 180 employees and 20 managers among the viewers.
    const viewers = Number(process.env.BENCH_VIEWERS ?? size(1000, 200));
    // liveBoardChanges is what the web client and wall displays run; BENCH_BOARDS=liveBoard,liveBoardChanges
    // compares it with the whole board in every payload.
    const boards = (process.env.BENCH_BOARDS ?? "liveBoardChanges").split(",") as Board[];
    // Scaling out shows only at sizes --quick doesn't reach. BENCH_API_PROCESSES=2 takes that table
    // alone: at full size each table keeps both cores busy for many minutes.
    const processes = (process.env.BENCH_API_PROCESSES ?? (env.infra && !quick ? "1,2" : "1")).split(",").map(Number);
    for (const board of boards) {
      const title = `${board} fan-out, 1 s ticks: ${n(viewers)} distinct viewers, 200 open sessions (a tenth changing each second)`;
      if (processes.includes(1)) {
        const one = await fanOut(env, board, counts, viewers);
        printTable(`${title}, one API process`, one.figures);
        if (one.heap) printTable(`Where the API's heap per subscriber goes: growth from no subscribers to ${n(counts.at(-1)!)} in heap snapshots, by kind of object`, one.heap);
      }
      if (processes.includes(2)) printTable(`${title}, two API processes behind one Redis`, (await fanOut(env, board, counts.map((c) => c * 2), viewers, 2)).figures);
    }
  }
  if (wanted("beats")) printTable("Agent session beat flips, 50 concurrent users", await beatFlips(env, 50, size(10, 1)));
  if (wanted("invoicing")) {
    const [clients, entries] = [size(1000, 100), size(100_000, 10_000)];
    printTable(`Month-end invoicing: ${n(clients)} clients, ${n(entries)} entries`, await monthEnd(env, clients, entries));
  }
  if (wanted("heartbeats")) printTable("Heartbeat ingestion into PostgreSQL", await heartbeatIngestion(env, 10, size(40, 3)));
  if (wanted("aw-import")) printTable("ActivityWatch import, a month-sized export (two hosts, browser tabs)", await importThroughput(env, size(3, 1)));
  if (wanted("tracker-lag")) printTable("Tracker lag: an ActivityWatch AFK heartbeat until the Live board shows it", await trackerLag(env, size(40, 4)));
  if (wanted("sessions-page")) {
    const employees = size(200, 50);
    printTable(`Sessions page, one month of ${employees} employees`, await sessionsPage(env, employees, 40, size(40, 10)));
  }
  if (wanted("appointments")) {
    const sessions = Number(process.env.BENCH_SESSIONS ?? size(10_000, 2_000));
    printTable(`Client sessions calendar, month view: 20 staff, ${n(sessions)} sessions with field values`, await calendarMonth(env, sessions, 20, size(100, 10)));
  }
  if (wanted("analytics", "ingestion"))
    printTable("User-session event ingestion, end to end (HTTP batch in, events stored, sessions updated)", await eventIngestion(env, Number(process.env.BENCH_BATCHES ?? size(200, 10))));
  if (wanted("analytics", "sessions-list")) {
    // 10M takes several minutes to make: BENCH_ANALYTICS_EVENTS=1000000,10000000 asks for it.
    const sizes = (process.env.BENCH_ANALYTICS_EVENTS ?? String(size(1_000_000, 50_000))).split(",").map(Number);
    printTable(
      `User Sessions list (50 per page) and User Activity page at ${sizes.map(n).join(" and ")} raw events (50,000 sessions a month, raw events in monthly partitions)`,
      await sessionList(env, sizes, 20, Number(process.env.BENCH_ROUNDS ?? size(100, 10))),
    );
  }
  if (wanted("faults"))
    printTable("Faults under mixed traffic (2 API processes, 1 worker): refused batches sent again, every event id audited", await faultScenarios());
  if (wanted("soak"))
    printTable("Soak: mixed traffic (heartbeats, analytics batches, reads, beat flips) with live-board subscribers held open, one API process and a worker", await soak(env));
  if (wanted("authorization")) printTable("Authorization matrix: every root field and endpoint, every kind of caller", authorizationMatrix());
  if (wanted("bad-input")) printTable("Bad input: hostile values for every root field and plain endpoint (BAD_INPUT_RUNS per field)", badInput());
  if (wanted("security", "authorization")) {
    printTable("Sign-in while another address brute-forces the same account", await signInUnderBurst(env));
    printTable("Custom-field save checked against a catastrophic-backtracking pattern", await hostilePatternSave(env));
  }
  if (quick && !only) console.log(`\nLeft out by --quick: fan-out over two API processes, and the scenario figures (${scenarios.join(", ")}), which \`npm run bench -- <figure> --quick\` takes.`);
} finally {
  await env.infra?.stop();
}
process.exit(0);
