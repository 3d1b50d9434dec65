import { describe, expect, it } from "vitest";
import { addDays } from "../../schema/common/time.js";
import {
  activeUserCounts,
  daysOfMonths,
  monthsOfRange,
  activityRangeProblems,
  addLinks,
  analyticsSettings,
  clock,
  flowOutcome,
  isBotAgent,
  isDevEnvironment,
  matchBusinessEvents,
  mergeTouching,
  renderTemplate,
  sessionise,
  share,
  summarise,
  summaryInputHash,
  validateBatch,
  type BusinessEvent,
  type BusinessEventRule,
  type FlowRule,
  type SessionSpan,
} from "../../schema/analytics/rules.js";

const t = (hhmm: string, day = "2026-11-20") => new Date(`${day}T${hhmm}:00Z`);
const GAP = 30 * 60_000;

describe("batch validation", () => {
  const now = t("12:00");
  const good = { eventId: "e1", userId: "u1", name: "Signed Up", timestamp: "2026-11-20T11:59:00Z" };
  it("keeps the good events and gives each bad one its reason", () => {
    const { events, rejected } = validateBatch(
      {
        events: [
          good,
          { ...good, eventId: "e2", userId: undefined },
          { ...good, eventId: "e3", timestamp: "2026-11-20T11:00:00" },
          { ...good, eventId: "e4", properties: [1] },
          "nonsense",
          { ...good, eventId: "e1" },
          { ...good, eventId: "e5", anonymousId: "anon-1", userId: null },
        ],
      },
      now,
    );
    expect(events.map((e) => [e.eventId, e.userKey, e.identified])).toEqual([
      ["e1", "u1", true],
      ["e5", "anon-1", false],
    ]);
    expect(rejected).toEqual([
      { index: 1, eventId: "e2", reason: "userId or anonymousId is required" },
      { index: 2, eventId: "e3", reason: "timestamp must be ISO-8601 with an offset" },
      { index: 3, eventId: "e4", reason: "properties must be an object" },
      { index: 4, eventId: null, reason: "must be an object" },
      { index: 5, eventId: "e1", reason: "eventId appears twice in this batch" },
    ]);
  });
  it("clamps a timestamp far in the future to the receive time and flags it; tolerates small skew", () => {
    const { events } = validateBatch({ events: [{ ...good, timestamp: "2027-01-01T00:00:00Z" }, { ...good, eventId: "e2", timestamp: "2026-11-20T12:03:00Z" }] }, now);
    expect(events[0]).toMatchObject({ timestamp: now, clampedTimestamp: true });
    expect(events[1]).toMatchObject({ timestamp: t("12:03"), clampedTimestamp: false });
  });
  it("rejects timestamps that are not real instants", () => {
    for (const timestamp of ["2026-02-30T10:00:00Z", "2026-11-20 10:00:00Z", "2026-11-20T25:00:00Z", "2026-11-20T10:00:00+0100"])
      expect(validateBatch({ events: [{ ...good, timestamp }] }, now).rejected[0]?.reason).toBe("timestamp must be ISO-8601 with an offset");
    expect(validateBatch({ events: [{ ...good, timestamp: "2026-11-20T12:30:00+01:00" }] }, now).events[0].timestamp).toEqual(t("11:30"));
  });
  it("rejects NUL characters, which the database cannot store, in text and in properties", () => {
    const { events, rejected } = validateBatch(
      { events: [{ ...good, eventId: "n1", name: "a\u0000b" }, { ...good, eventId: "n2", properties: { note: { deep: "x\u0000" } } }, { ...good, eventId: "n3", properties: { path: "C:\\u0000" } }] },
      now,
    );
    expect(rejected.map((r) => [r.eventId, r.reason])).toEqual([
      ["n1", "text must not contain NUL characters"],
      ["n2", "properties must not contain NUL characters"],
    ]);
    // Half a surrogate pair: JSON.stringify writes it as an escape that jsonb refuses, and text has no UTF-8 form for it.
    const halves = validateBatch({ events: [{ ...good, eventId: "s1", userId: "a\ud83d" }, { ...good, eventId: "s2", properties: { k: ["\udc00"] } }, { ...good, eventId: "s3", properties: { ok: "🙂" } }] }, now);
    expect(halves.rejected.map((r) => [r.eventId, r.reason])).toEqual([
      ["s1", "text must be well-formed Unicode (no lone surrogates)"],
      ["s2", "properties must be well-formed Unicode (no lone surrogates)"],
    ]);
    expect(halves.events.map((e) => e.eventId)).toEqual(["s3"]);
    // An escaped backslash before "u0000" is ordinary text.
    expect(events.map((e) => e.eventId)).toEqual(["n3"]);
  });
  it("rejects properties nested deeper than 64 levels, however deep, before anything recursive reads them", () => {
    // JSON.parse reads 100,000 levels without trouble; JSON.stringify runs out of stack on them.
    const nested = (levels: number) => JSON.parse("[".repeat(levels) + "]".repeat(levels));
    const { events, rejected } = validateBatch(
      {
        events: [
          { ...good, eventId: "d1", properties: { a: nested(100_000) } },
          // The properties object is the first level.
          { ...good, eventId: "d2", properties: { a: nested(64) } },
          { ...good, eventId: "d3", properties: { a: nested(63) } },
        ],
      },
      now,
    );
    expect(rejected.map((r) => [r.eventId, r.reason])).toEqual([
      ["d1", "properties nested more than 64 levels deep"],
      ["d2", "properties nested more than 64 levels deep"],
    ]);
    expect(events.map((e) => e.eventId)).toEqual(["d3"]);
  });
  it("rejects a body that is not a batch, and events older than 30 days", () => {
    expect(validateBatch([good], now).rejected[0].reason).toBe('body must be {"events": [...]}');
    expect(validateBatch({ events: [{ ...good, timestamp: "2026-10-01T00:00:00Z" }] }, now).rejected[0].reason).toBe("timestamp is more than 30 days old");
  });
});

describe("traffic flags and settings", () => {
  it("classifies bots by user agent and development by environment", () => {
    expect(isBotAgent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")).toBe(true);
    expect(isBotAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36")).toBe(false);
    expect(isBotAgent(null)).toBe(false);
    expect(isDevEnvironment("Development")).toBe(true);
    expect(isDevEnvironment("production")).toBe(false);
  });
  it("defaults the inactivity window to 30 minutes", () => {
    expect(analyticsSettings({}).inactivityMinutes).toBe(30);
    expect(analyticsSettings({ analytics: { inactivityMinutes: 10 } }).inactivityMinutes).toBe(10);
    expect(analyticsSettings({ analytics: { inactivityMinutes: -1 } }).inactivityMinutes).toBe(30);
  });
});

describe("sessionisation", () => {
  let n = 0;
  const newId = () => `new${++n}`;
  const stored = (id: string, from: string, to: string): SessionSpan => ({ id, startedAt: t(from), lastEventAt: t(to), stored: true });
  it("starts a new session after 30 minutes without events", () => {
    n = 0;
    const plan = sessionise([], [t("09:00"), t("09:20"), t("09:49"), t("10:20")], GAP, newId);
    expect(plan.sessionOf).toEqual(["new1", "new1", "new1", "new2"]);
    expect(plan.sessions.map((s) => [s.id, s.startedAt, s.lastEventAt])).toEqual([
      ["new1", t("09:00"), t("09:49")],
      ["new2", t("10:20"), t("10:20")],
    ]);
  });
  it("puts late and out-of-order events into the stored session they belong to", () => {
    n = 0;
    const plan = sessionise([stored("a", "09:00", "09:40"), stored("b", "13:00", "13:30")], [t("13:45"), t("08:45"), t("09:10")], GAP, newId);
    expect(plan.sessionOf).toEqual(["b", "a", "a"]);
    expect(plan.sessions.find((s) => s.id === "a")?.startedAt).toEqual(t("08:45"));
    expect(plan.merged).toEqual([]);
  });
  it("merges two stored sessions a late event bridges; the earlier survives", () => {
    n = 0;
    const plan = sessionise([stored("a", "09:00", "09:40"), stored("b", "10:30", "11:00")], [t("10:05")], GAP, newId);
    expect(plan.sessionOf).toEqual(["a"]);
    expect(plan.merged).toEqual([{ goneId: "b", intoId: "a" }]);
    expect(plan.sessions).toEqual([{ id: "a", startedAt: t("09:00"), lastEventAt: t("11:00"), stored: true }]);
  });
  it("ends a session after 24 hours of continuous activity", () => {
    n = 0;
    const times = Array.from({ length: 50 }, (_, i) => new Date(+t("00:00") + i * 20 * 60_000)); // every 20 min for 16 h 20 min
    const later = Array.from({ length: 30 }, (_, i) => new Date(+times[49] + (i + 1) * 20 * 60_000));
    const plan = sessionise([], [...times, ...later], GAP, newId);
    const spans = plan.sessions.map((s) => (+s.lastEventAt - +s.startedAt) / 3600_000);
    expect(plan.sessions).toHaveLength(2);
    expect(Math.max(...spans)).toBeLessThanOrEqual(24);
  });
});

const rules: BusinessEventRule[] = [
  { name: "Signed Up", eventName: "signup", conditions: [], descriptionTemplate: "Signed up with {{method}}", parameters: ["method"], isError: false },
  { name: "Created Project", eventName: "project_created", conditions: [{ property: "project.template", op: "neq", value: "demo" }], descriptionTemplate: "Created project {{project.name}}", parameters: ["project.name"], isError: false },
  { name: "Invited Member", eventName: "invite", conditions: [{ property: "role", op: "exists" }], descriptionTemplate: "", parameters: ["role"], isError: false },
  { name: "Payment Failed", eventName: "payment", conditions: [{ property: "status", op: "eq", value: "failed" }], descriptionTemplate: "Card declined: {{reason}}", parameters: ["reason"], isError: true },
];

describe("business events", () => {
  it("match by name and property conditions, numbered in time order, with description and parameters", () => {
    const found = matchBusinessEvents(
      [
        { eventId: "r3", name: "invite", timestamp: t("09:03"), properties: { role: "admin" } },
        { eventId: "r1", name: "signup", timestamp: t("09:00"), properties: { method: "google" } },
        { eventId: "r2", name: "project_created", timestamp: t("09:02"), properties: { project: { name: "Apollo", template: "blank" } } },
        { eventId: "r4", name: "project_created", timestamp: t("09:04"), properties: { project: { name: "Demo", template: "demo" } } },
        { eventId: "r5", name: "page_view", timestamp: t("09:05"), properties: {} },
        { eventId: "r6", name: "invite", timestamp: t("09:06"), properties: {} },
      ],
      rules,
    );
    expect(found.map((e) => [e.position, e.name, e.description, e.parameters, e.rawEventId])).toEqual([
      [1, "Signed Up", "Signed up with google", { method: "google" }, "r1"],
      [2, "Created Project", "Created project Apollo", { "project.name": "Apollo" }, "r2"],
      [3, "Invited Member", "Invited Member", { role: "admin" }, "r3"],
    ]);
  });
  it("render templates with missing properties as empty", () => {
    expect(renderTemplate("Bought {{ plan }} for {{price}}", { plan: "pro" })).toBe("Bought pro for");
  });
});

const onboarding: FlowRule = { id: "f1", name: "Onboarding", steps: ["Signed Up", "Created Project", "Invited Member"], errorEvents: [], repeatedStepIsMistake: true, stepBackIsMistake: true };
let pos = 0;
const be = (name: string, hhmmss: string, isError = false): BusinessEvent => ({
  position: ++pos,
  name,
  description: name,
  parameters: {},
  isError,
  occurredAt: new Date(`2026-11-20T${hhmmss}Z`),
  rawEventId: `r${pos}`,
});

describe("flow outcomes", () => {
  it("Completed: every step in order without mistakes", () => {
    const r = flowOutcome([be("Signed Up", "09:00:00"), be("Created Project", "09:02:00"), be("Invited Member", "09:04:12")], onboarding);
    expect(r).toMatchObject({ outcome: "completed", lastStep: "Invited Member", mistakeCount: 0 });
  });
  it("Mistakes: completed with an error, a repeated step or a step back along the way", () => {
    const withError = flowOutcome([be("Signed Up", "09:00:00"), be("Payment Failed", "09:01:00", true), be("Created Project", "09:02:00"), be("Invited Member", "09:03:00")], onboarding);
    expect(withError).toMatchObject({ outcome: "mistakes", mistakeCount: 1 });
    const repeated = flowOutcome([be("Signed Up", "09:00:00"), be("Created Project", "09:01:00"), be("Created Project", "09:02:00"), be("Invited Member", "09:03:00")], onboarding);
    expect(repeated).toMatchObject({ outcome: "mistakes", mistakeCount: 1 });
    const back = flowOutcome([be("Signed Up", "09:00:00"), be("Created Project", "09:01:00"), be("Signed Up", "09:02:00"), be("Invited Member", "09:03:00")], onboarding);
    expect(back).toMatchObject({ outcome: "mistakes", mistakeCount: 1 });
    const tolerant = flowOutcome([be("Signed Up", "09:00:00"), be("Created Project", "09:01:00"), be("Created Project", "09:02:00"), be("Invited Member", "09:03:00")], { ...onboarding, repeatedStepIsMistake: false });
    expect(tolerant).toMatchObject({ outcome: "completed" });
  });
  it("Dropped-off: started and never finished, keeping the last step reached; not started: no outcome", () => {
    expect(flowOutcome([be("Signed Up", "09:00:00"), be("Created Project", "09:01:00")], onboarding)).toMatchObject({ outcome: "dropped_off", lastStep: "Created Project" });
    expect(flowOutcome([be("Created Project", "09:01:00")], onboarding)).toBeNull();
  });
});

describe("deterministic summary", () => {
  const events = [be("Signed Up", "09:00:00"), be("Created Project", "09:01:00"), be("Payment Failed", "09:02:00", true), be("Invited Member", "09:04:12")];
  events.forEach((e, i) => (e.position = i + 1));
  const outcomes = [{ flowId: "f1", flowName: "Onboarding", outcome: "mistakes" as const, lastStep: "Invited Member", mistakeCount: 1, startedAt: events[0].occurredAt, endedAt: events[3].occurredAt }];
  const input = { durationSeconds: 300, rawEventCount: 12, businessEvents: events, outcomes };
  it("titles, TL;DRs and narrates from flows and events", () => {
    const s = summarise(input);
    expect(s.title).toBe("Completed Onboarding with mistakes");
    expect(s.tldr).toBe("Completed Onboarding with mistakes in 4:12 - 4 business events - 1 error");
    expect(s.narrative).toContain("They completed Onboarding in 4:12 with 1 mistake.");
    expect(s.narrative).toContain("Errors: Payment Failed (#3).");
    expect(s.eventDescriptions).toHaveLength(4);
    const clean = summarise({ ...input, businessEvents: events.filter((e) => !e.isError), outcomes: [{ ...outcomes[0], outcome: "completed", mistakeCount: 0 }] });
    expect(clean.tldr).toBe("Completed Onboarding in 4:12 - 3 business events");
    expect(summarise({ durationSeconds: 65, rawEventCount: 3, businessEvents: [], outcomes: [] })).toMatchObject({ title: "Visit with 3 raw events", tldr: "Active for 1:05 - 0 business events" });
  });
  it("hashes its input so it reruns only when the session changed", () => {
    expect(summaryInputHash(input)).toBe(summaryInputHash({ ...input, businessEvents: [...events] }));
    expect(summaryInputHash(input)).not.toBe(summaryInputHash({ ...input, rawEventCount: 13 }));
  });
  it("formats durations as m:ss or h:mm:ss", () => {
    expect(clock(252)).toBe("4:12");
    expect(clock(3723)).toBe("1:02:03");
  });
});

describe("identities", () => {
  const now = t("12:00");
  const ev = (extra: object) => ({ eventId: "e1", name: "$identify", timestamp: "2026-11-20T11:59:00Z", ...extra });
  const parse = (extra: object) => validateBatch({ events: [ev(extra)] }, now);

  it("an identify links its anonymous id to its user id; an alias its previous id; an anonymous alias the sender to the alias", () => {
    expect(parse({ userId: "u1", anonymousId: "a1" }).events[0].link).toEqual({ fromId: "a1", toId: "u1" });
    expect(parse({ userId: "u1", properties: { $anon_distinct_id: "a1" } }).events[0].link).toEqual({ fromId: "a1", toId: "u1" });
    expect(parse({ userId: "u1" }).events[0].link).toBeNull();
    expect(parse({ userId: "u1", anonymousId: "u1" }).events[0].link).toBeNull();
    expect(parse({ name: "$create_alias", userId: "u1", properties: { alias: "old" } }).events[0].link).toEqual({ fromId: "old", toId: "u1" });
    expect(parse({ name: "$create_alias", anonymousId: "a1", properties: { alias: "u1" } }).events[0].link).toEqual({ fromId: "a1", toId: "u1" });
    expect(parse({ name: "page_view", userId: "u1", anonymousId: "a1" }).events[0].link).toBeNull();
  });

  it("refuses an identify without a user id and an alias without the id it aliases, naming the field", () => {
    expect(parse({ anonymousId: "a1" }).rejected[0].reason).toBe("userId is required for $identify");
    expect(parse({ userId: "u1", properties: { $anon_distinct_id: 7 } }).rejected[0].reason).toBe("properties.$anon_distinct_id must be a string of 1 to 200 characters");
    expect(parse({ name: "$create_alias", userId: "u1" }).rejected[0].reason).toBe("properties.alias must be a string of 1 to 200 characters");
  });

  it("the first link of an id wins; links stay one hop; an alias of two user ids moves the first's links on", () => {
    const stored = new Map([["a1", "u1"]]);
    expect(addLinks(stored, [{ fromId: "a1", toId: "u2" }])).toMatchObject({ created: [], moved: [] });
    expect(addLinks(stored, [{ fromId: "a2", toId: "a1" }]).created).toEqual([{ fromId: "a2", toId: "u1" }]);
    const merge = addLinks(stored, [{ fromId: "u1", toId: "u9" }]);
    expect(merge.created).toEqual([{ fromId: "u1", toId: "u9" }]);
    expect(merge.moved).toEqual([{ fromId: "a1", toId: "u9" }]);
    // Back again would make a cycle: the two are one user already.
    expect(addLinks(merge.links, [{ fromId: "u9", toId: "u1" }])).toMatchObject({ created: [], moved: [] });
    // In one batch, in order.
    expect(addLinks(new Map(), [{ fromId: "a3", toId: "u3" }, { fromId: "a3", toId: "u4" }]).created).toEqual([{ fromId: "a3", toId: "u3" }]);
  });

  it("merges a visitor's sessions that touch, the earlier surviving with both spans", () => {
    const span = (id: string, from: string, to: string) => ({ id, startedAt: t(from), lastEventAt: t(to), stored: true });
    const { merged, sessions } = mergeTouching([span("late", "10:40", "10:50"), span("anon", "10:00", "10:20"), span("far", "12:00", "12:10")], GAP);
    expect(merged).toEqual([{ goneId: "late", intoId: "anon" }]);
    expect(sessions.map((s) => [s.id, s.startedAt, s.lastEventAt])).toEqual([
      ["anon", t("10:00"), t("10:50")],
      ["far", t("12:00"), t("12:10")],
    ]);
  });
});

describe("user activity", () => {
  it("a range is one day up to 366, across a leap day too; backwards or longer names `to`", () => {
    expect(activityRangeProblems("2028-02-28", "2028-02-28")).toEqual([]);
    expect(activityRangeProblems("2028-01-01", "2028-12-31")).toEqual([]); // 366 days, 29 February included
    expect(activityRangeProblems("2027-01-01", "2028-01-01")).toEqual([]);
    expect(activityRangeProblems("2027-01-01", "2028-01-02")).toEqual([{ path: ["to"], message: "The range may span at most 366 days" }]);
    expect(activityRangeProblems("2028-03-01", "2028-02-29")).toEqual([{ path: ["to"], message: "Must not be before from" }]);
  });

  it("active users per day are the distinct users of that day and of the 7 and 30 days ending it", () => {
    // Counted the slow way: for each day of the range, the distinct users active in each window.
    const byDefinition = (users: number[][], days: number, first: number) => {
      const within = (day: number, width: number) => users.filter((list) => list.some((d) => d <= day && d > day - width)).length;
      const range = Array.from({ length: days - first }, (_, i) => first + i);
      return {
        daily: range.map((day) => within(day, 1)),
        weekly: range.map((day) => within(day, 7)),
        monthly: range.map((day) => within(day, 30)),
        rangeUsers: users.filter((list) => list.some((d) => d >= first && d < days)).length,
      };
    };
    // As the users statement hands them over: each user's days as bits of month words, the users
    // with the same words counted together. Day 0 is 17 December, so the look-backs cross a year's
    // end and a leap day.
    const from = "2027-12-17";
    const packed = (users: number[][], days: number) => {
      const months = monthsOfRange(from, addDays(from, days - 1));
      const groups = new Map<string, { days: number[]; users: number }>();
      for (const list of users) {
        const words: number[] = months.map(() => 0);
        for (const date of list.map((day) => addDays(from, day))) words[months.findIndex((m) => m.month === `${date.slice(0, 7)}-01`)] |= 1 << (Number(date.slice(8)) - 1);
        const key = words.join();
        if (!groups.has(key)) groups.set(key, { days: daysOfMonths(words, months, from), users: 0 });
        groups.get(key)!.users++;
      }
      return [...groups.values()];
    };
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    for (const [days, first] of [[30, 29], [59, 29], [120, 29], [40, 0]]) {
      // Users with a few visits each, some on the same day twice (two apps), in no particular order.
      const users = Array.from({ length: 300 }, () => Array.from({ length: 1 + random(8) }, () => random(days)));
      expect(activeUserCounts(packed(users, days), days, first)).toEqual(byDefinition(users, days, first));
    }
    expect(activeUserCounts([], 31, 29)).toEqual({ daily: [0, 0], weekly: [0, 0], monthly: [0, 0], rangeUsers: 0 });
    // Active only in the look-back: counted weekly and monthly until those fall away, never daily.
    expect(activeUserCounts([{ days: [25], users: 1 }], 36, 29)).toEqual({ daily: [0, 0, 0, 0, 0, 0, 0], weekly: [1, 1, 1, 0, 0, 0, 0], monthly: [1, 1, 1, 1, 1, 1, 1], rangeUsers: 0 });
  });

  it("a user's active days come back from their month words in order; a range's months keep only its days", () => {
    const months = monthsOfRange("2027-12-30", "2028-03-01");
    expect(months).toEqual([
      { month: "2027-12-01", mask: 2 ** 31 - 2 ** 29 }, // 30 and 31 December
      { month: "2028-01-01", mask: 2 ** 31 - 1 },
      { month: "2028-02-01", mask: 2 ** 31 - 1 },
      { month: "2028-03-01", mask: 1 },
    ]);
    // 30 and 31 December are days 0 and 1, 31 January day 32, 29 February day 61, 1 March day 62.
    expect(daysOfMonths([(1 << 29) | (1 << 30), 1 << 30, 1 << 28, 1], months, "2027-12-30")).toEqual([0, 1, 32, 61, 62]);
    expect(daysOfMonths([0, 0, 0, 0], months, "2027-12-30")).toEqual([]);
    expect(monthsOfRange("2028-02-03", "2028-02-05")).toEqual([{ month: "2028-02-01", mask: 0b11100 }]);
  });

  it("a share of nothing is none, not zero", () => {
    expect(share(1, 4)).toBe(0.25);
    expect(share(0, 4)).toBe(0);
    expect(share(0, 0)).toBeNull();
  });
});
