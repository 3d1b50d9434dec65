// Debian's Chromium driven by playwright-core, with the flags that keep it off the (closed) network.
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import { DEMO_PASSWORD } from "../../prisma/seed.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Playwright gives each launch a fresh, throwaway profile directory. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

export async function signInAs(page: Page, url: string, email: string) {
  await page.goto(`${url}/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/signin"));
}

/**
 * A fixed locale and window, so dates and money read the same as Intl formats them in the test.
 * A step waits at most 20 s: under the 30 s a test may take, so a page that never shows what a step
 * waits for fails naming that step, not with the test's bare timeout.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1360, height: 900 } });
  context.setDefaultTimeout(20_000);
  return context;
}

/** With E2E_SCREENSHOTS set to a folder, keeps a full-page screenshot of the page under test. */
export async function snap(page: Page, name: string) {
  const folder = process.env.E2E_SCREENSHOTS;
  if (folder) await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
}

/** A counter sampled many times a second never showed a smaller value than before. */
export function expectNeverBackwards(samples: number[]) {
  const steps = samples.slice(1).map((s, i) => s - samples[i]);
  expect(Math.min(...steps), `samples: ${samples.join(" ")}`).toBeGreaterThanOrEqual(0);
}

/**
 * What makes the page scroll sideways: elements reaching past the window's right edge, the header and
 * navigation included. What scrolls inside a box of its own (a wide table in `.table-scroll`, the
 * calendar's grid) is that box's business, so it is left out.
 */
export function pastTheEdge(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const inOwnScroll = (e: Element) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== "visible") return true;
      return false;
    };
    const over = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5 && !inOwnScroll(e))
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
    const pageWidth = document.documentElement.scrollWidth;
    return pageWidth > width ? [`the page is ${pageWidth} px wide`, ...over] : over;
  });
}
