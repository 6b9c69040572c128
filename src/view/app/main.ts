// Entry of the `g view` single-page app: picks the data source (the server,
// or the data embedded in an exported report), draws the page the hash names,
// and re-fetches the page's data whenever the server reports a change.

import "uplot/dist/uPlot.min.css";
import "./app.css";
import { createCurvesPage } from "./curves-page.js";
import { el, renderError, renderNotFound, replaceChildren } from "./dom.js";
import type { Page, PageContext } from "./page.js";
import { parseRoute, type Route } from "./router.js";
import { createRunPage } from "./run-page.js";
import { createRunsPage } from "./runs-page.js";
import { createSearchPage } from "./search-page.js";
import { ApiError, HttpSource, StaticSource, readEmbeddedData, type DataSource } from "./source.js";

function startApp(): void {
  const embedded = readEmbeddedData(document);
  const source: DataSource = embedded === null ? new HttpSource(location.href, location.search) : new StaticSource(embedded);
  let app = document.getElementById("app");
  if (app === null) {
    app = el("div", { id: "app" });
    document.body.appendChild(app);
  }
  const main = el("main", { class: "page" });
  const nav = el(
    "header",
    { class: "topbar" },
    el("a", { class: "brand", href: "#/runs" }, "g view"),
    el("a", { href: "#/runs" }, "Runs"),
    el("span", { class: "spacer" }),
    el(
      "span",
      { class: `mode ${source.live ? "live" : "static"}`, title: source.live ? "updates as runs change" : "a snapshot: nothing updates" },
      source.live ? "● live" : "exported report",
    ),
  );
  replaceChildren(app, nav, main);

  let page: Page | null = null;
  /** Bumped on every navigation, so a fetch of the page before is not mistaken for this one's. */
  let generation = 0;
  let busy = false;
  let again = false;
  /** How long the last refresh took and when it ended (performance.now() ms), for the pause after it. */
  let lastRefreshMs = 0;
  let lastRefreshEnd = 0;
  let refreshTimer: number | undefined;

  const ctx: PageContext = {
    source,
    root: main,
    replaceHash: (hash) => history.replaceState(null, "", hash),
  };

  function createPage(route: Route): Page | null {
    switch (route.page) {
      case "runs":
        return createRunsPage(ctx, route.selected, route.filter);
      case "curves":
        return createCurvesPage(ctx, route.runs);
      case "search":
        return createSearchPage(ctx, route.id);
      case "run":
        return createRunPage(ctx, route.id);
      case "not-found":
        renderNotFound(main, `There is no page "${route.hash}".`);
        return null;
    }
  }

  function showFailure(error: unknown): void {
    if (error instanceof ApiError && error.status === 404) renderNotFound(main, error.message);
    else renderError(main, error instanceof Error ? error.message : String(error));
  }

  /**
   * Fetches the current page's data, one fetch at a time: a change that
   * arrives during a fetch runs another after it. A first load that fails
   * replaces the page with the error; a live refresh that fails leaves the
   * page as it was, unless what it shows is gone (404).
   */
  function refresh(current: Page, first: boolean): void {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    const mine = generation;
    const started = performance.now();
    current
      .refresh()
      .catch((error: unknown) => {
        if (mine !== generation || (!first && !(error instanceof ApiError && error.status === 404))) return;
        current.destroy();
        page = null;
        showFailure(error);
      })
      .finally(() => {
        if (mine !== generation) return;
        busy = false;
        lastRefreshEnd = performance.now();
        lastRefreshMs = lastRefreshEnd - started;
        if (again && page === current) {
          again = false;
          refreshLater(current);
        }
      });
  }

  /**
   * A refresh for a change, after a pause as long as the last refresh took: a store whose
   * table takes a second to fetch and draw is not fetched again and again while a run logs
   * every second (the page then spends at most half its time refreshing); a small one is at once.
   */
  function refreshLater(current: Page): void {
    const wait = lastRefreshEnd + lastRefreshMs - performance.now();
    if (wait <= 0) {
      refresh(current, false);
      return;
    }
    if (refreshTimer !== undefined) return;
    refreshTimer = window.setTimeout(() => {
      refreshTimer = undefined;
      if (page === current) refresh(current, false);
    }, wait);
  }

  function route(): void {
    page?.destroy();
    generation++;
    busy = false;
    again = false;
    window.clearTimeout(refreshTimer);
    refreshTimer = undefined;
    lastRefreshMs = 0;
    window.scrollTo(0, 0);
    page = createPage(parseRoute(location.hash));
    if (page !== null) refresh(page, true);
  }

  /**
   * The server sends its current version when the feed opens, then one per
   * change; the first only says where we are (the page has just loaded), so
   * only a different version later re-fetches.
   */
  let knownVersion: number | null = null;
  function onChange(version: number): void {
    const first = knownVersion === null;
    if (!Number.isNaN(version)) {
      if (version === knownVersion) return;
      knownVersion = version;
      if (first) return;
    }
    if (page !== null) refreshLater(page);
  }

  window.addEventListener("hashchange", route);
  if (location.hash === "" || location.hash === "#") history.replaceState(null, "", "#/runs");
  route();
  if (source.live) source.subscribe(onChange);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startApp);
else startApp();
