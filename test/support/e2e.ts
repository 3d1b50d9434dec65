// What a Chromium test starts from: the stack, a workspace of its own, a browser and a window.
import type { Browser, BrowserContext } from "playwright-core";
import { launchBrowser, newContext } from "./browser.js";
import { startStack, type Stack } from "./stack.js";
import { newWorkspace, type TestWorkspace } from "./workspace.js";

export interface E2e {
  stack: Stack;
  url: string;
  ws: TestWorkspace;
  browser: Browser;
  context: BrowserContext;
  /** Closes the window, the browser and the stack. */
  stop(): Promise<void>;
}

export async function startE2e(timeZone: string): Promise<E2e> {
  const stack = await startStack();
  const url = stack.urls[0];
  const ws = await newWorkspace(url, timeZone);
  const browser = await launchBrowser();
  const context = await newContext(browser);
  return {
    stack,
    url,
    ws,
    browser,
    context,
    async stop() {
      await context.close();
      await browser.close();
      await stack.stop();
    },
  };
}
