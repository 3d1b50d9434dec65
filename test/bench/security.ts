// Security figures: a legitimate sign-in while another address brute-forces the same account, and
// a custom-field save checked against a catastrophic-backtracking pattern. Each measured API process
// has a baseline API process of its own doing the same requests without the hostile part.
import { DateTime } from "luxon";
import { DEMO_PASSWORD } from "../../prisma/seed.js";
import { compilePattern } from "../../schema/appointments/rules.js";
import { ok, tokenFor } from "../support/client.js";
import { percentile, quick, timeCalls, type BenchEnv, type Row } from "./support.js";

const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename } }`;

function signIn(url: string, address: string, email: string, password: string) {
  return fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address },
    body: JSON.stringify({ query: SIGN_IN, variables: { e: email, p: password } }),
  });
}

/** Legitimate sign-ins from one address, timed; what each answered. */
async function legitimateSignIns(url: string, rounds: number) {
  let refused = 0;
  const times = await timeCalls(rounds, async () => {
    const res = await signIn(url, "198.51.100.7", "owner@demo.test", DEMO_PASSWORD);
    const body = await res.json();
    if (body.data?.signIn.__typename !== "SignInPayload") refused++;
  });
  return { times, refused };
}

/** Wrong passwords for the same account (and unknown ones) from another address, `concurrency` at a time, until stopped. */
function bruteForce(url: string, concurrency: number) {
  let running = true;
  const answers = { sent: 0, limited: 0 };
  const loop = async (n: number) => {
    for (let i = 0; running; i++) {
      const email = i % 2 ? "owner@demo.test" : `nobody-${n}-${i}@demo.test`;
      const res = await signIn(url, "203.0.113.66", email, `guess-${n}-${i}`);
      await res.arrayBuffer();
      answers.sent++;
      if (res.status === 429) answers.limited++;
    }
  };
  const loops = Array.from({ length: concurrency }, (_, n) => loop(n));
  return { answers, stop: async () => ((running = false), await Promise.all(loops)) };
}

export async function signInUnderBurst(env: BenchEnv): Promise<Row[]> {
  const rounds = quick ? 5 : 20;
  const settings = { TRUST_PROXY: "1" };
  const [measured, baseline] = [await env.startApi(settings), await env.startApi(settings)];
  try {
    const quiet = await legitimateSignIns(baseline.url, rounds);
    const attack = bruteForce(measured.url, 10);
    const underAttack = await legitimateSignIns(measured.url, rounds);
    await attack.stop();
    const row = (name: string, r: typeof quiet, attacker: string) => ({
      "legitimate sign-ins": name,
      p50_ms: percentile(r.times, 50),
      p99_ms: percentile(r.times, 99),
      "refused (goal 0)": r.refused,
      "attacker requests / answered 429": attacker,
    });
    return [
      row("under a brute-force burst from another address", underAttack, `${attack.answers.sent} / ${attack.answers.limited}`),
      row("baseline: no attack (own API process)", quiet, "none"),
    ];
  } finally {
    await Promise.all([measured.stop(), baseline.stop()]);
  }
}

const NEW_FIELD = `mutation($p: String!) { createFieldDefinition(input: { target: PRE_SESSION, key: "code", type: TEXT, definition: { label: "Code", validation: { pattern: $p } } }) { ... on FieldDefinition { id } } }`;
const CREATE = `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { __typename ... on ValidationError { problems { message } } } }`;

/** Saves an appointment whose field value is checked against `pattern`, on a fresh API process; times each save. */
async function fieldSaves(env: BenchEnv, pattern: string, value: string, rounds: number) {
  const api = await env.startApi();
  try {
    const auth = { token: await tokenFor(api.url, "owner@demo.test") };
    await ok(api.url, NEW_FIELD, { p: pattern }, auth);
    const client = (await ok(api.url, `mutation { createClient(input: { name: "Bench client" }) { ... on Client { id } } }`, {}, auth)).createClient.id;
    const input = { name: "Check", clientId: client, startsAt: DateTime.now().plus({ days: 1 }).toISO(), fields: { code: value } };
    let refused = 0;
    const times = await timeCalls(rounds, async () => {
      const r = await ok(api.url, CREATE, { i: input }, auth);
      if (r.createAppointment.__typename === "ValidationError") refused++;
    });
    return { times, refused };
  } finally {
    await api.stop();
  }
}

export async function hostilePatternSave(env: BenchEnv): Promise<Row[]> {
  const value = "a".repeat(1000) + "!"; // takes a backtracking engine longer than the universe has existed
  const rounds = quick ? 20 : 100;
  const hostile = await fieldSaves(env, "(a+)+$", value, rounds);
  const benign = await fieldSaves(env, "^[a-z]+$", value, rounds);
  const row = (name: string, pattern: string, r: typeof hostile) => ({
    "custom-field save (value of 1,001 characters, refused)": name,
    "save p50_ms": percentile(r.times, 50),
    "save p99_ms": percentile(r.times, 99),
    "pattern check alone p99_ms": patternCheckP99(pattern, value),
    goal: name.startsWith("hostile") ? "check < 5 ms; save as the baseline's" : "",
    refused: `${r.refused}/${rounds}`,
  });
  return [row("hostile pattern (a+)+$", "(a+)+$", hostile), row("baseline: plain pattern ^[a-z]+$ (own API process)", "^[a-z]+$", benign)];
}

/** The check the save runs for the value (the compiled pattern is cached, as in the server; then the match), timed on its own. */
function patternCheckP99(pattern: string, value: string) {
  const times: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    compilePattern(pattern)!.matches(value);
    times.push(performance.now() - t0);
  }
  return percentile(times.sort((a, b) => a - b), 99);
}
