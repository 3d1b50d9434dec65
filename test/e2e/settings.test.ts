// The settings screens end to end in Chromium, each in the test's own workspace: workspace
// settings, members and invitations, API keys and the kiosk link for a wall display, the account.
// The browser talks to an API process whose mail goes only to its log, so the invitation link
// reaches the inviter on screen, as it does on a fresh `npm start`.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, pastTheEdge, launchBrowser, newContext, signInAs } from "../support/browser.js";
import { DEMO_PASSWORD } from "../../prisma/seed.js";
import { gql, ok, signIn } from "../support/client.js";
import { startStack, type Stack } from "../support/stack.js";
import { newWorkspace, type TestWorkspace } from "../support/workspace.js";

const MEMBERS = `{ viewer { workspace { members(first: 100) { nodes { role user { email } } } } } }`;

describe.runIf(existsSync(CHROMIUM))("Settings screens in Chromium", () => {
  let stack: Stack;
  let browser: Browser;
  let ws: TestWorkspace;
  let url: string;
  let owner: BrowserContext;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  beforeAll(async () => {
    ws = await newWorkspace(stack.urls[0]);
    url = (await stack.startApi({ SEED_DEMO: "false", MAIL_OUTBOX: "" })).url;
    owner = await newContext(browser);
    const page = await owner.newPage();
    await signInAs(page, url, ws.owner.email);
    await page.close();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function open(path: string, context = owner): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${url}${path}`);
    return page;
  }

  it("workspace settings: a bad field is named and nothing is saved; good ones are confirmed and persist after a reload", async () => {
    const page = await open("/settings/workspace");
    await page.getByLabel("Name").fill("Renamed practice");
    await page.getByLabel("Monday to", { exact: true }).fill("07:00");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect.poll(() => page.locator("#ws-end-1-error").textContent()).toBe("Must be after the start");
    expect(await page.getByLabel("Monday to", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect((await ok(url, `{ viewer { workspace { name } } }`, {}, { token: ws.owner.token })).viewer.workspace.name).not.toBe("Renamed practice");

    // Each weekday has its own hours; a day unticked is off.
    await page.getByLabel("Time zone").fill("America/New_York");
    await page.getByLabel("Friday", { exact: true }).uncheck();
    await page.getByLabel("Saturday", { exact: true }).check();
    await page.getByLabel("Monday from", { exact: true }).fill("08:30");
    await page.getByLabel("Monday to", { exact: true }).fill("16:00");
    await page.getByLabel("Saturday to", { exact: true }).fill("12:00");
    await page.getByLabel("Week starts on").selectOption({ label: "Sunday" });
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Workspace settings saved." }).waitFor();

    await page.reload();
    await expect.poll(() => page.getByLabel("Name").inputValue()).toBe("Renamed practice");
    expect(await page.getByLabel("Time zone").inputValue()).toBe("America/New_York");
    expect(await page.getByLabel("Friday", { exact: true }).isChecked()).toBe(false);
    expect(await page.getByLabel("Friday from", { exact: true }).count()).toBe(0);
    expect(await page.getByLabel("Saturday", { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel("Monday from", { exact: true }).inputValue()).toBe("08:30");
    expect(await page.getByLabel("Tuesday from", { exact: true }).inputValue()).toBe("09:00");
    expect(await page.getByLabel("Saturday to", { exact: true }).inputValue()).toBe("12:00");
    expect(await page.getByLabel("Week starts on").inputValue()).toBe("7");
    expect(await page.getByLabel("Clock times").inputValue()).toBe("H24");
    const { workingHours } = (await ok(url, `{ viewer { workspace { workingHours { weekday start end } } } }`, {}, { token: ws.owner.token })).viewer.workspace;
    expect(workingHours).toEqual([
      { weekday: 1, start: "08:30", end: "16:00" },
      { weekday: 2, start: "09:00", end: "17:00" },
      { weekday: 3, start: "09:00", end: "17:00" },
      { weekday: 4, start: "09:00", end: "17:00" },
      { weekday: 6, start: "09:00", end: "12:00" },
    ]);
    await page.close();
  });

  it("members: an invitation accepted in a second browser lists the new member", async () => {
    const page = await open("/settings/members");
    const email = `invitee-${randomUUID().slice(0, 8)}@test.example`;
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Role", { exact: true }).selectOption({ label: "Staff" });
    await page.getByRole("button", { name: "Send invitation" }).click();
    await page.getByRole("status").filter({ hasText: `Invitation sent to ${email}.` }).waitFor();
    await page.getByTestId("invitation-row").filter({ hasText: email }).waitFor();
    const link = new URL(await page.getByRole("textbox", { name: "Invitation link" }).inputValue());
    expect(link.pathname).toBe("/invitations/accept");

    const invitee = await newContext(browser);
    const accept = await invitee.newPage();
    await accept.goto(`${url}${link.pathname}${link.search}`);
    await accept.getByLabel("Your name").fill("Ivy Invitee");
    await accept.getByLabel("Password").fill("short");
    await accept.getByRole("button", { name: "Accept invitation" }).click();
    await expect.poll(() => accept.locator("#invitee-password-error").textContent()).toBe("At least 8 characters");
    await accept.getByLabel("Password").fill("invitee-password");
    await accept.getByRole("button", { name: "Accept invitation" }).click();
    await accept.getByRole("status").filter({ hasText: "You joined" }).waitFor();
    await invitee.close();

    await page.reload();
    const row = page.locator(`[data-testid="member-row"][data-email="${email}"]`);
    await row.waitFor();
    expect(await row.getByLabel("Role of Ivy Invitee").inputValue()).toBe("STAFF");
    expect(await page.getByTestId("invitation-row").filter({ hasText: email }).count()).toBe(0);
    await page.close();
  });

  it("members: a role is changed, and a member removed only after confirming", async () => {
    const page = await open("/settings/members");
    const row = page.locator(`[data-testid="member-row"][data-email="${ws.staff.email}"]`);
    const roles = async () =>
      (await ok(url, MEMBERS, {}, { token: ws.owner.token })).viewer.workspace.members.nodes
        .filter((m: { user: { email: string } }) => m.user.email === ws.staff.email)
        .map((m: { role: string }) => m.role);
    await row.getByLabel("Role of Sam Staff").selectOption({ label: "Manager" });
    await page.getByRole("status").filter({ hasText: "Sam Staff is now Manager." }).waitFor();
    expect(await roles()).toEqual(["MANAGER"]);

    await row.getByRole("button", { name: "Remove" }).click();
    const dialog = page.getByRole("dialog", { name: "Remove Sam Staff?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await roles()).toEqual(["MANAGER"]);
    await row.getByRole("button", { name: "Remove" }).click();
    await dialog.getByRole("button", { name: "Remove member" }).click();
    await row.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: "Sam Staff was removed." }).waitFor();
    expect(await roles()).toEqual([]);
    await page.close();
  });

  it("members: the staff permission set is saved and persists after a reload", async () => {
    const page = await open("/settings/members");
    const staffSet = page.getByRole("form", { name: "What staff may do" });
    await staffSet.getByLabel("Book client sessions").uncheck();
    await staffSet.getByLabel("Read product analytics").check();
    await staffSet.getByRole("button", { name: "Save staff permissions" }).click();
    await page.getByRole("status").filter({ hasText: "Staff permissions saved." }).waitFor();
    const stored = (await ok(url, `{ viewer { workspace { staffPermissions } } }`, {}, { token: ws.owner.token })).viewer.workspace.staffPermissions;
    expect(stored).toContain("ANALYTICS_READ");
    expect(stored).not.toContain("SESSION_CREATE");
    await page.reload();
    await expect.poll(() => staffSet.getByLabel("Read product analytics").isChecked()).toBe(true);
    expect(await staffSet.getByLabel("Book client sessions").isChecked()).toBe(false);
    await page.close();
  });

  it("members: a pending invitation is revoked and its link stops working", async () => {
    const page = await open("/settings/members");
    const email = `revoked-${randomUUID().slice(0, 8)}@test.example`;
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send invitation" }).click();
    const link = new URL(await page.getByRole("textbox", { name: "Invitation link" }).inputValue());
    await page.getByTestId("invitation-row").filter({ hasText: email }).getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("status").filter({ hasText: `Invitation to ${email} revoked.` }).waitFor();
    const accepted = await ok(url, `mutation($t: String!) { acceptInvitation(input: { token: $t, name: "X", password: "long-enough" }) { __typename } }`, { t: link.searchParams.get("token") });
    expect(accepted.acceptInvitation.__typename).toBe("ValidationError");
    await page.close();
  });

  it("API keys: created with scopes, the secret shown once and working, then revoked", async () => {
    const page = await open("/settings/tokens");
    await page.getByLabel("Key name").fill("Reporting");
    await page.getByLabel("Read work sessions").check();
    await page.getByRole("button", { name: "Create API key" }).click();
    const secret = await page.locator("#token-secret").inputValue();
    expect((await ok(url, `{ viewer { permissions } }`, {}, { token: secret })).viewer.permissions).toEqual(["WORK_READ"]);
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.content()).not.toContain(secret);
    const row = page.getByTestId("token-row").filter({ hasText: "Reporting" });
    expect(await row.textContent()).toContain("work.read");

    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("status").filter({ hasText: "“Reporting” was revoked." }).waitFor();
    expect(await row.count()).toBe(0);
    expect((await gql(url, `{ viewer { permissions } }`, {}, { token: secret })).status).toBe(401);
    await page.close();
  });

  it("kiosk link: the Live board alone, with a read-only key, shows a session as it starts", async () => {
    const page = await open("/settings/tokens");
    await page.getByLabel("Display name").fill("Lobby screen");
    await page.getByRole("button", { name: "Create kiosk link" }).click();
    const link = new URL(await page.locator("#token-secret").inputValue());
    expect(link.pathname).toBe("/kiosk");
    await page.close();

    // A browser nobody signed in to: the key in the link is its only credential.
    const wall = await newContext(browser);
    const kiosk = await wall.newPage();
    await kiosk.goto(link.href.replace(link.origin, url));
    await expect.poll(() => kiosk.getByTestId("live-connection").textContent(), { timeout: 10_000 }).toBe("Connected");
    expect(await kiosk.getByRole("navigation").count()).toBe(0);
    expect(await kiosk.getByRole("button", { name: "Full screen" }).count()).toBe(1);

    const tom = { token: ws.employee.token };
    const { startTimer } = await ok(url, `mutation { startTimer(input: { description: "On the wall" }) { ... on TimeEntry { id } } }`, {}, tom);
    const card = kiosk.locator(`[data-testid="live-session"][data-session-id="${startTimer.id}"]`);
    await card.waitFor({ timeout: 5000 });
    expect(await card.getByTestId("live-title").textContent()).toBe("On the wall");
    expect(await card.textContent()).not.toMatch(/AM|PM/);
    await ok(url, `mutation { stopTimer { __typename } }`, {}, tom);
    await card.waitFor({ state: "detached", timeout: 5000 });

    // A workspace on a 12-hour clock: the wall shows it too, though no member is signed in there.
    await ok(url, `mutation { updateWorkspace(input: { timeFormat: H12 }) { __typename } }`, {}, { token: ws.owner.token });
    await kiosk.reload();
    const { startTimer: again } = await ok(url, `mutation { startTimer(input: { description: "Twelve" }) { ... on TimeEntry { id } } }`, {}, tom);
    const twelve = kiosk.locator(`[data-testid="live-session"][data-session-id="${again.id}"]`);
    await twelve.waitFor({ timeout: 10_000 });
    const shown = await twelve.textContent();
    await ok(url, `mutation { stopTimer { __typename } }`, {}, tom);
    await ok(url, `mutation { updateWorkspace(input: { timeFormat: H24 }) { __typename } }`, {}, { token: ws.owner.token });
    await wall.close();
    expect(shown).toMatch(/Started \w+,? \d{1,2}:\d{2}\s?(AM|PM)/);
  });

  it("an employee's navigation has neither Workspace nor Members, and the pages say so when opened directly", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signInAs(page, url, ws.employee.email);
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Account" }).waitFor();
    expect(await nav.getByRole("link", { name: "Members" }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Workspace" }).count()).toBe(0);
    await page.goto(`${url}/settings/members`);
    await page.getByText("Only those who manage members see this page.").waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
    await context.close();
  });

  it("at 390 px each settings page fits without sideways scrolling, has its own title and no 12-hour times", async () => {
    const context = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await signInAs(page, url, ws.owner.email);
    const titles = new Set<string>();
    // Each page with what shows it has loaded.
    const pages: [string, string][] = [
      ["/settings/workspace", "#ws-name"],
      ["/settings/members", "[data-testid=member-row]"],
      ["/settings/tokens", "[data-testid=token-row]"],
      ["/settings/account", "#current-password"],
      ["/invitations/accept?token=unknown", "button.primary"],
      ["/kiosk#key=unknown", "[role=alert]"],
    ];
    for (const [path, ready] of pages) {
      await page.goto(`${url}${path}`);
      await page.locator(ready).first().waitFor();
      expect(await pastTheEdge(page), path).toEqual([]);
      expect(await page.locator("body").innerText(), path).not.toMatch(/\b(AM|PM)\b/);
      titles.add(await page.title());
    }
    expect(titles.size).toBe(pages.length);
    await context.close();
  });

  /** A browser signed in as `email` on the Account page. */
  async function accountPage(email: string) {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signInAs(page, url, email);
    await page.goto(`${url}/settings/account`);
    return { context, page };
  }

  it("account: a too short new password is named next to its field; a good one is confirmed", async () => {
    const { context, page } = await accountPage(ws.employee2.email);
    await page.getByLabel("Current password").fill(DEMO_PASSWORD);
    await page.getByLabel("New password", { exact: true }).fill("short");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.locator("#new-password-error").textContent()).toBe("At least 8 characters");
    await page.getByLabel("New password", { exact: true }).fill("a-new-password");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
    expect(await page.locator("#new-password-error").count()).toBe(0);
    await context.close();
  });

  it("account: signing out everywhere, after confirming, ends this browser and the others", async () => {
    const { context, page } = await accountPage(ws.employee.email);
    const elsewhere = await signIn(url, ws.employee.email);
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("dialog", { name: "Sign out everywhere?" }).getByRole("button", { name: "Sign out everywhere" }).click();
    await page.waitForURL((u) => u.pathname === "/signin");
    expect((await gql(url, `{ viewer { user { id } } }`, {}, { cookie: elsewhere })).status).toBe(401);
    await context.close();
  });
});
