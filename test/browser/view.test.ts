// `g view` in a real headless Chromium: the runs table (rows, sort, filter,
// inline filter errors), curves of selected runs, the search page of a gp
// batch, live updates, escaping of run text, 404s, and the exported report
// opened from file:// with the network blocked. With G_SCREENSHOTS=1 the
// suite also writes the screenshots of docs/view.md (docs/view-*.png).
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, g, gAsync, listRunsJson, type RunJson } from "../helpers/g.js";
import { EXAMPLES, FIXTURES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";
import { browserSkipReason, launchBrowser, startView, type Browser, type ViewServer } from "./browser.js";
// @ts-expect-error: plain JS generator, no type declarations
import { generateStore } from "../../runs-fixtures/generate.mjs";

const XSS_LABEL = "<img src=x onerror=alert(1)>";
const SCREENSHOTS = process.env.G_SCREENSHOTS === "1";
/** Waits in the page: generous, the test machine is shared. */
const WAIT_MS = 30_000;

/** What a slice plot drew, read from its ECharts instance. */
interface SliceDrawn {
  flag: string;
  xType: string;
  categories: string[] | null;
  /** The trials series' points ([x, objective, order]) and the best trial's mark. */
  points: number[][];
  best: number[][];
}

/** Every slice plot on the page, in the page's order. */
function slicesDrawn(page: Page): Promise<SliceDrawn[]> {
  return page.$$eval(".slice-chart", (els) =>
    els.map((e) => {
      const chart = (
        e as HTMLElement & {
          gChart: { getOption(): { xAxis: { type: string; data?: string[] }[]; series: { data: number[][] }[] } };
        }
      ).gChart;
      const option = chart.getOption();
      return {
        flag: (e as HTMLElement).dataset.flag!,
        xType: option.xAxis[0]!.type,
        categories: option.xAxis[0]!.data ?? null,
        points: option.series[0]!.data,
        best: option.series[1]!.data,
      };
    }),
  );
}

/** Flag → how many trials its slice plot shows. */
async function slicePoints(page: Page): Promise<Record<string, number>> {
  return Object.fromEntries((await slicesDrawn(page)).map((s) => [s.flag, s.points.length]));
}

/** A training script that logs `step:`, `loss:` and `acc:` lines, its flags as globals. */
const CURVE_SCRIPT = `import math, time
lr = 0.1
epochs = 40
pause = 0.0
for step in range(epochs):
    print("step: %d" % step)
    print("loss: %f" % (math.exp(-lr * step) + 0.05 * math.sin(step)))
    print("acc: %f" % (1 - math.exp(-lr * step) * 0.9))
    time.sleep(pause)
`;

const skipReason = browserSkipReason();
if (skipReason !== null) console.warn(`test/browser/view.test.ts: ${skipReason}`);

describe.skipIf(skipReason !== null)("g view in headless Chromium", () => {
  let home: string;
  let work: string;
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  let runs: RunJson[];
  let gpBatch: RunJson;
  const dialogs: string[] = [];

  function gOk(args: string[]): void {
    const res = g(args, { home, cwd: work });
    if (res.code !== 0) throw new Error(`g ${args.join(" ")} failed (${res.code}): ${res.stderr}`);
  }

  beforeAll(async () => {
    home = tempDir("g-view-");
    work = tempDir("g-view-work-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
    writeFileSync(join(work, "curve.py"), CURVE_SCRIPT);
    cpSync(join(EXAMPLES, "train.py"), join(work, "train.py"));
    gOk(["run", "curve.py", "lr=0.05", "--label", "slow", "--yes", "--quiet"]);
    gOk(["run", "curve.py", "lr=0.2", "--label", "fast", "--yes", "--quiet"]);
    gOk(["run", "train.py", "x=[-2.0:2.0]", "noise=[0.0:0.2]", "--optimizer", "gp", "--max-trials", "12", "--yes", "--quiet"]);
    gOk(["run", "train.py", "x=0.2", "--label", XSS_LABEL, "--yes", "--quiet"]);
    runs = listRunsJson(home);
    gpBatch = runs.find((r) => r.op === "gp")!;
    server = await startView(home);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanTempDirs();
  });

  async function openRuns(hash = "#/runs"): Promise<void> {
    await page.goto(`${server.url}${hash}`);
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
  }

  /** Ids of the table's rows in the order shown. */
  function shownIds(): Promise<string[]> {
    return page.$$eval(".runs-window .row[data-id]", (rows) => rows.map((r) => (r as HTMLElement).dataset.id!));
  }

  /** The text of one column (by its key, e.g. `last loss`) for every row shown, with each row's depth. */
  function columnOf(key: string): Promise<{ text: string; child: boolean }[]> {
    return page.evaluate((k) => {
      const heads = [...document.querySelectorAll<HTMLElement>(".runs-header .cell")];
      const index = heads.findIndex((h) => h.dataset.key === k);
      if (index < 0) throw new Error(`no column ${k}`);
      return [...document.querySelectorAll<HTMLElement>(".runs-window .row[data-id]")].map((row) => ({
        text: row.children[index]!.textContent ?? "",
        child: row.classList.contains("child"),
      }));
    }, key);
  }

  it("shows every run of the store, trials under their batch, and warns about the damaged ones", async () => {
    await openRuns();
    expect((await shownIds()).sort()).toEqual(runs.map((r) => r.id).sort());
    const trialRows = await page.$$eval(".runs-window .row.child", (rows) => rows.map((r) => (r as HTMLElement).dataset.id!));
    expect(trialRows.sort()).toEqual(
      runs
        .filter((r) => r.batch !== null)
        .map((r) => r.id)
        .sort(),
    );
    const order = await shownIds();
    for (const trial of runs.filter((r) => r.batch !== null)) expect(order.indexOf(trial.id)).toBeGreaterThan(order.indexOf(trial.batch!));
    const banner = await page.textContent(".warnings");
    for (const id of ["0b", "0c", "0d"]) expect(banner).toContain(id.repeat(16));
    expect(await page.textContent(".count")).toBe(`${runs.length} runs`);
    if (SCREENSHOTS) {
      // wide enough for every column of this store
      await page.setViewportSize({ width: 1760, height: 760 });
      await page.screenshot({ path: join(ROOT, "docs", "view-runs.png") });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("sorts by a column on a click (numbers by value, missing last), descending on a second click", async () => {
    await openRuns();
    await page.click('.runs-header [data-key="last loss"]');
    const numbersOf = (cells: { text: string; child: boolean }[], child: boolean): number[] =>
      cells.filter((c) => c.child === child && c.text !== "").map((c) => Number(c.text));
    const ascending = await columnOf("last loss");
    const top = numbersOf(ascending, false);
    expect(top.length).toBeGreaterThan(3);
    expect(top).toEqual([...top].sort((a, b) => a - b));
    expect(numbersOf(ascending, true)).toHaveLength(runs.filter((r) => r.batch !== null).length);
    // a batch sorts by its best trial (or its own value): the groups' best values are in order, missing last
    const ascBest = groupBests(ascending, Math.min);
    expect(ascBest.filter((v) => v !== null)).toEqual(ascBest.filter((v) => v !== null).sort((a, b) => a! - b!));
    expect(ascBest.slice(ascBest.indexOf(null))).toEqual(ascBest.filter((v) => v === null));
    // the lowest loss of the store, a trial's or not, is in the first group
    expect(ascBest[0]).toBe(Math.min(...numbersOf(ascending, true), ...top));
    await page.click('.runs-header [data-key="last loss"]');
    const descCells = await columnOf("last loss");
    const descending = numbersOf(descCells, false);
    expect(descending).toEqual([...top].sort((a, b) => b - a));
    const descBest = groupBests(descCells, Math.max);
    expect(descBest.filter((v) => v !== null)).toEqual(descBest.filter((v) => v !== null).sort((a, b) => b! - a!));
    expect(descBest[descBest.length - 1]).toBeNull();
  });

  /** Each top-level line's best value in its group (its own and its trials'), null when none has one. */
  function groupBests(cells: { text: string; child: boolean }[], best: (...v: number[]) => number): (number | null)[] {
    const groups: number[][] = [];
    for (const cell of cells) {
      if (!cell.child) groups.push([]);
      if (cell.text !== "") groups[groups.length - 1]!.push(Number(cell.text));
    }
    return groups.map((g) => (g.length === 0 ? null : best(...g)));
  }

  it("sorts and folds from the keyboard: headers and ▾ / ▸ are labelled buttons that keep the focus", async () => {
    await openRuns();
    // the page before may have left a sort on the same address
    await page.reload();
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    const sortButton = '.runs-header [data-key="last loss"] button';
    expect(await page.getAttribute(sortButton, "aria-label")).toBe("loss: sort ascending");
    await page.focus(sortButton);
    await page.keyboard.press("Enter");
    expect(await page.getAttribute('.runs-header [data-key="last loss"]', "aria-sort")).toBe("ascending");
    await page.keyboard.press(" ");
    expect(await page.getAttribute('.runs-header [data-key="last loss"]', "aria-sort")).toBe("descending");
    expect(await page.evaluate(() => document.activeElement?.closest<HTMLElement>(".head")?.dataset.key)).toBe("last loss");
    await page.keyboard.press("Enter");
    expect(await page.getAttribute('.runs-header [data-key="last loss"]', "aria-sort")).toBeNull();
    const fold = `.runs-window .row[data-id="${gpBatch.id}"] .fold`;
    expect(await page.getAttribute(fold, "aria-label")).toMatch(/^hide the \d+ trials of batch /);
    const trials = runs.filter((r) => r.batch === gpBatch.id).length;
    const lines = (await shownIds()).length;
    await page.focus(fold);
    await page.keyboard.press("Enter");
    expect(await shownIds()).toHaveLength(lines - trials);
    expect(await page.getAttribute(fold, "aria-expanded")).toBe("false");
    expect(await page.evaluate(() => document.activeElement?.classList.contains("fold"))).toBe(true);
    await page.keyboard.press(" ");
    expect(await shownIds()).toHaveLength(lines);
    expect(await page.getAttribute(fold, "aria-expanded")).toBe("true");
  });

  it("filters with the --filter language, and shows a bad filter's error under the box, keeping the table", async () => {
    await openRuns();
    await page.fill(".filter-input", "loss < 0");
    await page.press(".filter-input", "Enter");
    await page.waitForFunction(() => document.querySelector(".count")?.textContent?.includes(" of "), undefined, { timeout: WAIT_MS });
    const losses = (await columnOf("last loss")).map((c) => Number(c.text));
    expect(losses.length).toBeGreaterThan(0);
    expect(losses.length).toBeLessThan(runs.length);
    for (const loss of losses) expect(loss).toBeLessThan(0);
    const kept = await shownIds();
    await page.fill(".filter-input", "loss < and x");
    await page.press(".filter-input", "Enter");
    await page.waitForSelector(".filter-error:not([hidden])", { timeout: WAIT_MS });
    expect((await page.textContent(".filter-error"))!.length).toBeGreaterThan(5);
    expect(await shownIds()).toEqual(kept);
    expect(page.url()).toContain("filter=");
  });

  it("draws one line per selected run on each curves chart, the selection kept in the URL", async () => {
    const picked = runs.filter((r) => r.label === "slow" || r.label === "fast");
    await openRuns();
    for (const run of picked) await page.check(`.runs-window .row[data-id="${run.id}"] input[type=checkbox]`);
    expect(page.url()).toContain(`sel=${picked.map((r) => r.id).join("%2C")}`);
    await page.reload();
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    for (const run of picked) expect(await page.isChecked(`.runs-window .row[data-id="${run.id}"] input[type=checkbox]`)).toBe(true);
    expect(await page.textContent(".curves-button")).toBe(`Curves (${picked.length})`);
    await page.click(".curves-button");
    await page.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    const charts = await page.$$eval(".chart-card", (cards) =>
      cards.map((c) => ({ key: (c as HTMLElement).dataset.key, series: c.querySelectorAll(".u-legend .u-series").length - 1 })),
    );
    expect(charts.map((c) => c.key).sort()).toEqual(["acc", "loss"]);
    for (const chart of charts) expect(chart.series).toBe(picked.length);
    const labels = await page.$$eval('.chart-card[data-key="loss"] .u-legend .u-series .u-label', (ls) => ls.map((l) => l.textContent));
    expect(labels.slice(1).sort()).toEqual(picked.map((r) => `${r.id.slice(0, 8)} ${r.label}`).sort());
    await page.fill(".smoothing", "0.6");
    await page.check(".log-y");
    await page.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    expect(await page.$$eval(".chart-card", (cards) => cards.length)).toBe(2);
    await page.fill(".smoothing", "0.3");
    await page.uncheck(".log-y");
    await page.hover('.chart-card[data-key="loss"] .u-over', { position: { x: 200, y: 100 } });
    if (SCREENSHOTS) await page.screenshot({ path: join(ROOT, "docs", "view-curves.png") });
  });

  /** How many pixels of each line's colour (its legend marker's) the chart of a key has painted, by legend label. */
  function paintedPixels(key: string): Promise<Record<string, number>> {
    return page.$eval(`.chart-card[data-key="${key}"]`, (card) => {
      const canvas = card.querySelector("canvas")!;
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const counts: Record<string, number> = {};
      for (const series of [...card.querySelectorAll(".u-legend .u-series")].slice(1)) {
        const marker = series.querySelector<HTMLElement>(".u-marker")!;
        const [r, g, b] = getComputedStyle(marker).borderColor.match(/\d+/g)!.map(Number) as [number, number, number];
        let n = 0;
        for (let i = 0; i < data.length; i += 4)
          if (Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 40 && data[i + 3]! > 200) n++;
        counts[series.querySelector(".u-label")!.textContent!] = n;
      }
      return counts;
    });
  }

  /** The legend of a key's chart with the pointer at a share of the plot's width: label → value. */
  async function legendAt(key: string, share: number): Promise<Record<string, string>> {
    const box = (await page.locator(`.chart-card[data-key="${key}"] .u-over`).boundingBox())!;
    await page.mouse.move(box.x + box.width * share, box.y + box.height / 2);
    return page.$eval(`.chart-card[data-key="${key}"] .u-legend`, (legend) =>
      Object.fromEntries(
        [...legend.querySelectorAll(".u-series")]
          .slice(1)
          .map((s) => [s.querySelector(".u-label")!.textContent, s.querySelector(".u-value")!.textContent]),
      ),
    );
  }

  it("draws a run that logged its loss once as a marker, in every mode", async () => {
    const trials = runs.filter((r) => r.batch === gpBatch.id).slice(0, 3);
    await page.goto(`${server.url}#/curves?runs=${trials.map((r) => r.id).join(",")}`);
    await page.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    // A mode change redraws the charts on the next frame: under load, poll until the redraw shows.
    const expectEachDrawn = async (): Promise<void> => {
      const drawn = (p: Record<string, number>) => Object.keys(p).length === trials.length && Object.values(p).every((n) => n > 5);
      let painted = await paintedPixels("loss");
      for (const until = Date.now() + WAIT_MS; !drawn(painted) && Date.now() < until; painted = await paintedPixels("loss"))
        await new Promise((r) => setTimeout(r, 50));
      expect(Object.keys(painted)).toHaveLength(trials.length);
      for (const [label, pixels] of Object.entries(painted)) expect(pixels, label).toBeGreaterThan(5);
    };
    await expectEachDrawn();
    // the pointer on the one step shows every value
    for (const value of Object.values(await legendAt("loss", 0.5))) expect(value).not.toBe("--");
    await page.fill(".smoothing", "0.6");
    await expectEachDrawn();
    await page.fill(".smoothing", "0");
    await page.check('input[value="time"]');
    await page.waitForFunction(() => document.querySelector(".chart-card .u-legend th")?.textContent?.startsWith("time"), undefined, {
      timeout: WAIT_MS,
    });
    await expectEachDrawn();
  });

  it("shows no value in the legend for a run where the pointer is beyond its data", async () => {
    const slow = runs.find((r) => r.label === "slow")!;
    const trial = runs.find((r) => r.batch === gpBatch.id)!;
    await page.goto(`${server.url}#/curves?runs=${slow.id},${trial.id}`);
    await page.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    const slowLabel = `${slow.id.slice(0, 8)} slow`;
    const trialLabel = trial.id.slice(0, 8);
    const late = await legendAt("loss", 0.75);
    expect(late[trialLabel]).toBe("--");
    expect(Number(late[slowLabel])).not.toBeNaN();
    const first = await legendAt("loss", 0.02);
    expect(Number(first[trialLabel])).not.toBeNaN();
  });

  it("opens a gp batch's search page from its selected trials: parallel axes are the batch's flags and the objective", async () => {
    await openRuns();
    expect(await page.isDisabled(".search-button")).toBe(true);
    for (const trial of runs.filter((r) => r.batch === gpBatch.id).slice(0, 2))
      await page.check(`.runs-window .row[data-id="${trial.id}"] input[type=checkbox]`);
    await page.click(".search-button");
    expect(page.url()).toContain(`#/search/${gpBatch.id}`);
    await page.waitForSelector(".parallel-chart canvas", { timeout: WAIT_MS });
    const axes = await page.evaluate(() => {
      const chart = (
        document.querySelector(".parallel-chart") as HTMLElement & { gChart?: { getOption(): { parallelAxis: { name: string }[] } } }
      ).gChart!;
      return chart.getOption().parallelAxis.map((a) => a.name);
    });
    expect(axes).toEqual([...Object.keys(gpBatch.flags), "loss"]);
    const trialPoints = await page.evaluate(() => {
      const chart = (
        document.querySelector(".trials-chart") as HTMLElement & { gChart?: { getOption(): { series: { data: unknown[] }[] } } }
      ).gChart!;
      return chart.getOption().series.map((s) => s.data.length);
    });
    expect(trialPoints[0]).toBe(runs.filter((r) => r.batch === gpBatch.id).length);
    expect(await page.textContent(".best")).toMatch(/^Best: trial \d+/);
    if (SCREENSHOTS) await page.screenshot({ path: join(ROOT, "docs", "view-search.png"), fullPage: true });
  });

  it("shows a run's flags, scalars with sparklines, output and source files", async () => {
    const run = runs.find((r) => r.label === "slow")!;
    await page.goto(`${server.url}#/run/${run.id}`);
    await page.waitForSelector(".run-page .flags", { timeout: WAIT_MS });
    expect(await page.textContent(".run-page h1")).toContain(run.id.slice(0, 8));
    expect(await page.$$eval(".flags th", (ths) => ths.map((t) => t.textContent))).toEqual(["epochs", "lr", "pause"]);
    expect(
      await page.$$eval(".scalars polyline", (ls) => ls.filter((l) => (l.getAttribute("points") ?? "").split(" ").length > 10).length),
    ).toBe(2);
    expect(await page.textContent(".output")).toContain("loss:");
    await page.click('.source-files [data-path="curve.py"]');
    await page.waitForSelector(".source-view:not([hidden])", { timeout: WAIT_MS });
    expect(await page.textContent(".source-view")).toBe(CURVE_SCRIPT);
    if (SCREENSHOTS) await page.screenshot({ path: join(ROOT, "docs", "view-run.png"), fullPage: true });
  });

  it("shows a run started while the page is open, without a reload", async () => {
    await openRuns();
    const before = (await shownIds()).length;
    const child = gAsync(["run", "curve.py", "lr=0.3", "pause=0.05", "--label", "live-one", "--yes", "--quiet"], { home, cwd: work });
    const done = collect(child);
    await page.waitForFunction(
      () => [...document.querySelectorAll(".runs-window .row")].some((r) => r.textContent?.includes("live-one")),
      undefined,
      { timeout: WAIT_MS },
    );
    expect((await done).code).toBe(0);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".runs-window .row")].some(
          (r) => r.textContent?.includes("live-one") && r.classList.contains("status-completed"),
        ),
      undefined,
      { timeout: WAIT_MS },
    );
    expect((await shownIds()).length).toBe(before + 1);
    runs = listRunsJson(home);
  });

  it("follows a running run on its page: output, scalars and status come without a reload", async () => {
    const child = gAsync(["run", "curve.py", "epochs=30", "pause=0.2", "--label", "watched", "--yes", "--quiet"], { home, cwd: work });
    const done = collect(child);
    let watched: RunJson | undefined;
    for (let i = 0; i < 100 && watched === undefined; i++) {
      watched = listRunsJson(home).find((r) => r.label === "watched" && r.status === "running");
      if (watched === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(watched, "the run never showed as running").toBeDefined();
    await page.goto(`${server.url}#/run/${watched!.id}`);
    await page.waitForSelector(".run-page .badge.status-running", { timeout: WAIT_MS });
    await page.waitForSelector(".run-page .badge.status-completed", { timeout: WAIT_MS });
    expect((await done).code).toBe(0);
    await page.waitForFunction(() => document.querySelector(".output")?.textContent?.includes("step: 29"), undefined, { timeout: WAIT_MS });
    const count = await page.$$eval(
      ".scalars tr",
      (rows) => rows.find((r) => r.querySelector("th")?.textContent === "loss")?.children[5]?.textContent,
    );
    expect(count).toBe("30");
    runs = listRunsJson(home);
  });

  it("shows a label with HTML in it as text, on the runs page and the run page, and runs no script", async () => {
    const run = runs.find((r) => r.label === XSS_LABEL)!;
    await openRuns();
    const cell = await page.$$eval(
      ".runs-window .row",
      (rows, label) => rows.flatMap((r) => [...r.children].filter((c) => c.textContent === label)).length,
      XSS_LABEL,
    );
    expect(cell).toBe(1);
    expect(await page.$$eval("main img", (imgs) => imgs.length)).toBe(0);
    await page.goto(`${server.url}#/run/${run.id}`);
    await page.waitForSelector(".run-page .label", { timeout: WAIT_MS });
    expect(await page.textContent(".run-page .label")).toBe(XSS_LABEL);
    expect(await page.$$eval("main img", (imgs) => imgs.length)).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("shows 'not found' with a link back to the runs for an unknown run, search or page", async () => {
    for (const hash of ["#/run/ffffffffffff", "#/search/ffffffffffff", "#/no/such/page"]) {
      await page.goto(`${server.url}${hash}`);
      await page.waitForSelector(".not-found", { timeout: WAIT_MS });
      expect(await page.getAttribute('.not-found a[href="#/runs"]', "href")).toBe("#/runs");
    }
    await page.click('.not-found a[href="#/runs"]');
    await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
  });

  it("opens the exported report from file:// with every network request blocked: table and a curve", async () => {
    const report = join(work, "report.html");
    const res = g(["view", "--export", report], { home });
    expect(res.code, res.stderr).toBe(0);
    const offline = await browser.context.newPage();
    const requested: string[] = [];
    await offline.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      requested.push(url);
      return route.abort();
    });
    const curveRun = runs.find((r) => r.label === "fast")!;
    await offline.goto(pathToFileURL(report).href);
    await offline.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
    expect(await offline.textContent(".mode")).toBe("exported report");
    expect(await offline.$$eval(".runs-window .row[data-id]", (rows) => rows.length)).toBe(runs.length);
    await offline.fill(".filter-input", "fast");
    await offline.press(".filter-input", "Enter");
    await offline.waitForFunction(() => document.querySelectorAll(".runs-window .row[data-id]").length === 1, undefined, {
      timeout: WAIT_MS,
    });
    await offline.check(`.runs-window .row[data-id="${curveRun.id}"] input[type=checkbox]`);
    await offline.click(".curves-button");
    await offline.waitForSelector('.chart-card[data-key="loss"] .u-legend', { timeout: WAIT_MS });
    expect(await offline.$$eval('.chart-card[data-key="loss"] .u-legend .u-series', (s) => s.length - 1)).toBe(1);
    await offline.goto(`${pathToFileURL(report).href}#/search/${gpBatch.id}`);
    await offline.waitForSelector(".parallel-chart canvas", { timeout: WAIT_MS });
    await offline.waitForSelector(".slice-chart canvas", { timeout: WAIT_MS });
    // the report's slice plots: one a searched flag, a point a trial
    expect(await slicePoints(offline)).toEqual(
      Object.fromEntries(Object.keys(gpBatch.flags).map((f) => [f, runs.filter((r) => r.batch === gpBatch.id).length])),
    );
    expect(requested).toEqual([]);
    await offline.close();
  });
});

describe.skipIf(skipReason !== null)("g view of a large store in headless Chromium", () => {
  const RUNS = 2000;
  /** Writing the store and listing it the first time take a while on a loaded machine. */
  const SETUP_MS = 240_000;
  let server: ViewServer;
  let browser: Browser;

  beforeAll(async () => {
    const home = tempDir("g-view-large-");
    generateStore({ runs: RUNS, out: home, steps: 3 });
    server = await startView(home);
    browser = await launchBrowser();
  }, SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanTempDirs();
  });

  it(
    "keeps only the rows in view in the page, and reaches the last run by scrolling",
    async () => {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}#/runs`);
      await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
      expect(await page.textContent(".count")).toBe(`${RUNS} runs`);
      const inDom = await page.$$eval(".runs-window .row", (rows) => rows.length);
      expect(inDom).toBeGreaterThan(10);
      expect(inDom).toBeLessThan(100);
      // newest first: the oldest run (# = RUNS) is at the bottom, with its batch's trials if it is a batch
      await page.$eval(".runs-scroll", (s) => (s.scrollTop = s.scrollHeight));
      await page.waitForFunction(
        (n) => [...document.querySelectorAll(".runs-window .row")].some((r) => r.children[2]?.textContent === String(n)),
        RUNS,
        { timeout: WAIT_MS },
      );
      expect(await page.$$eval(".runs-window .row", (rows) => rows.length)).toBeLessThan(100);
      // a trial's index (4 digits from run 1000 on) is not cut off by the trials' indent: up from the bottom to some trials
      const indices = await page.evaluate(async () => {
        const scroller = document.querySelector<HTMLElement>(".runs-scroll")!;
        for (let tries = 0; tries < 200; tries++) {
          const cells = [...document.querySelectorAll(".runs-window .row.child")].map((r) => r.children[2] as HTMLElement);
          const long = cells.filter((c) => (c.textContent ?? "").length >= 4 && c.offsetParent !== null);
          if (long.length > 0) return long.map((c) => ({ text: c.textContent, fits: c.scrollWidth <= c.clientWidth }));
          scroller.scrollTop -= scroller.clientHeight;
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        }
        return [];
      });
      expect(indices.length).toBeGreaterThan(0);
      for (const cell of indices) expect(cell, cell.text!).toMatchObject({ fits: true });
      await page.close();
    },
    SETUP_MS,
  );

  it(
    "keeps the focus in the table while Tab, Shift+Tab and the arrows walk past the rows drawn",
    async () => {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}#/runs`);
      await page.waitForSelector(".runs-window .row[data-id]", { timeout: WAIT_MS });
      /** The table index (among all lines) of the line holding the focus, or -1 when the focus left the table. */
      const focusedLine = (): Promise<number> =>
        page.evaluate((rowHeight) => {
          const line = document.activeElement?.closest<HTMLElement>(".runs-window .row");
          if (!line) return -1;
          const window = line.parentElement!;
          const start = Math.round(new DOMMatrix(getComputedStyle(window).transform).m42 / rowHeight);
          return start + [...window.children].indexOf(line);
        }, 26);
      await page.focus(".runs-window .row input[type=checkbox]");
      let last = await focusedLine();
      expect(last).toBe(0);
      // ~2 stops per line: far past the ~40 lines drawn at first
      for (let i = 0; i < 150; i++) {
        await page.keyboard.press("Tab");
        const line = await focusedLine();
        expect(line, `Tab ${i + 1}`).toBeGreaterThanOrEqual(last);
        last = line;
      }
      expect(last).toBeGreaterThan(60);
      expect(await page.$eval(".runs-scroll", (s) => s.scrollTop)).toBeGreaterThan(20 * 26);
      for (let i = 0; i < 150; i++) {
        await page.keyboard.press("Shift+Tab");
        const line = await focusedLine();
        expect(line, `Shift+Tab ${i + 1}`).toBeLessThanOrEqual(last);
        expect(line).toBeGreaterThanOrEqual(0);
        last = line;
      }
      expect(last).toBeLessThan(5);
      await page.focus(".runs-window .row input[type=checkbox]");
      for (let i = 0; i < 100; i++) await page.keyboard.press("ArrowDown");
      expect(await focusedLine()).toBe(100);
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).type)).toBe("checkbox");
      for (let i = 0; i < 30; i++) await page.keyboard.press("ArrowUp");
      expect(await focusedLine()).toBe(70);
      await page.close();
    },
    SETUP_MS,
  );
});

describe.skipIf(skipReason !== null)("g view of a search over choices, and in a 400 px window", () => {
  const CHOICES = [16, 32, 64, 128, 250, 256];
  /** Setting up runs Python a few times. */
  const SETUP_MS = 120_000;
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  let batch: RunJson;
  let trials: RunJson[];

  beforeAll(async () => {
    const home = tempDir("g-view-choices-");
    const work = tempDir("g-view-choices-work-");
    writeFileSync(join(work, "curve.py"), CURVE_SCRIPT.replace("epochs = 40", "epochs = 8\nbatch_size = 32\nwd = 0.0001"));
    const res = g(
      [
        "run",
        "curve.py",
        `batch_size=[${CHOICES.join(",")}]`,
        "lr=[0.01:0.3]",
        "wd=loguniform[1e-6:1e-2]",
        "--optimizer",
        "random",
        "--max-trials",
        "5",
        "--yes",
        "--quiet",
      ],
      { home, cwd: work },
    );
    if (res.code !== 0) throw new Error(`g run failed (${res.code}): ${res.stderr}`);
    const runs = listRunsJson(home);
    batch = runs.find((r) => r.op === "random")!;
    trials = runs.filter((r) => r.batch === batch.id);
    server = await startView(home);
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanTempDirs();
  });

  async function openSearch(): Promise<void> {
    await page.goto(`${server.url}#/search/${batch.id}`);
    await page.waitForSelector(".parallel-chart canvas", { timeout: WAIT_MS });
  }

  it("draws a choice flag's parallel axis as its values in order, without nice ticks between them", async () => {
    await openSearch();
    const axes = await page.evaluate(() => {
      const chart = (
        document.querySelector(".parallel-chart") as HTMLElement & {
          gChart?: { getOption(): { parallelAxis: { name: string; type: string; data?: string[] }[] } };
        }
      ).gChart!;
      return chart.getOption().parallelAxis.map((a) => ({ name: a.name, type: a.type, data: a.data ?? null }));
    });
    expect(axes.find((a) => a.name === "batch_size")).toEqual({ name: "batch_size", type: "category", data: CHOICES.map(String) });
    expect(axes.find((a) => a.name === "lr")?.type).toBe("value");
  });

  it("draws a slice plot a searched flag, a point a trial: a log axis for a loguniform flag, the choices as categories", async () => {
    await openSearch();
    await page.waitForSelector(".slice-chart canvas", { timeout: WAIT_MS });
    const slices = await slicesDrawn(page);
    expect(slices.map((s) => s.flag).sort()).toEqual(["batch_size", "lr", "wd"]);
    const by = Object.fromEntries(slices.map((s) => [s.flag, s]));
    expect(by.wd!.xType).toBe("log");
    expect(by.lr!.xType).toBe("value");
    expect(by.batch_size!).toMatchObject({ xType: "category", categories: CHOICES.map(String) });
    for (const s of slices) expect(s.points, s.flag).toHaveLength(trials.length);
    // each point is a trial: its flag's value (a category's index) against its objective
    const byTrial = new Map(trials.map((t) => [t.trial!, t]));
    for (const [x, , order] of by.wd!.points) expect(x).toBe(byTrial.get(order!)!.flags.wd);
    for (const [x, , order] of by.batch_size!.points) expect(CHOICES[x!]).toBe(byTrial.get(order!)!.flags.batch_size);
    // the best trial is marked on every plot, at the best (lowest) loss
    const lowest = Math.min(...by.lr!.points.map((p) => p[1]!));
    for (const s of slices)
      expect(
        s.best.map((p) => p[1]),
        s.flag,
      ).toEqual([lowest]);
  });

  it("opens a trial's run page on a click on its point in a slice plot, and names it on hover", async () => {
    await openSearch();
    await page.waitForSelector('.slice-chart[data-flag="lr"] canvas', { timeout: WAIT_MS });
    const best = (await slicesDrawn(page)).find((s) => s.flag === "lr")!.best[0]!;
    await page.$eval('.slice-chart[data-flag="lr"]', (e) => e.scrollIntoView({ block: "center" }));
    // a point that is not the best trial's (its mark lies on top of it)
    const target = await page.$eval(
      '.slice-chart[data-flag="lr"]',
      (e, bestLoss) => {
        const chart = (
          e as HTMLElement & {
            gChart: { getOption(): { series: { data: number[][] }[] }; convertToPixel(f: object, v: number[]): number[] };
          }
        ).gChart;
        // the one farthest from every other point on the screen: hover and click reach it alone
        const pixels = chart.getOption().series[0]!.data.map((p) => ({ p, at: chart.convertToPixel({ seriesIndex: 0 }, [p[0]!, p[1]!]) }));
        const room = (a: number[]) =>
          Math.min(...pixels.filter((o) => o.at !== a).map((o) => Math.hypot(o.at[0]! - a[0]!, o.at[1]! - a[1]!)));
        const [{ p: point, at }] = pixels.filter(({ p }) => p[1] !== bestLoss).sort((a, b) => room(b.at) - room(a.at));
        const box = e.getBoundingClientRect();
        return { order: point![2]!, x: box.left + at![0]!, y: box.top + at![1]! };
      },
      best[1]!,
    );
    const trial = trials.find((t) => t.trial === target.order)!;
    await page.mouse.move(target.x, target.y, { steps: 4 });
    await page.waitForFunction(
      (id) =>
        [...document.querySelectorAll(".slice-chart div")].some((d) => d.textContent?.startsWith(`trial `) && d.textContent.includes(id)),
      trial.id.slice(0, 8),
      { timeout: WAIT_MS },
    );
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector(".run-page h1", { timeout: WAIT_MS });
    expect(page.url()).toContain(`#/run/${trial.id}`);
  });

  it("names the objective in the trials chart's tooltip", async () => {
    await openSearch();
    const tip = await page.evaluate(async () => {
      const el = document.querySelector(".trials-chart") as HTMLElement & {
        gChart?: { dispatchAction(a: object): void };
      };
      el.gChart!.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 });
      await new Promise((r) => setTimeout(r, 100));
      return [...el.querySelectorAll("div")].map((d) => d.textContent ?? "").find((t) => t.startsWith("trial ")) ?? "";
    });
    expect(tip).toMatch(/^trial \d+ \([0-9a-f]{8}\)loss: /);
  });

  it("fits the run, curves and search pages in a 400 px window: whole numbers, charts inside their cards", async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    try {
      /** How far the page is wider than the window (0 when it fits). */
      const overflow = (): Promise<number> => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

      await page.goto(`${server.url}#/run/${trials[0]!.id}`);
      await page.waitForSelector(".scalars .sparkline", { timeout: WAIT_MS });
      expect(await overflow()).toBe(0);
      const lines = await page.$$eval(".scalars td.num", (cells) =>
        cells.map((cell) => {
          const range = document.createRange();
          range.selectNodeContents(cell);
          const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          return { text: cell.textContent, lines: tops.size };
        }),
      );
      expect(lines.length).toBeGreaterThan(0);
      for (const cell of lines) expect(cell, cell.text!).toMatchObject({ lines: 1 });
      const spark = await page.$eval(".scalars .sparkline", (s) => s.getBoundingClientRect().right);
      expect(spark).toBeLessThanOrEqual(400);

      await page.goto(`${server.url}#/curves?runs=${trials.map((t) => t.id).join(",")}`);
      await page.waitForSelector(".chart-card .u-legend", { timeout: WAIT_MS });
      expect(await overflow()).toBe(0);
      const charts = await page.$$eval(".chart-card", (cards) =>
        cards.map((c) => ({ card: c.getBoundingClientRect().right, chart: c.querySelector(".uplot")!.getBoundingClientRect().right })),
      );
      for (const c of charts) expect(c.chart).toBeLessThanOrEqual(c.card);

      await openSearch();
      await page.waitForSelector(".importance-chart canvas", { timeout: WAIT_MS });
      await page.waitForSelector(".slice-chart canvas", { timeout: WAIT_MS });
      expect(await overflow()).toBe(0);
      const canvases = await page.$$eval(".search-page .chart", (charts) =>
        charts.map((c) => ({
          chart: c.className,
          card: c.closest(".chart-card")!.getBoundingClientRect().right,
          canvas: c.querySelector("canvas")!.getBoundingClientRect().right,
        })),
      );
      // parallel, trials, importance, and a slice plot for each of the 3 flags
      expect(canvases).toHaveLength(6);
      for (const c of canvases) expect(c.canvas, c.chart).toBeLessThanOrEqual(c.card);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
