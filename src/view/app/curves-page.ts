// The curves page: for the selected runs, one uPlot chart per scalar key, x =
// step or wall time, one line per run in the run's own colour, smoothing as
// TensorBoard does it, log-y, a shared hover cursor with values in the legend.

import uPlot from "uplot";
import type { ScalarSeries, ScalarsResponse } from "../api.js";
import { assignRunColors, chartXRange, countPresent, legendIndex, present, smoothEma } from "./chart-math.js";
import { el, replaceChildren } from "./dom.js";
import type { Page, PageContext } from "./page.js";
import { formatRoute } from "./router.js";
import type { XAxis } from "./source.js";

const CHART_HEIGHT_PX = 260;
/** A chart is as wide as its card, down to this (a phone held upright is wider). */
const MIN_CHART_WIDTH_PX = 160;
/** Charts share their cursor under this key, so hovering one shows the same x on all. */
const CURSOR_SYNC_KEY = "g-curves";
/** Markers on a line whose points are at least this far apart on average (CSS px), and on a lone point. */
const POINT_SPACE_PX = 8;
/** The smoothing slider's top: TensorBoard stops short of 1 too (1 would freeze the first value). */
const MAX_SMOOTHING = 0.99;

interface RunName {
  shortId: string;
  label: string;
}

export function createCurvesPage(ctx: PageContext, runs: string[]): Page {
  const { source } = ctx;
  let x: XAxis = "step";
  let smoothing = 0;
  let logY = false;
  let response: ScalarsResponse | null = null;
  let names = new Map<string, RunName>();
  let charts: uPlot[] = [];
  let destroyed = false;

  const stepRadio = el("input", { type: "radio", name: "x", value: "step", checked: true });
  const timeRadio = el("input", { type: "radio", name: "x", value: "time", disabled: !source.hasTimeAxis });
  const slider = el("input", {
    type: "range",
    min: 0,
    max: MAX_SMOOTHING,
    step: 0.01,
    value: 0,
    class: "smoothing",
    "aria-label": "smoothing",
  });
  const sliderValue = el("output", { class: "smoothing-value" }, "0.00");
  const logBox = el("input", { type: "checkbox", class: "log-y" });
  const grid = el("div", { class: "charts" });
  const message = el("p", { class: "note", hidden: true });

  replaceChildren(
    ctx.root,
    el(
      "section",
      { class: "curves-page" },
      el(
        "div",
        { class: "toolbar" },
        el("a", { href: formatRoute({ page: "runs", selected: runs, filter: "" }) }, "← runs"),
        el("span", { class: "count" }, `${runs.length} ${runs.length === 1 ? "run" : "runs"}`),
        el("span", { class: "spacer" }),
        el(
          "span",
          { class: "control" },
          "x: ",
          el("label", {}, stepRadio, "step"),
          el("label", { title: source.hasTimeAxis ? "" : "an exported report holds step series only" }, timeRadio, "time (s)"),
        ),
        el("label", { class: "control" }, "smoothing ", slider, sliderValue),
        el("label", { class: "control" }, logBox, "log y"),
      ),
      message,
      grid,
    ),
  );

  for (const radio of [stepRadio, timeRadio]) {
    radio.addEventListener("change", () => {
      x = radio.value === "time" ? "time" : "step";
      response = null;
      load().catch((error: unknown) => showMessage(error instanceof Error ? error.message : String(error)));
    });
  }
  slider.addEventListener("input", () => {
    smoothing = Number(slider.value);
    sliderValue.textContent = smoothing.toFixed(2);
    draw();
  });
  logBox.addEventListener("change", () => {
    logY = logBox.checked;
    draw();
  });
  // each chart follows its card's width: a window resize, or a scrollbar that comes with the charts
  const resizeObserver = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = charts.find((c) => c.root.parentElement === entry.target);
      const width = chartWidth(entry.target);
      if (chart !== undefined && chart.width !== width) chart.setSize({ width, height: CHART_HEIGHT_PX });
    }
  });

  async function load(): Promise<void> {
    if (runs.length === 0) {
      showMessage("No runs selected: pick some with the checkboxes on the runs page.");
      return;
    }
    const [scalars, table] = await Promise.all([
      source.scalars(runs, x),
      names.size === 0 ? source.runs("").catch(() => null) : Promise.resolve(null),
    ]);
    if (destroyed) return;
    if (table !== null) names = new Map(table.rows.map((r) => [r.id, { shortId: r.shortId, label: r.label }]));
    performance.mark("g:curves-data");
    // a change elsewhere in the store must not redraw (and reset zoom and cursor) for nothing;
    // compared only on a refresh, so the first draw does not pay for it
    if (response !== null && response.x === scalars.x && JSON.stringify(scalars) === JSON.stringify(response)) return;
    response = scalars;
    draw();
  }

  function showMessage(text: string): void {
    message.textContent = text;
    message.hidden = false;
  }

  function legendLabel(run: string): string {
    const name = names.get(run);
    const shortId = name?.shortId ?? run.slice(0, 8);
    return name !== undefined && name.label !== "" ? `${shortId} ${name.label}` : shortId;
  }

  /** (Re)draws every chart from the fetched series with the current smoothing and y scale. */
  function draw(): void {
    if (response === null) return;
    for (const chart of charts) chart.destroy();
    charts = [];
    resizeObserver.disconnect();
    grid.textContent = "";
    const byKey = groupByKey(response.series);
    const notes = describeMissingRuns(runs, response);
    if (byKey.size === 0) {
      showMessage(notes !== "" ? notes : "These runs have no scalars yet.");
      return;
    }
    message.hidden = true;
    if (notes !== "") showMessage(notes);
    const colors = assignRunColors(response.series.map((s) => s.run));
    let pending = byKey.size;
    for (const [key, series] of byKey) {
      const card = el("div", { class: "chart-card", "data-key": key }, el("h2", {}, key));
      grid.appendChild(card);
      const tables: uPlot.AlignedData[] = series.map((s) => {
        const ys = smoothEma(s.ys, smoothing).map((y) => (logY && !(y > 0) ? null : y));
        return [s.xs, ys] as uPlot.AlignedData;
      });
      const data = tables.length === 1 ? tables[0]! : uPlot.join(tables);
      const xs = data[0] as number[];
      const lonePoint = data.slice(1).some((ys) => countPresent(ys, 0, ys.length - 1) === 1);
      const options: uPlot.Options = {
        width: chartWidth(card),
        height: CHART_HEIGHT_PX,
        cursor: {
          sync: { key: CURSOR_SYNC_KEY },
          drag: { x: true, y: false },
          // each run's value at the cursor from its own points, and none beyond them
          dataIdx: (u, seriesIdx, cursorIdx, xValue) =>
            seriesIdx === 0 ? cursorIdx : legendIndex(u.data[0], u.data[seriesIdx]!, cursorIdx, xValue),
        },
        scales: {
          x: { time: false, range: (_u, min, max) => chartXRange(xs[0]!, xs[xs.length - 1]!, min, max, lonePoint) },
          y: logY ? { distr: 3 } : {},
        },
        axes: [{ label: x === "step" ? "step" : "seconds since start" }, {}],
        legend: { live: true },
        series: [
          { label: x },
          ...series.map((s) => ({
            label: legendLabel(s.run),
            stroke: colors.get(s.run),
            width: 1.5,
            spanGaps: true,
            points: { show: showPoints, size: 6, fill: colors.get(s.run) },
          })),
        ],
        hooks: {
          draw: [
            () => {
              pending--;
              if (pending === 0) performance.mark("g:curves-drawn");
            },
          ],
        },
      };
      charts.push(new uPlot(options, data, card));
      resizeObserver.observe(card);
    }
  }

  return {
    refresh: load,
    destroy(): void {
      destroyed = true;
      resizeObserver.disconnect();
      for (const chart of charts) chart.destroy();
      charts = [];
    },
  };
}

/** A note for each run asked for that draws nothing: deleted, unreadable (the server says why), or without scalars. */
function describeMissingRuns(runs: string[], response: ScalarsResponse): string {
  const missing = response.missing ?? [];
  const notes = missing.map((m) => `${m.message}.`);
  const empty = runs.filter(
    (id) => !missing.some((m) => m.run === id) && !response.series.some((s) => s.run === id || s.run.startsWith(id)),
  );
  if (empty.length > 0) notes.push(`No scalars for ${empty.map((id) => id.slice(0, 8)).join(", ")}.`);
  return notes.join(" ");
}

/** Series grouped by scalar key, keys in the order they first come. */
function groupByKey(series: ScalarSeries[]): Map<string, ScalarSeries[]> {
  const byKey = new Map<string, ScalarSeries[]>();
  for (const s of series) {
    if (s.xs.length === 0) continue;
    const list = byKey.get(s.key);
    if (list === undefined) byKey.set(s.key, [s]);
    else list.push(s);
  }
  return byKey;
}

/**
 * Whether a run's line gets a marker at each point: when its own points in
 * view are sparse (so a run that logged a value once shows as a dot, not
 * nothing), uPlot's own rule counted over the run's points rather than the
 * joined x values of every run.
 */
function showPoints(u: uPlot, seriesIdx: number, idx0: number, idx1: number): boolean {
  const ys = u.data[seriesIdx]!;
  const count = countPresent(ys, idx0, idx1);
  if (count <= 1) return count === 1;
  let first = idx0;
  while (!present(ys[first])) first++;
  let last = idx1;
  while (!present(ys[last])) last--;
  const xs = u.data[0];
  const span = Math.abs(u.valToPos(xs[last]!, "x") - u.valToPos(xs[first]!, "x"));
  return count - 1 <= span / POINT_SPACE_PX;
}

/** The width of the chart in a card: the card's, less its padding. */
function chartWidth(card: Element | null): number {
  if (!(card instanceof HTMLElement)) return MIN_CHART_WIDTH_PX;
  const style = getComputedStyle(card);
  const width = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(MIN_CHART_WIDTH_PX, Math.floor(width));
}
