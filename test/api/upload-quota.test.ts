// Uploads a member holds for forms not yet saved, and the screenshots a member's desktop app sends in a
// day, are capped per member (files and bytes), also when they arrive at once; files whose bytes aren't
// their claimed type are refused before they count.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, rowId } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

let stack: Stack;
let url: string;
let ws: TestWorkspace;
beforeAll(async () => {
  stack = await startStack({ env: { SCREENSHOT_QUOTA: `${SCREENSHOTS.files}/${SCREENSHOTS.bytes / 1_000_000}` } });
  url = stack.urls[0];
  ws = await newWorkspace(url);
}, 120_000);
afterAll(() => stack?.stop());

const QUOTA = { files: 20, bytes: 50_000_000 };
const SCREENSHOTS = { files: 6, bytes: 1_000_000 };

function upload(token: string, body: Uint8Array<ArrayBuffer>, options: { type?: string; appointmentId?: string } = {}) {
  const query = `fileName=notes.txt${options.appointmentId ? `&appointmentId=${encodeURIComponent(options.appointmentId)}` : ""}`;
  return fetch(`${url}/api/appointments/attachments?${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": options.type ?? "text/plain" },
    body,
  });
}

async function attachmentRows(): Promise<number | null> {
  if (!stack.databaseUrl) return null;
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    return Number((await db.query(`SELECT count(*) AS n FROM "AppointmentAttachment"`)).rows[0].n);
  } finally {
    await db.end();
  }
}

describe("unattached uploads", () => {
  it(`are limited to ${QUOTA.files} files per member, also when sent at once; a member's session files and other members don't count`, async () => {
    const text = new TextEncoder().encode("session notes");
    const answers = await Promise.all(Array.from({ length: QUOTA.files + 5 }, () => upload(ws.staff.token, text)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(QUOTA.files);
    expect(statuses.filter((s) => s === 413)).toHaveLength(5);
    const refused = await answers.find((a) => a.status === 413)!.json();
    expect(refused).toEqual({
      code: "QUOTA_EXCEEDED",
      error: expect.stringContaining(`At most ${QUOTA.files} files and 50 MB`),
      limit: QUOTA,
    });

    const before = await attachmentRows();
    expect((await upload(ws.staff.token, text)).status).toBe(413);
    expect(await attachmentRows()).toBe(before);

    // A file for an existing session is not held back by the form quota.
    const client = (await ok(url, `mutation { createClient(input: { name: "Quota" }) { ... on Client { id } } }`, {}, { token: ws.staff.token })).createClient.id;
    const startsAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const created = await ok(url, `mutation($i: NewAppointmentInput!) { createAppointment(input: $i) { ... on AppointmentPayload { appointment { id } } } }`, { i: { name: "Quota", clientId: client, startsAt } }, { token: ws.staff.token });
    expect((await upload(ws.staff.token, text, { appointmentId: created.createAppointment.appointment.id })).status).toBe(201);
    expect((await upload(ws.manager.token, text)).status).toBe(201);
  }, 60_000);

  it(`are limited to ${QUOTA.bytes / 1_000_000} MB per member, and a file that isn't its claimed type is refused without counting`, async () => {
    const disguised = await upload(ws.manager.token, new TextEncoder().encode("<html><script>alert(1)</script>"), { type: "application/pdf" });
    expect(disguised.status).toBe(415);
    expect(await disguised.json()).toEqual({ error: "The content is not application/pdf", code: "VALIDATION" });

    const big = new Uint8Array(9_900_000).fill(0x61); // plain text, under the 10 MB per file
    for (let i = 0; i < 5; i++) expect((await upload(ws.manager.token, big)).status).toBe(201); // the manager holds 1 small file already
    const over = await upload(ws.manager.token, big);
    expect(over.status).toBe(413);
    expect((await over.json()).code).toBe("QUOTA_EXCEEDED");
    expect((await upload(ws.manager.token, new Uint8Array(400_000).fill(0x61))).status).toBe(201);
  }, 60_000);
});

describe("screenshots", () => {
  // A PNG's signature and header, padded to the size wanted (the content check reads the first bytes).
  const png = (size = 100) => {
    const bytes = new Uint8Array(size);
    bytes.set(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ", "base64"));
    return bytes;
  };
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  async function working(token: string) {
    const events = [{ id: "quota-1", type: "window", timestamp: minutesAgo(10), duration: 540, pulsetime: 60, data: { app: "Code", title: "main.ts" } }];
    const posted = await fetch(`${url}/api/work/events`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
    expect(posted.status).toBe(200);
  }
  const shoot = (token: string, body: Uint8Array<ArrayBuffer>) =>
    fetch(`${url}/api/work/screenshots?takenAt=${encodeURIComponent(minutesAgo(5))}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "image/png" }, body });
  const filesOnDisk = () => readdirSync(join(stack.env.DATA_DIR, "screenshots", rowId(ws.id)));

  it(`are limited to ${SCREENSHOTS.files} per member in 24 hours, also when sent at once, and a refused one leaves no file`, async () => {
    await working(ws.employee.token);
    const answers = await Promise.all(Array.from({ length: SCREENSHOTS.files + 4 }, () => shoot(ws.employee.token, png())));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(SCREENSHOTS.files);
    expect(statuses.filter((s) => s === 413)).toHaveLength(4);
    expect(await answers.find((a) => a.status === 413)!.json()).toEqual({
      code: "QUOTA_EXCEEDED",
      error: expect.stringContaining(`At most ${SCREENSHOTS.files} screenshots and 1 MB per member in 24 hours`),
      limit: SCREENSHOTS,
    });
    expect(filesOnDisk()).toHaveLength(SCREENSHOTS.files);
  }, 60_000);

  it(`are limited to ${SCREENSHOTS.bytes / 1_000_000} MB per member in 24 hours; another member's count apart`, async () => {
    await working(ws.employee2.token);
    expect((await shoot(ws.employee2.token, png(450_000))).status).toBe(201);
    expect((await shoot(ws.employee2.token, png(450_000))).status).toBe(201);
    const over = await shoot(ws.employee2.token, png(450_000));
    expect(over.status).toBe(413);
    expect((await over.json()).code).toBe("QUOTA_EXCEEDED");
    expect((await shoot(ws.employee2.token, png(90_000))).status).toBe(201);
  }, 60_000);
});
