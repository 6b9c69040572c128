// The page of one run: status, flags, scalar summaries with sparklines, the
// tail of output.log, the source files (click one to read it), and links to
// its batch, sweep or trials. A running run's page follows it live.

import type { ApiFlagValue, RunDetail, ScalarSeries } from "../api.js";
import { formatDuration, formatNumber, formatTime } from "../../format/values.js";
import { colorForRun, sparklinePoints } from "./chart-math.js";
import { el, replaceChildren } from "./dom.js";
import type { Page, PageContext } from "./page.js";
import { formatRoute } from "./router.js";

const SPARK_WIDTH_PX = 120;
const SPARK_HEIGHT_PX = 24;
/** Points per sparkline asked of the server (LTTB keeps the shape). */
const SPARK_POINTS = 120;
const SVG_NS = "http://www.w3.org/2000/svg";

export function createRunPage(ctx: PageContext, id: string): Page {
  const { source } = ctx;
  let destroyed = false;
  let openFile: string | null = null;
  /** What is drawn, so a change elsewhere in the store does not redraw this page. */
  let shown = "";
  let fileText = "";

  async function load(): Promise<void> {
    const detail = await source.run(id);
    const scalars = await source.scalars([detail.id], "step", SPARK_POINTS).catch(() => null);
    if (destroyed) return;
    const text = JSON.stringify([detail, scalars]);
    if (text === shown) return;
    shown = text;
    draw(detail, scalars?.series ?? []);
  }

  function draw(run: RunDetail, series: ScalarSeries[]): void {
    // keep the reader where they were: at the bottom of the log if they were there
    const oldLog = ctx.root.querySelector<HTMLElement>(".output");
    const followLog = oldLog === null || oldLog.scrollTop + oldLog.clientHeight >= oldLog.scrollHeight - 4;
    const oldScroll = window.scrollY;
    const log = el("pre", { class: "output" }, run.outputTail === "" ? "(no output)" : run.outputTail);
    const fileView = el("pre", { class: "source-view", hidden: openFile === null }, fileText);
    replaceChildren(
      ctx.root,
      el(
        "section",
        { class: "run-page" },
        el(
          "div",
          { class: "toolbar" },
          el("a", { href: "#/runs" }, "← runs"),
          el("span", { class: "spacer" }),
          el("a", { href: formatRoute({ page: "curves", runs: [run.id] }) }, "curves"),
        ),
        el(
          "h1",
          {},
          el("span", { class: "swatch", style: `background:${colorForRun(run.id)}` }),
          `${run.shortId} `,
          el("span", { class: `badge status-${run.status}` }, run.status),
          run.label === "" ? null : el("span", { class: "label" }, run.label),
        ),
        run.description === undefined || run.description === "" ? null : el("p", {}, run.description),
        drawAttributes(run),
        drawRelations(run),
        el("h2", {}, "Flags"),
        drawFlags(run.flags),
        el("h2", {}, "Scalars"),
        drawScalars(run, series),
        el("h2", {}, "Output (tail of output.log)"),
        log,
        el("h2", {}, "Source files"),
        drawSources(run, fileView),
        fileView,
      ),
    );
    if (followLog) log.scrollTop = log.scrollHeight;
    else if (oldLog !== null) log.scrollTop = oldLog.scrollTop;
    window.scrollTo(0, oldScroll);
  }

  function drawSources(run: RunDetail, view: HTMLElement): HTMLElement {
    if (run.sourceFiles.length === 0) return el("p", { class: "note" }, "No source files were copied.");
    const list = el(
      "ul",
      { class: "source-files" },
      ...run.sourceFiles.map((path) =>
        el("li", {}, el("button", { type: "button", class: `link${path === openFile ? " open" : ""}`, "data-path": path }, path)),
      ),
    );
    list.addEventListener("click", async (event) => {
      const button = (event.target as Element).closest<HTMLElement>("[data-path]");
      if (button === null) return;
      const path = button.dataset.path!;
      openFile = path;
      for (const b of list.querySelectorAll(".open")) b.classList.remove("open");
      button.classList.add("open");
      try {
        fileText = await source.sourceFile(run.id, path);
      } catch (error) {
        fileText = `${path}: ${error instanceof Error ? error.message : String(error)}`;
      }
      view.textContent = fileText;
      view.hidden = false;
    });
    return list;
  }

  return {
    refresh: load,
    destroy(): void {
      destroyed = true;
    },
  };
}

function drawAttributes(run: RunDetail): HTMLElement {
  const rows: [string, string][] = [
    ["id", run.id],
    ["operation", run.op],
    ["started", run.started === null ? "" : formatTime(run.started)],
    ["stopped", run.stopped === null ? "" : formatTime(run.stopped)],
  ];
  if (run.started !== null) {
    // A run that died unrecorded (error, no stopped) has no end: no time, as g runs and g compare show it.
    const end = run.stopped !== null ? Date.parse(run.stopped) : run.status === "running" ? Date.now() : null;
    if (end !== null) rows.push(["time", formatDuration((end - Date.parse(run.started)) / 1000)]);
  }
  if (run.exit_status !== null) rows.push(["exit status", String(run.exit_status)]);
  if (run.tags.length > 0) rows.push(["tags", run.tags.join(", ")]);
  rows.push(["command", run.command]);
  return el("table", { class: "attributes" }, ...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

function drawRelations(run: RunDetail): HTMLElement | null {
  const parts: HTMLElement[] = [];
  if (run.batch !== null) {
    parts.push(
      el(
        "p",
        {},
        `Trial ${run.trial ?? "?"} of batch `,
        el("a", { href: formatRoute({ page: "run", id: run.batch }) }, run.batch.slice(0, 8)),
        " · ",
        el("a", { href: formatRoute({ page: "search", id: run.batch }) }, "search plots"),
      ),
    );
  }
  if (run.sweep !== null) {
    parts.push(
      el(
        "p",
        {},
        "Run of sweep ",
        el("a", { href: formatRoute({ page: "search", id: run.sweep }) }, run.sweep.slice(0, 8)),
        " (search plots)",
      ),
    );
  }
  if (run.children.length > 0) {
    parts.push(
      el("p", {}, `${run.children.length} trials · `, el("a", { href: formatRoute({ page: "search", id: run.id }) }, "search plots")),
      el(
        "ul",
        { class: "children" },
        ...run.children.map((c) =>
          el(
            "li",
            {},
            el("a", { href: formatRoute({ page: "run", id: c.id }) }, `${c.trial === null ? "" : `trial ${c.trial} `}${c.shortId}`),
            " ",
            el("span", { class: `badge status-${c.status}` }, c.status),
          ),
        ),
      ),
    );
  }
  return parts.length === 0 ? null : el("div", { class: "relations" }, ...parts);
}

function drawFlags(flags: Record<string, ApiFlagValue>): HTMLElement {
  const names = Object.keys(flags).sort();
  if (names.length === 0) return el("p", { class: "note" }, "No flags.");
  return el(
    "table",
    { class: "flags" },
    ...names.map((name) => el("tr", {}, el("th", {}, name), el("td", {}, formatFlag(flags[name] ?? null)))),
  );
}

function drawScalars(run: RunDetail, series: ScalarSeries[]): HTMLElement {
  const keys = Object.keys(run.summaries).sort();
  if (keys.length === 0) return el("p", { class: "note" }, "No scalars logged.");
  return el(
    "table",
    { class: "scalars" },
    el("tr", {}, ...["key", "last", "min", "max", "avg", "count", "step", ""].map((h) => el("th", {}, h))),
    ...keys.map((key) => {
      const s = run.summaries[key]!;
      const line = series.find((x) => x.key === key);
      return el(
        "tr",
        {},
        el("th", {}, key),
        ...(["last", "min", "max", "avg", "count"] as const).map((k) => el("td", { class: "num", "data-label": k }, formatNumber(s[k]))),
        el("td", { class: "num", "data-label": "step" }, s.step === null ? "" : String(s.step)),
        el("td", { class: "spark" }, line === undefined ? null : drawSparkline(line, colorForRun(run.id))),
      );
    }),
  );
}

/** An inline SVG polyline of one series. */
function drawSparkline(series: ScalarSeries, color: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("width", String(SPARK_WIDTH_PX));
  svg.setAttribute("height", String(SPARK_HEIGHT_PX));
  svg.setAttribute("viewBox", `-1 -1 ${SPARK_WIDTH_PX + 2} ${SPARK_HEIGHT_PX + 2}`);
  const line = document.createElementNS(SVG_NS, "polyline");
  line.setAttribute("points", sparklinePoints(series.xs, series.ys, SPARK_WIDTH_PX, SPARK_HEIGHT_PX));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", color);
  line.setAttribute("stroke-width", "1.5");
  svg.appendChild(line);
  return svg;
}

function formatFlag(value: ApiFlagValue): string {
  if (typeof value === "number") return formatNumber(value);
  return value === null ? "null" : String(value);
}
