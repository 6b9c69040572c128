// The search page of a batch or sweep: parallel coordinates of every flag and
// the objective (drag along an axis to brush a range), the objective against
// the trial number with the best-so-far line, each flag's importance, and one
// slice plot a flag (its values against the objective, a point a trial, early → late).
// ECharts is imported piece by piece so the bundle holds only these charts.

import { BarChart, LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import type { ApiFlagValue, SearchResponse } from "../api.js";
import { formatNumber } from "../../format/values.js";
import { bestSoFar } from "./chart-math.js";
import { el, replaceChildren } from "./dom.js";
import type { Page, PageContext } from "./page.js";
import { formatRoute } from "./router.js";
import { axisCategories, bestTrial, buildSlices, type Slice } from "./slices.js";

echarts.use([
  BarChart,
  LineChart,
  ParallelChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

/** The chart instance hangs on its element, so a test (or a console) can read what was drawn. */
export interface ChartElement extends HTMLElement {
  gChart?: echarts.ECharts;
}

const GOOD_COLOR = "#1a9850";
const BAD_COLOR = "#d73027";
const MID_COLOR = "#fee08b";
const TRIAL_COLOR = "#4575b4";
const BEST_COLOR = "#d73027";
/** The trials chart's series (and legend entries). */
const TRIAL_SERIES = "trial";
const BEST_SERIES = "best so far";
/** What an importance score is, in a line (docs/view.md, "Flag importance", says more). */
const IMPORTANCE_HINT =
  "The share of the objective's variation (its ranks) that the flag alone predicts for trials left out one at a time: 0 is no better than the mean, 1 a perfect prediction. U-shaped effects count; interactions between flags do not.";
/** Slice points are coloured by when their trial ran, from the first trial's colour to the last's. */
const EARLY_COLOR = "#9ecae1";
const LATE_COLOR = "#08306b";
const SLICE_SERIES = "trial";
const SLICE_BEST_SERIES = "best";
/** Below this chart width the colour scale moves under the parallel axes, which then take the whole width. */
const NARROW_CHART_PX = 560;

export function createSearchPage(ctx: PageContext, id: string): Page {
  const charts: echarts.ECharts[] = [];
  let destroyed = false;
  let shown = "";
  // each chart follows its element's size: a window resize, or a scrollbar that comes with the charts
  const resizeObserver = new ResizeObserver((entries) => {
    for (const entry of entries) (entry.target as ChartElement).gChart?.resize();
  });

  async function load(): Promise<void> {
    const search = await ctx.source.search(id);
    if (destroyed) return;
    // a change elsewhere in the store must not redraw (and drop the reader's brushing) for nothing
    const text = JSON.stringify(search);
    if (text === shown) return;
    shown = text;
    for (const chart of charts.splice(0)) chart.dispose();
    resizeObserver.disconnect();
    draw(search);
  }

  function makeChart(container: ChartElement): echarts.ECharts {
    const chart = echarts.init(container, undefined, { renderer: "canvas" });
    container.gChart = chart;
    charts.push(chart);
    resizeObserver.observe(container);
    return chart;
  }

  function draw(search: SearchResponse): void {
    const done = search.trials.filter((t) => t.value !== null);
    const best = bestTrial(search);
    const parallelEl: ChartElement = el("div", { class: "chart parallel-chart" });
    const trialsEl: ChartElement = el("div", { class: "chart trials-chart" });
    const importanceEl: ChartElement = el("div", { class: "chart importance-chart" });
    const slices = buildSlices(search).map((slice): [Slice, ChartElement] => [
      slice,
      el("div", { class: "chart slice-chart", "data-flag": slice.flag }),
    ]);
    replaceChildren(
      ctx.root,
      el(
        "section",
        { class: "search-page" },
        el(
          "div",
          { class: "toolbar" },
          el("a", { href: "#/runs" }, "← runs"),
          el(
            "h1",
            {},
            "Search ",
            el("a", { href: formatRoute({ page: "run", id: search.id }) }, search.id.slice(0, 8)),
            el("span", { class: "label" }, search.op),
          ),
          el(
            "span",
            { class: "count" },
            `${search.trials.length} trials, ${done.length} with ${search.objective.column} · ${search.objective.goal}imize`,
          ),
        ),
        best === null
          ? el("p", { class: "note" }, "No trial has an objective value yet.")
          : el(
              "p",
              { class: "best" },
              `Best: trial ${best.trial ?? "?"} (`,
              el("a", { href: formatRoute({ page: "run", id: best.id }) }, best.id.slice(0, 8)),
              `) ${search.objective.column} = ${formatValue(best.value)} with `,
              Object.entries(best.flags)
                .map(([k, v]) => `${k}=${formatValue(v)}`)
                .join(" "),
            ),
        el("div", { class: "chart-card wide" }, el("h2", {}, "Flags → objective (drag along an axis to select a range)"), parallelEl),
        el(
          "div",
          { class: "charts two" },
          el("div", { class: "chart-card" }, el("h2", {}, `${search.objective.column} by trial`), trialsEl),
          el(
            "div",
            { class: "chart-card" },
            el("h2", { title: IMPORTANCE_HINT }, `Flag importance: how well each flag alone predicts ${search.objective.column} (0–1)`),
            importanceEl,
          ),
        ),
        slices.length === 0
          ? null
          : el(
              "div",
              { class: "chart-card wide slices-card" },
              el(
                "h2",
                {},
                `${search.objective.column} against each flag `,
                el(
                  "span",
                  { class: "slice-key" },
                  "trial: early ",
                  el("span", { class: "ramp", style: `background: linear-gradient(to right, ${EARLY_COLOR}, ${LATE_COLOR})` }),
                  " late · ",
                  el("span", { class: "best-mark", style: `color: ${BEST_COLOR}` }, "◆"),
                  " best",
                ),
              ),
              el(
                "div",
                { class: "slices" },
                ...slices.map(([slice, sliceEl]) => el("div", { class: "slice" }, el("h3", {}, slice.flag), sliceEl)),
              ),
            ),
      ),
    );
    drawParallel(makeChart(parallelEl), search);
    drawTrials(makeChart(trialsEl), search);
    drawImportance(makeChart(importanceEl), search);
    for (const [slice, sliceEl] of slices) drawSlice(makeChart(sliceEl), slice, search);
  }

  return {
    refresh: load,
    destroy(): void {
      destroyed = true;
      resizeObserver.disconnect();
      for (const chart of charts.splice(0)) chart.dispose();
    },
  };
}

function drawParallel(chart: echarts.ECharts, search: SearchResponse): void {
  const dims = search.dims;
  const trials = search.trials.filter((t) => t.value !== null);
  const values = trials.map((t) => t.value as number);
  const objectiveAxis = dims.length;
  const categories = dims.map((d) => axisCategories(d, trials));
  const baseOption = {
    animation: false,
    parallel: {
      left: 60,
      right: 150,
      top: 40,
      bottom: 30,
      parallelAxisDefault: { nameLocation: "end", nameGap: 14, areaSelectStyle: { width: 18 } },
    },
    parallelAxis: [
      ...dims.map((d, i) => {
        const data = categories[i];
        // a choice is a category axis of its values: no nice ticks between (or on top of) them
        if (data !== null) return { dim: i, name: d.name, type: "category", data, boundaryGap: false };
        return {
          dim: i,
          name: d.name,
          type: d.type === "log" ? "log" : "value",
          min: d.low,
          max: d.high,
          scale: true,
          // the range's ends are labelled; a nice tick that would print over one is not
          axisLabel: { showMinLabel: true, showMaxLabel: true, hideOverlap: true },
        };
      }),
      {
        dim: objectiveAxis,
        name: search.objective.column,
        type: "value",
        scale: true,
        axisLabel: { hideOverlap: true },
      },
    ],
    visualMap:
      values.length > 0
        ? {
            type: "continuous",
            dimension: objectiveAxis,
            min: Math.min(...values),
            max: Math.max(...values),
            right: 10,
            top: 40,
            itemHeight: 140,
            calculable: true,
            formatter: (v: number) => formatNumber(Number(Number(v).toPrecision(3)) || 0),
            text: [search.objective.goal === "min" ? "worse" : "better", search.objective.goal === "min" ? "better" : "worse"],
            inRange: { color: search.objective.goal === "min" ? [GOOD_COLOR, MID_COLOR, BAD_COLOR] : [BAD_COLOR, MID_COLOR, GOOD_COLOR] },
          }
        : undefined,
    series: [
      {
        type: "parallel",
        lineStyle: { width: 1.6, opacity: 0.75 },
        inactiveOpacity: 0.05,
        activeOpacity: 1,
        data: trials.map((t) => [...dims.map((d, i) => axisValue(t.flags[d.name], categories[i] !== null)), t.value]),
      },
    ],
  };
  chart.setOption({
    baseOption,
    media: [
      {
        query: { maxWidth: NARROW_CHART_PX },
        option: {
          parallel: { left: 30, right: 40, bottom: 70 },
          visualMap: { orient: "horizontal", left: "center", right: "auto", top: "auto", bottom: 8, itemHeight: 160 },
        },
      },
    ],
  });
}

function drawTrials(chart: echarts.ECharts, search: SearchResponse): void {
  const ordered = search.trials.filter((t) => t.trial !== null).sort((a, b) => (a.trial as number) - (b.trial as number));
  const best = bestSoFar(
    ordered.map((t) => t.value),
    search.objective.goal,
  );
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 30, bottom: 40 },
    legend: { data: [TRIAL_SERIES, BEST_SERIES], top: 0 },
    tooltip: {
      trigger: "item",
      formatter: (p: { seriesName?: string; data?: unknown }) => {
        const [trial, value] = p.data as [number, number];
        const run = ordered.find((t) => t.trial === trial);
        // the objective's name, not the series' ("trial")
        const what = p.seriesName === BEST_SERIES ? `best ${search.objective.column} so far` : search.objective.column;
        return el("div", {}, `trial ${trial}${run ? ` (${run.id.slice(0, 8)})` : ""}`, el("br"), `${what}: ${formatValue(value)}`);
      },
    },
    xAxis: { type: "value", name: "trial", nameLocation: "middle", nameGap: 26, minInterval: 1, axisLine: { onZero: false } },
    yAxis: { type: "value", name: search.objective.column, scale: true },
    series: [
      {
        name: TRIAL_SERIES,
        type: "scatter",
        symbolSize: 8,
        itemStyle: { color: TRIAL_COLOR },
        data: ordered.filter((t) => t.value !== null).map((t) => [t.trial, t.value]),
      },
      {
        name: BEST_SERIES,
        type: "line",
        step: "end",
        showSymbol: false,
        itemStyle: { color: BEST_COLOR },
        lineStyle: { color: BEST_COLOR, width: 2 },
        data: ordered.flatMap((t, i) => (best[i] === null ? [] : [[t.trial, best[i]]])),
      },
    ],
  });
  chart.on("click", (params) => {
    const [trial] = (params.data ?? []) as number[];
    const run = ordered.find((t) => t.trial === trial);
    if (run !== undefined) location.hash = formatRoute({ page: "run", id: run.id });
  });
}

/** One flag against the objective: a point per trial, coloured early → late, the best trial marked; a click opens the trial. */
function drawSlice(chart: echarts.ECharts, slice: Slice, search: SearchResponse): void {
  const orders = slice.points.map((p) => p.order);
  const axis = slice.axis;
  const best = slice.best === null ? null : slice.points[slice.best]!;
  const xText = (x: number): string => (axis.type === "category" ? (axis.categories[x] ?? "") : formatValue(x));
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 16, top: 12, bottom: 30 },
    tooltip: {
      trigger: "item",
      formatter: (p: { dataIndex: number; seriesName?: string }) => {
        const point = p.seriesName === SLICE_BEST_SERIES ? best : slice.points[p.dataIndex];
        if (!point) return "";
        return el(
          "div",
          {},
          `trial ${point.trial ?? "?"} (${point.id.slice(0, 8)})${point === best ? ", the best" : ""}`,
          el("br"),
          `${slice.flag}: ${xText(point.x)}`,
          el("br"),
          `${search.objective.column}: ${formatValue(point.y)}`,
        );
      },
    },
    visualMap: {
      show: false,
      type: "continuous",
      seriesIndex: 0,
      dimension: 2,
      min: Math.min(...orders),
      max: Math.max(...orders),
      inRange: { color: [EARLY_COLOR, LATE_COLOR] },
    },
    xAxis:
      axis.type === "category"
        ? { type: "category", data: axis.categories, axisLabel: { hideOverlap: true } }
        : {
            type: axis.type,
            min: axis.min,
            max: axis.max,
            scale: true,
            // the axes sit at the plot's edges, not across it at 0
            axisLine: { onZero: false },
            axisLabel: { showMinLabel: true, showMaxLabel: true, hideOverlap: true },
          },
    yAxis: { type: "value", scale: true, axisLine: { onZero: false }, axisLabel: { hideOverlap: true } },
    series: [
      {
        name: SLICE_SERIES,
        type: "scatter",
        symbolSize: 7,
        itemStyle: { opacity: 0.85 },
        data: slice.points.map((p) => [p.x, p.y, p.order]),
      },
      {
        name: SLICE_BEST_SERIES,
        type: "scatter",
        symbol: "diamond",
        symbolSize: 14,
        z: 3,
        itemStyle: { color: BEST_COLOR, borderColor: "#fff", borderWidth: 1 },
        data: best === null ? [] : [[best.x, best.y]],
      },
    ],
  });
  chart.on("click", (params) => {
    const point = params.seriesName === SLICE_BEST_SERIES ? best : slice.points[params.dataIndex];
    if (point) location.hash = formatRoute({ page: "run", id: point.id });
  });
}

function drawImportance(chart: echarts.ECharts, search: SearchResponse): void {
  const rows = [...search.importance].reverse(); // highest at the top of a category y axis
  chart.setOption({
    animation: false,
    grid: { left: 110, right: 30, top: 10, bottom: 30 },
    tooltip: {
      trigger: "item",
      formatter: (p: { name?: string; value?: unknown }) =>
        el(
          "div",
          {},
          `${p.name}: ${formatValue(p.value as number)}`,
          el("br"),
          `of ${search.objective.column}'s variation that ${p.name} alone predicts`,
        ),
    },
    xAxis: { type: "value", min: 0, max: 1 },
    yAxis: { type: "category", data: rows.map((r) => r.flag) },
    series: [
      {
        type: "bar",
        data: rows.map((r) => r.score),
        itemStyle: { color: TRIAL_COLOR },
        barMaxWidth: 24,
        // the number beside each bar: a score of 0 is an answer, not a bar that failed to draw
        label: { show: true, position: "right", formatter: (p: { value?: unknown }) => (p.value as number).toFixed(2) },
      },
    ],
  });
}

function axisValue(value: ApiFlagValue | undefined, categorical: boolean): number | string | null {
  if (value === undefined || value === null) return null;
  if (categorical) return String(value);
  return typeof value === "number" ? value : Number(value);
}

function formatValue(value: ApiFlagValue | number | null | undefined): string {
  if (typeof value === "number") return formatNumber(value);
  return value === null || value === undefined ? "" : String(value);
}
