// `g view` in headless Chromium over a store of one run whose process died
// before it recorded its end (started, never stopped, no LOCK: status error):
// the runs page counts it as "1 run", and its page shows no time, where it once
// showed one that grew for ever.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";
import { browserSkipReason, launchBrowser, startView, type Browser, type ViewServer } from "./browser.js";

/** Waits in the page: generous, the test machine is shared. */
const WAIT_MS = 30_000;

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== null)("g view in headless Chromium over one run that died unrecorded", () => {
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  let id: string;

  beforeAll(async () => {
    const home = tempDir("g-view-one-run-");
    // An hour ago, as a crashed machine leaves it: the record says started, nothing says it ended.
    const started = new Date(Date.now() - 3_600_000).toISOString();
    id = new RunStore(home).createRun({ op: "train.py", started, cmd: ["python3", "train.py"], flags: { lr: 0.1 } }).id;
    server = await startView(home);
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanTempDirs();
  });

  it('counts "1 run", and "0 of 1 run" under a filter that hides it', async () => {
    await page.goto(`${server.url}#/runs`);
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    expect(await page.textContent(".toolbar .count")).toBe("1 run");
    await page.fill(".toolbar input", "=lr > 100");
    await page.press(".toolbar input", "Enter");
    await page.waitForFunction(() => document.querySelector(".toolbar .count")?.textContent === "0 of 1 run", undefined, {
      timeout: WAIT_MS,
    });
  });

  it("shows the run's page without a time: it has no end", async () => {
    await page.goto(`${server.url}#/run/${id}`);
    await page.waitForSelector(".run-page table.attributes", { timeout: WAIT_MS });
    const attributes = await page.$$eval(".run-page table.attributes th", (ths) => ths.map((th) => th.textContent));
    expect(attributes).toEqual(["id", "operation", "started", "stopped", "command"]);
    expect(await page.textContent(".run-page")).toContain("error");
  });
});
