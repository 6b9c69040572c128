// `g view` in headless Chromium while the store changes under it: curves of a
// run that is deleted or damaged, a selection naming a run that is gone, short
// ids in the address, -c columns, and live rows arriving as deltas.
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, g, gAsync, listRunsJson, type RunJson } from "../helpers/g.js";
import { FIXTURES, cleanTempDirs, tempDir } from "../helpers/paths.js";
import { browserSkipReason, launchBrowser, startView, type Browser, type ViewServer } from "./browser.js";

/** Waits in the page: generous, the test machine is shared. */
const WAIT_MS = 30_000;

const CURVE_SCRIPT = `import math, time
lr = 0.1
epochs = 20
pause = 0.0
for step in range(epochs):
    print("step: %d" % step)
    print("loss: %f" % math.exp(-lr * step))
    time.sleep(pause)
`;

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== null)("g view in headless Chromium while runs change", () => {
  let home: string;
  let work: string;
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  let curveRuns: RunJson[];

  function gOk(args: string[]): void {
    const res = g(args, { home, cwd: work });
    if (res.code !== 0) throw new Error(`g ${args.join(" ")} failed (${res.code}): ${res.stderr}`);
  }

  beforeAll(async () => {
    home = tempDir("g-view-changes-");
    work = tempDir("g-view-changes-work-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
    writeFileSync(join(work, "curve.py"), CURVE_SCRIPT);
    for (const [lr, label] of [
      ["0.05", "kept"],
      ["0.2", "doomed"],
      ["0.3", "gone-before"],
    ])
      gOk(["run", "curve.py", `lr=${lr}`, "--label", label!, "--yes", "--quiet"]);
    curveRuns = listRunsJson(home).filter((r) => r.op === "curve.py");
    server = await startView(home);
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanTempDirs();
  });

  const byLabel = (label: string): RunJson => curveRuns.find((r) => r.label === label)!;

  /** The number of lines each chart's legend lists, by scalar key. */
  function seriesPerChart(): Promise<Record<string, number>> {
    return page.$$eval(".chart-card", (cards) =>
      Object.fromEntries(cards.map((c) => [(c as HTMLElement).dataset.key, c.querySelectorAll(".u-legend .u-series").length - 1])),
    );
  }

  it("keeps drawing the other runs' curves when one is deleted, and says so", async () => {
    const kept = byLabel("kept");
    const doomed = byLabel("doomed");
    await page.goto(`${server.url}#/curves?runs=${kept.id},${doomed.id}`);
    await page.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    expect(await seriesPerChart()).toEqual({ loss: 2 });
    gOk(["runs", "rm", "-y", doomed.id]);
    await page.waitForFunction(
      (short) => document.querySelector(".curves-page .note:not([hidden])")?.textContent?.includes(`run ${short} was deleted`),
      doomed.id.slice(0, 8),
      { timeout: WAIT_MS },
    );
    await page.waitForFunction(
      () => document.querySelectorAll('.chart-card[data-key="loss"] .u-legend .u-series').length === 2,
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    expect(await page.$(".not-found")).toBeNull();
    expect(await seriesPerChart()).toEqual({ loss: 1 });
  });

  it("draws a run next to a damaged one and says why the damaged one cannot be read", async () => {
    await page.goto(`${server.url}#/curves?runs=${"07".repeat(16)},${"0b".repeat(16)}`);
    await page.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    expect(await seriesPerChart()).toEqual({ loss: 1, acc: 1 });
    expect(await page.textContent(".curves-page .note")).toBe("run 0b0b0b0b cannot be read: run.json is not valid JSON.");
  });

  it("drops runs that no longer exist from the runs page's selection", async () => {
    const kept = byLabel("kept");
    const gone = byLabel("gone-before");
    gOk(["runs", "rm", "-y", gone.id]);
    await page.goto(`${server.url}#/runs?sel=${kept.id},${gone.id}`);
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector(".curves-button")?.textContent === "Curves (1)", undefined, {
      timeout: WAIT_MS,
    });
    expect(new URL(page.url()).hash).toBe(`#/runs?sel=${kept.id}`);
    // and a run deleted while it is ticked
    const other = "09".repeat(16);
    await page.check(`.runs-window .row[data-id="${other}"] input[type=checkbox]`);
    expect(await page.textContent(".curves-button")).toBe("Curves (2)");
    gOk(["runs", "rm", "-y", other]);
    await page.waitForFunction(() => document.querySelector(".curves-button")?.textContent === "Curves (1)", undefined, {
      timeout: WAIT_MS,
    });
    expect(new URL(page.url()).hash).toBe(`#/runs?sel=${kept.id}`);
  });

  it("opens a run's page from a unique short id, and says which runs an ambiguous one could be", async () => {
    await page.goto(`${server.url}#/run/07070707`);
    await page.waitForSelector(".run-page .flags", { timeout: WAIT_MS });
    expect(await page.textContent(".run-page h1")).toContain("07070707");
    await page.goto(`${server.url}#/run/0`);
    await page.waitForFunction(() => /ambiguous/.test(document.querySelector("main")?.textContent ?? ""), undefined, { timeout: WAIT_MS });
    expect(await page.textContent("main")).toContain("give more of the id");
  });

  it("updates a running run's row from deltas, without fetching the whole table again", async () => {
    await page.goto(`${server.url}#/runs`);
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    const answers: string[] = [];
    const onResponse = (response: import("playwright-core").Response): void => {
      if (new URL(response.url()).pathname.endsWith("/api/runs"))
        void response.text().then(
          (t) => answers.push(t),
          () => {},
        );
    };
    page.on("response", onResponse);
    const child = gAsync(["run", "curve.py", "epochs=25", "pause=0.2", "--label", "live", "--yes", "--quiet"], { home, cwd: work });
    const done = collect(child);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".runs-window .row")].some(
          (r) => r.textContent?.includes("live") && r.classList.contains("status-running"),
        ),
      undefined,
      { timeout: WAIT_MS },
    );
    expect((await done).code).toBe(0);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".runs-window .row")].some(
          (r) => r.textContent?.includes("live") && r.classList.contains("status-completed"),
        ),
      undefined,
      { timeout: WAIT_MS },
    );
    page.off("response", onResponse);
    const deltas = answers.map((t) => JSON.parse(t) as { delta?: boolean }).filter((a) => a.delta === true);
    expect(deltas.length).toBeGreaterThan(0);
    const live = listRunsJson(home).find((r) => r.label === "live")!;
    const cells = await page.$eval(`.runs-window .row[data-id="${live.id}"]`, (row) => row.textContent ?? "");
    expect(cells).toContain("completed");
    expect(await page.$$eval(".runs-window .row[data-id]", (rows) => rows.length)).toBe(listRunsJson(home).length);
  });
});

describe.skipIf(skipReason !== null)("g view -c in headless Chromium", () => {
  let server: ViewServer;
  let browser: Browser;

  beforeAll(async () => {
    const home = tempDir("g-view-cols-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
    server = await startView(home, ["-c", "min loss", "-c", "=x"]);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanTempDirs();
  });

  it("shows the columns given with -c in the table", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#/runs`);
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    const keys = await page.$$eval(".runs-header .head", (heads) => heads.map((h) => (h as HTMLElement).dataset.key));
    expect(keys.slice(-2)).toEqual(["min loss", "=x"]);
    expect(keys).not.toContain("last loss");
    await page.close();
  });
});
