// `g view --export FILE`: one self-contained HTML file with the page's JS and
// CSS inlined and the data of every page in a JSON script element (ExportData
// of api.ts), so it opens from file:// with no server and no network.

import { UsageError } from "../errors.js";
import type { ExportData, RunDetail, ScalarSeries, SearchResponse } from "./api.js";
import { readAppBundle, appBundleDir } from "./assets.js";
import type { ViewData } from "./data.js";
import { escapeHtml, inlineSafe, jsonForScript } from "./html.js";

/** Points per series in a report: curves stay readable, 1 000 runs stay a few MB. */
export const EXPORT_SERIES_POINTS = 300;
/** The output.log tail kept per run in a report (bytes); the server sends 64 KiB. */
export const EXPORT_OUTPUT_TAIL_BYTES = 4 * 1024;

/** Everything the report shows, read once from the store. */
export function collectExportData(data: ViewData, version: number): ExportData {
  const runs = data.runs(version);
  const details: Record<string, RunDetail> = {};
  const scalars: Record<string, ScalarSeries[]> = {};
  for (const row of runs.rows) {
    const detail = data.detail(version, row.id, EXPORT_OUTPUT_TAIL_BYTES);
    details[row.id] = detail;
    scalars[row.id] = data.runSeries(data.readRun(version, row.id), "step", EXPORT_SERIES_POINTS);
  }
  const searches: Record<string, SearchResponse> = {};
  for (const id of data.searchIds(version)) {
    try {
      searches[id] = data.search(version, id);
    } catch {
      /* a batch run deleted while its trials remain: no search page for it */
    }
  }
  return { runs, details, scalars, searches };
}

/** The report's HTML: data first (the app reads #g-data when it starts), then the app. */
export function renderExportHtml(exportData: ExportData, title = "g view report"): string {
  const bundle = readAppBundle();
  if (bundle === null) throw new UsageError(`--export needs the page's bundle in ${appBundleDir()}; run npm run build`);
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title>\n<style>\n${inlineSafe(bundle.css, "style")}\n</style></head>\n<body><div id="app"></div>\n` +
    `<script type="application/json" id="g-data">${jsonForScript(exportData)}</script>\n` +
    `<script>\n${inlineSafe(bundle.js, "script")}\n</script>\n</body></html>\n`
  );
}
