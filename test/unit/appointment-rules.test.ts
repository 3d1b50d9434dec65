import { describe, expect, it } from "vitest";
import {
  findOverlaps,
  freeSlots,
  freeSlotsProblems,
  initials,
  localToInstant,
  moveAlong,
  compilePattern,
  repeatProblems,
  seriesDates,
  settingsProblems,
  validateSpec,
  validateValues,
  visibleDates,
  withinWorkingHours,
  workingHoursOfDay,
  type FieldSpec,
} from "../../schema/appointments/rules.js";

const field = (key: string, type: FieldSpec["type"], extra: Partial<FieldSpec> = {}): FieldSpec => ({
  key,
  label: key,
  type,
  required: false,
  validation: {},
  fields: [],
  ...extra,
});

const lookups = {
  isMember: (id: string) => id === "member-1",
  attachmentMime: (id: string) => ({ "img-1": "image/png", "pdf-1": "application/pdf" })[id] ?? null,
};

const specs: FieldSpec[] = [
  field("reason", "text", { required: true, validation: { minLength: 3, maxLength: 10, pattern: "[a-z ]+" } }),
  field("notes", "textarea"),
  field("pain", "number", { validation: { min: 0, max: 10 } }),
  field("consent", "boolean", { required: true }),
  field("birthday", "date", { validation: { min: "1900-01-01" } }),
  field("followUp", "datetime"),
  field("mood", "select", { validation: { options: ["good", "bad"] } }),
  field("areas", "multi_select", { validation: { options: ["neck", "back"], maxLength: 1 } }),
  field("photo", "image"),
  field("referral", "file"),
  field("signature", "signature"),
  field("vitals", "array", { fields: [field("item", "object", { fields: [field("pulse", "number", { required: true }), field("note", "text")] })] }),
  field("address", "object", { fields: [field("city", "text", { required: true }), field("zip", "text")] }),
  field("therapist", "team_member"),
];

describe("field values", () => {
  it("accepts a valid value of every type", () => {
    const values = {
      reason: "back pain",
      notes: "anything\ngoes",
      pain: 7,
      consent: false,
      birthday: "1980-02-29",
      followUp: "2026-11-21T10:00:00+01:00",
      mood: "good",
      areas: ["neck"],
      photo: "img-1",
      referral: "pdf-1",
      signature: "data:image/png;base64,iVBORw0KGgo=",
      vitals: [{ pulse: 60 }, { pulse: 72, note: "after" }],
      address: { city: "Berlin" },
      therapist: "member-1",
    };
    expect(validateValues(specs, values, ["fields"], lookups)).toEqual([]);
  });

  it("lists every failing path, nested ones included", () => {
    const values = {
      reason: "ok",
      pain: "7",
      birthday: "1980-02-30",
      followUp: "2026-11-21T10:00:00",
      mood: "meh",
      areas: ["neck", "knee"],
      photo: "pdf-1",
      referral: "nope",
      signature: "data:image/jpeg;base64,xx",
      vitals: [{ pulse: 60 }, { note: "no pulse" }, "x"],
      address: { zip: 12, street: "?" },
      therapist: "stranger",
      extra: 1,
    };
    const problems = validateValues(specs, values, ["fields"], lookups).map((p) => `${p.path.join(".")}: ${p.message}`);
    expect(problems.sort()).toEqual(
      [
        "fields.extra: Unknown field",
        "fields.reason: At least 3 characters",
        "fields.consent: Required",
        "fields.pain: Must be a number",
        "fields.birthday: Must be a date YYYY-MM-DD",
        "fields.followUp: Must be an ISO-8601 date and time with an offset",
        "fields.mood: Must be one of: good, bad",
        "fields.areas.1: Not an option: knee",
        "fields.areas: At most 1 items",
        "fields.photo: Must be an image",
        "fields.referral: Must be a file uploaded for this session",
        "fields.signature: Must be a signature drawn as a PNG image",
        "fields.vitals.1.pulse: Required",
        "fields.vitals.2: Must be an object of field values",
        "fields.address.street: Unknown field",
        "fields.address.city: Required",
        "fields.address.zip: Must be text",
        "fields.therapist: Must be a member of this workspace",
      ].sort(),
    );
  });

  it("checks bounds, patterns and wrong shapes", () => {
    const check = (key: string, value: unknown) => validateValues(specs, { reason: "abc", consent: true, [key]: value }, [], lookups).map((p) => p.message);
    expect(check("pain", 11)).toEqual(["Must be at most 10"]);
    expect(check("pain", -1)).toEqual(["Must be at least 0"]);
    expect(check("reason", "ABC")).toEqual(["Doesn't match the required format"]);
    expect(check("reason", "abcdefghijk")).toEqual(["At most 10 characters"]);
    expect(check("birthday", "1899-12-31")).toEqual(["Must be on or after 1900-01-01"]);
    expect(check("consent", "yes")).toEqual(["Must be true or false"]);
    expect(check("areas", ["neck", "neck"])).toEqual(["Each option at most once"]);
    expect(check("vitals", { pulse: 1 })).toEqual(["Must be a list"]);
    expect(check("address", [])).toEqual([]); // empty counts as not given
    expect(check("address", "Berlin")).toEqual(["Must be an object of field values"]);
    expect(validateValues(specs, [], ["fields"], lookups)).toEqual([{ path: ["fields"], message: "Must be an object of field values" }]);
  });
});

describe("field formats", () => {
  const codes = field("codes", "array", { fields: [field("item", "text", { validation: { pattern: "(?:a?){498}b" } })] });

  it("compile each pattern once", () => {
    expect(compilePattern("[a-z]+-\\d{2}")).toBe(compilePattern("[a-z]+-\\d{2}"));
  });

  it("are refused where defined when their repeats expand past the size limit", () => {
    const spec = (pattern: string) => field("code", "text", { validation: { pattern } });
    expect(validateSpec(spec("(?:a?){1000}(?:a?){1000}(?:a?){1000}b"), []).map((p) => p.path.join("."))).toEqual(["validation.pattern"]);
    expect(validateSpec(spec("(?:a?){1000}(?:a?){1000}(?:a?){1000}b"), [])[0].message).toMatch(/^Too complex/);
    expect(validateSpec(spec("(?:a?){498}b"), [])).toEqual([]);
    expect(validateSpec(codes, [])).toEqual([]);
  });

  it("check a bounded amount of text per validation; the values beyond it are refused, not matched", () => {
    const long = "a".repeat(3000);
    const problems = validateValues([codes], { codes: [long, "aab", long, "x"] }, ["fields"], lookups);
    expect(problems.map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
      "fields.codes.0: Too much text to check against the fields' formats in one save; shorten it",
      "fields.codes.2: Too much text to check against the fields' formats in one save; shorten it",
      "fields.codes.3: Doesn't match the required format",
    ]);
    // A field defined before the size limit is bounded the same way.
    const legacy = field("old", "text", { validation: { pattern: "(?:a?){1000}(?:a?){1000}(?:a?){1000}b" } });
    expect(validateValues([legacy], { old: long }, ["fields"], lookups)).toEqual([
      { path: ["fields", "old"], message: "Too much text to check against the fields' formats in one save; shorten it" },
    ]);
  });
});

describe("field definitions", () => {
  it("rejects bad keys, options, bounds, patterns and shapes, nested too", () => {
    const bad: FieldSpec = field("Bad key", "object", {
      label: " ",
      fields: [field("a", "select"), field("a", "number", { validation: { min: 5, max: 1 } }), field("p", "text", { validation: { pattern: "(" } }), field("l", "array")],
    });
    const problems = validateSpec(bad, []).map((p) => `${p.path.join(".")}: ${p.message}`);
    expect(problems).toEqual([
      "key: Start with a lowercase letter; letters, digits and _ only (at most 63)",
      "label: Required",
      "fields: Sub-field keys must differ",
      "fields.0.validation.options: List at least one non-empty option",
      "fields.1.validation.max: Must not be below min",
      "fields.2.validation.pattern: Not a supported regular expression (RE2 syntax, no lookarounds or back-references, at most 500 characters)",
      "fields.3.fields: An array needs exactly one item field",
    ]);
    expect(validateSpec(field("ok", "text", { fields: [field("x", "text")] }), [])).toEqual([{ path: ["fields"], message: "Only objects and arrays have sub-fields" }]);
    expect(validateSpec(specs[11], [])).toEqual([]);
  });

  it("refuses options that aren't a list, whatever the JSON holds", () => {
    for (const options of ["abc", 5, { a: "b" }, null])
      for (const type of ["select", "multi_select"] as const)
        expect(validateSpec(field("sel", type, { validation: { options } as never }), []).map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
          "validation.options: List at least one non-empty option",
        ]);
  });
});

const t = (iso: string) => new Date(iso);

describe("overlaps", () => {
  const base = { id: "new", clientId: "c1", staffId: "s1", start: t("2026-11-20T10:00:00Z"), end: t("2026-11-20T11:00:00Z") };
  it("finds overlaps for the same client or staff, not back-to-back ones or strangers", () => {
    const others = [
      { id: "before", clientId: "c1", staffId: "s2", start: t("2026-11-20T09:00:00Z"), end: t("2026-11-20T10:00:00Z") },
      { id: "after", clientId: "c2", staffId: "s1", start: t("2026-11-20T11:00:00Z"), end: t("2026-11-20T12:00:00Z") },
      { id: "client", clientId: "c1", staffId: "s2", start: t("2026-11-20T10:59:00Z"), end: t("2026-11-20T12:00:00Z") },
      { id: "staff", clientId: "c2", staffId: "s1", start: t("2026-11-20T09:30:00Z"), end: t("2026-11-20T10:01:00Z") },
      { id: "stranger", clientId: "c3", staffId: "s3", start: t("2026-11-20T10:00:00Z"), end: t("2026-11-20T11:00:00Z") },
      { id: "new", clientId: "c1", staffId: "s1", start: t("2026-11-20T10:00:00Z"), end: t("2026-11-20T11:00:00Z") },
    ];
    expect(findOverlaps(base, others)).toEqual([
      { id: "client", sameClient: true, sameStaff: false },
      { id: "staff", sameClient: false, sameStaff: true },
    ]);
  });
});

const hours = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: "09:00", end: weekday === 5 ? "13:00" : "17:00" }));

describe("working hours", () => {
  it("is inside only when the whole session is within one working day, in the workspace zone", () => {
    const zone = "America/New_York";
    const at = (date: string, time: string, minutes: number) => {
      const start = localToInstant(date, time, zone)!;
      return { start, end: new Date(start.getTime() + minutes * 60_000) };
    };
    expect(withinWorkingHours(at("2026-11-19", "09:00", 60), hours, zone)).toBe(true);
    expect(withinWorkingHours(at("2026-11-19", "16:00", 60), hours, zone)).toBe(true);
    expect(withinWorkingHours(at("2026-11-19", "16:30", 60), hours, zone)).toBe(false);
    expect(withinWorkingHours(at("2026-11-19", "08:59", 30), hours, zone)).toBe(false);
    // Friday has shorter hours.
    expect(withinWorkingHours(at("2026-11-20", "12:00", 60), hours, zone)).toBe(true);
    expect(withinWorkingHours(at("2026-11-20", "13:00", 60), hours, zone)).toBe(false);
    expect(withinWorkingHours(at("2026-11-21", "10:00", 30), hours, zone)).toBe(false); // Saturday
  });
  it("names the hours of the day in a warning, or that it is a day off", () => {
    const zone = "America/New_York";
    expect(workingHoursOfDay(localToInstant("2026-11-20", "14:00", zone)!, hours, zone)).toBe("Fri 09:00-13:00, America/New_York");
    expect(workingHoursOfDay(localToInstant("2026-11-21", "14:00", zone)!, hours, zone)).toBe("Sat is a day off, America/New_York");
  });
});

describe("free slots", () => {
  it("are the slot grid within working hours minus busy time, across a DST change", () => {
    const zone = "Europe/Berlin";
    const short = [5, 1].map((weekday) => ({ weekday, start: "09:00", end: "11:00" }));
    const busy = [{ start: localToInstant("2026-10-23", "09:30", zone)!, end: localToInstant("2026-10-23", "10:15", zone)! }];
    const slots = freeSlots("2026-10-23", "2026-10-26", short, zone, busy, 30);
    expect(slots.map((s) => s.start.toISOString())).toEqual([
      "2026-10-23T07:00:00.000Z", // 09:00 CEST
      "2026-10-23T08:30:00.000Z", // 10:30 CEST
      "2026-10-26T08:00:00.000Z", // 09:00 CET, after clocks went back
      "2026-10-26T08:30:00.000Z",
      "2026-10-26T09:00:00.000Z",
      "2026-10-26T09:30:00.000Z",
    ]);
  });
});

describe("local times", () => {
  it("converts local date and HH:mm in any zone, DST included", () => {
    expect(localToInstant("2026-07-01", "09:00", "Europe/Berlin")?.toISOString()).toBe("2026-07-01T07:00:00.000Z");
    expect(localToInstant("2026-01-01", "09:00", "Europe/Berlin")?.toISOString()).toBe("2026-01-01T08:00:00.000Z");
    expect(localToInstant("2026-11-21", "09:00", "Asia/Kathmandu")?.toISOString()).toBe("2026-11-21T03:15:00.000Z");
    expect(localToInstant("2026-11-21", "23:30", "Pacific/Auckland")?.toISOString()).toBe("2026-11-21T10:30:00.000Z");
    // Clocks go forward at 02:00: 02:30 doesn't exist that night.
    expect(localToInstant("2026-03-29", "02:30", "Europe/Berlin")).toBeNull();
    expect(localToInstant("2026-03-29", "03:00", "Europe/Berlin")?.toISOString()).toBe("2026-03-29T01:00:00.000Z");
    // Clocks go back at 03:00: 02:30 happens twice; the first one counts.
    expect(localToInstant("2026-10-25", "02:30", "Europe/Berlin")?.toISOString()).toBe("2026-10-25T00:30:00.000Z");
    expect(localToInstant("2026-11-01", "01:30", "America/New_York")?.toISOString()).toBe("2026-11-01T05:30:00.000Z");
    expect(localToInstant("2026-11-21", "24:00", "UTC")).toBeNull();
    expect(localToInstant("2026-02-30", "09:00", "UTC")).toBeNull();
  });

  it("knows what each calendar view shows", () => {
    expect(visibleDates("day", "2026-11-21", 1)).toEqual({ from: "2026-11-21", to: "2026-11-21" });
    expect(visibleDates("week", "2026-11-21", 1)).toEqual({ from: "2026-11-16", to: "2026-11-22" });
    expect(visibleDates("month", "2026-02-10", 1)).toEqual({ from: "2026-02-01", to: "2026-02-28" });
  });

  it("starts a week on the workspace's first weekday", () => {
    // 2026-11-21 is a Saturday, 2026-11-22 a Sunday.
    expect(visibleDates("week", "2026-11-21", 7)).toEqual({ from: "2026-11-15", to: "2026-11-21" });
    expect(visibleDates("week", "2026-11-22", 7)).toEqual({ from: "2026-11-22", to: "2026-11-28" });
    expect(visibleDates("week", "2026-11-21", 6)).toEqual({ from: "2026-11-21", to: "2026-11-27" });
  });

  it("shortens client names to initials", () => {
    expect(initials("Jane  van Dyke")).toBe("J. v. D.");
  });

  it("checks only the settings given", () => {
    expect(settingsProblems({})).toEqual([]);
    expect(settingsProblems({ defaultDurationMinutes: 0, defaultTime: "24:00", slotMinutes: 25 }).map((p) => p.path[0])).toEqual([
      "defaultDurationMinutes",
      "defaultTime",
      "slotMinutes",
    ]);
    expect(settingsProblems({ defaultDurationMinutes: 1440, defaultTime: "23:59", slotMinutes: 60 })).toEqual([]);
  });

  it("limits free-slot searches to 31 days and 5 to 480 minute slots", () => {
    expect(freeSlotsProblems("2026-01-01", "2026-01-31", 480)).toEqual([]);
    expect(freeSlotsProblems("2026-01-01", "2026-02-01", null)).toEqual([{ path: ["to"], message: "At most 31 days" }]);
    expect(freeSlotsProblems("2026-01-02", "2026-01-01", 4).map((p) => p.message)).toEqual(["Must not be before from", "Between 5 and 480 minutes"]);
  });
});

describe("recurring series", () => {
  it("lists the dates every N weeks until a date (inclusive) or for a count", () => {
    expect(seriesDates("2026-12-29", { everyWeeks: 1, count: 3 })).toEqual(["2026-12-29", "2027-01-05", "2027-01-12"]);
    expect(seriesDates("2028-02-15", { everyWeeks: 2, until: "2028-03-14" })).toEqual(["2028-02-15", "2028-02-29", "2028-03-14"]);
    // Eight weeks on is 28 Dec, a day past the end.
    expect(seriesDates("2026-11-02", { everyWeeks: 8, until: "2026-12-27" })).toEqual(["2026-11-02"]);
  });

  it("names each problem of a repeat rule under repeat", () => {
    const paths = (first: string, r: Parameters<typeof repeatProblems>[1]) => repeatProblems(first, r).map((p) => `${p.path.join(".")}: ${p.message}`);
    expect(paths("2026-11-02", { everyWeeks: 1, count: 52 })).toEqual([]);
    expect(paths("2026-11-02", { everyWeeks: 0, count: 53 })).toEqual(["repeat.everyWeeks: Every 1 to 8 weeks", "repeat.count: Between 1 and 52 sessions"]);
    expect(paths("2026-11-02", { everyWeeks: 1, count: 2, until: "2026-12-01" })).toEqual(["repeat.until: Give either an end date or a number of sessions"]);
    expect(paths("2026-11-02", { everyWeeks: 1, until: "2026-11-01" })).toEqual(["repeat.until: Must not be before the first session"]);
    // 52 weekly sessions end 51 weeks on; a 53rd is one too many.
    expect(paths("2026-11-02", { everyWeeks: 1, until: "2027-10-25" })).toEqual([]);
    expect(paths("2026-11-02", { everyWeeks: 1, until: "2027-11-01" })).toEqual(["repeat.until: At most 52 sessions; choose an earlier end date"]);
  });

  it("moves a later session along with an earlier one, by days and to the new wall time, across a change of the clocks", () => {
    const berlin = (date: string, time: string) => localToInstant(date, time, "Europe/Berlin")!;
    // Monday 10:00 before the clocks go back (25 Oct 2026) moved to Tuesday 14:00: the session after
    // the change goes to its Tuesday at 14:00 local.
    expect(moveAlong(berlin("2026-10-26", "10:00"), berlin("2026-10-19", "10:00"), berlin("2026-10-20", "14:00"), "Europe/Berlin")).toEqual(berlin("2026-10-27", "14:00"));
    // Only the date moved: a later session that had its own time keeps it.
    expect(moveAlong(berlin("2026-10-26", "08:00"), berlin("2026-10-19", "10:00"), berlin("2026-10-21", "10:00"), "Europe/Berlin")).toEqual(berlin("2026-10-28", "08:00"));
    // A wall time the clocks skip on the later day has no instant.
    expect(moveAlong(berlin("2027-03-28", "10:00"), berlin("2027-03-21", "10:00"), berlin("2027-03-21", "02:30"), "Europe/Berlin")).toBeNull();
  });
});
