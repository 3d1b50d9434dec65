// What a test starts from: the stack and a workspace of its own; for Chromium tests also a browser
// and a window.
import type { Browser, BrowserContext } from "playwright-core";
import { launchBrowser, newContext } from "./browser.js";
import { startStack, type Stack } from "./stack.js";
import { newWorkspace, type TestWorkspace } from "./workspace.js";

export interface Started {
  stack: Stack;
  url: string;
  ws: TestWorkspace;
  /** Closes whatever was started. */
  stop(): Promise<void>;
}

export interface E2e extends Started {
  browser: Browser;
  context: BrowserContext;
}

export async function startWithWorkspace(timeZone: string): Promise<Started> {
  const stack = await startStack();
  const url = stack.urls[0];
  return { stack, url, ws: await newWorkspace(url, timeZone), stop: () => stack.stop() };
}

export async function startE2e(timeZone: string): Promise<E2e> {
  const started = await startWithWorkspace(timeZone);
  const browser = await launchBrowser();
  const context = await newContext(browser);
  return {
    ...started,
    browser,
    context,
    async stop() {
      await context.close();
      await browser.close();
      await started.stop();
    },
  };
}
