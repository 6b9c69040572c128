// The runs page: the comparison table from /api/runs, virtualised (only the
// rows in view are in the DOM, over a spacer as tall as all of them), sortable
// by any column, filtered with the --filter language, trials grouped under
// their batch, runs selected with checkboxes (kept in the URL hash).

import type { RunsResponse, RunsRow } from "../api.js";
import { el, replaceChildren } from "./dom.js";
import type { Page, PageContext } from "./page.js";
import { formatRoute } from "./router.js";
import { ApiError } from "./source.js";
import { buildTableItems, findSearchTarget, type SortState, type TableItem } from "./table-model.js";

/** Every row has this height, so the row at a scroll offset is a division. */
export const ROW_HEIGHT_PX = 26;
/** Rows drawn above and below the visible ones, so a fast scroll shows no gap. */
const OVERSCAN_ROWS = 12;
/** A pause in typing this long sends the filter. */
const FILTER_DELAY_MS = 350;
/** Column width bounds, in characters of the cell text. */
const MIN_COLUMN_CH = 4;
const MAX_COLUMN_CH = 36;
/** The checkbox and the group toggle columns. */
const FIXED_COLUMNS = "30px 24px";
/** A focused row this close to either end of the drawn rows redraws them around it, so Tab always has a next row. */
const FOCUS_MARGIN_ROWS = 2;

export function createRunsPage(ctx: PageContext, selected: string[], initialFilter: string): Page {
  const { source } = ctx;
  const selection = new Set(selected);
  const collapsed = new Set<string>();
  let data: RunsResponse | null = null;
  let items: TableItem[] = [];
  /** The sort, by column key: a live refresh may add or move columns. */
  let sortBy: { key: string; descending: boolean } | null = null;
  let filter = initialFilter;
  let filterTimer: number | undefined;
  /** The item range whose rows are in the DOM; null forces the next draw. */
  let drawn: { start: number; end: number } | null = null;
  let drawnOnce = false;
  let destroyed = false;

  const filterInput = el("input", {
    class: "filter-input",
    type: "search",
    placeholder: source.live ? "filter: loss < 0.5 and =lr > 0.01 (the --filter language)" : "filter: text in any cell",
    spellcheck: "false",
    "aria-label": "filter",
  });
  filterInput.value = initialFilter;
  const filterError = el("p", { class: "filter-error", role: "alert", hidden: true });
  const count = el("span", { class: "count" });
  const curvesButton = el("button", { type: "button", class: "curves-button", disabled: true }, "Curves");
  const searchButton = el("button", { type: "button", class: "search-button", disabled: true }, "Search");
  const clearButton = el("button", { type: "button", class: "clear-button", disabled: true }, "Clear selection");
  const banner = el("div", { class: "warnings", hidden: true });
  const header = el("div", { class: "runs-header row" });
  const windowEl = el("div", { class: "runs-window" });
  const body = el("div", { class: "runs-body" }, windowEl);
  const scroller = el("div", { class: "runs-scroll" }, header, body);
  const staticNote = source.live
    ? null
    : el(
        "p",
        { class: "note" },
        "Exported report: the filter matches text in any cell (no --filter expressions), and nothing updates live.",
      );

  replaceChildren(
    ctx.root,
    el(
      "section",
      { class: "runs-page" },
      el("div", { class: "toolbar" }, filterInput, count, el("span", { class: "spacer" }), clearButton, curvesButton, searchButton),
      filterError,
      staticNote,
      banner,
      scroller,
    ),
  );

  filterInput.addEventListener("input", () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => void applyFilter(), FILTER_DELAY_MS);
  });
  filterInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      window.clearTimeout(filterTimer);
      void applyFilter();
    }
  });
  curvesButton.addEventListener("click", () => {
    location.hash = formatRoute({ page: "curves", runs: selectedInOrder() });
  });
  searchButton.addEventListener("click", () => {
    const target = data === null ? null : findSearchTarget(data.rows, selection);
    if (target !== null) location.hash = formatRoute({ page: "search", id: target });
  });
  clearButton.addEventListener("click", () => {
    selection.clear();
    selectionChanged();
  });
  header.addEventListener("click", (event) => {
    const cell = (event.target as Element).closest<HTMLElement>(".head[data-key]");
    if (cell === null) return;
    const key = cell.dataset.key!;
    // ascending, then descending, then the server's order again
    if (sortBy === null || sortBy.key !== key) sortBy = { key, descending: false };
    else if (!sortBy.descending) sortBy = { key, descending: true };
    else sortBy = null;
    rebuild();
  });
  windowEl.addEventListener("change", (event) => {
    const box = event.target as HTMLInputElement;
    const line = box.closest<HTMLElement>(".row");
    if (line === null || box.type !== "checkbox") return;
    const ids = line.dataset.sweep !== undefined ? rowsOfSweep(line.dataset.sweep).map((r) => r.id) : [line.dataset.id!];
    for (const id of ids) {
      if (box.checked) selection.add(id);
      else selection.delete(id);
    }
    selectionChanged();
  });
  windowEl.addEventListener("click", (event) => {
    const toggle = (event.target as Element).closest<HTMLElement>("[data-group]");
    if (toggle === null) return;
    const key = toggle.dataset.group!;
    if (collapsed.has(key)) collapsed.delete(key);
    else collapsed.add(key);
    rebuild();
  });
  // the rows are redrawn as the table scrolls: keep rows drawn past the focused one, so Tab and Shift+Tab find a next one
  windowEl.addEventListener("focusin", () => drawWindow(true));
  windowEl.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const target = event.target as HTMLElement;
    const control = target.dataset.focus;
    const index = itemIndexOf(target.closest<HTMLElement>(".row"));
    if (control === undefined || index < 0) return;
    event.preventDefault();
    moveFocus(index + (event.key === "ArrowDown" ? 1 : -1), control);
  });
  let frame = 0;
  const onScroll = (): void => {
    if (frame !== 0) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      drawWindow();
    });
  };
  scroller.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll);

  function rowsOfSweep(sweep: string): RunsRow[] {
    return data === null
      ? []
      : data.rows.filter((r) => r.sweep === sweep && (r.batch === null || !data!.rows.some((b) => b.id === r.batch)));
  }

  /** The key of an item's line: a run's id, or a sweep's. */
  function itemKey(item: TableItem): string {
    return item.kind === "run" ? item.row.id : `sweep:${item.sweep}`;
  }

  function lineKey(line: HTMLElement | null): string | null {
    if (line === null) return null;
    if (line.dataset.id !== undefined) return line.dataset.id;
    return line.dataset.sweep === undefined ? null : `sweep:${line.dataset.sweep}`;
  }

  function itemIndexOf(line: HTMLElement | null): number {
    const key = lineKey(line);
    return key === null ? -1 : items.findIndex((item) => itemKey(item) === key);
  }

  /** Focuses the same control (checkbox, fold button, run link) on another line, or its first one, scrolling it into view. */
  function moveFocus(index: number, control: string): void {
    if (index < 0 || index >= items.length) return;
    const top = header.offsetHeight + index * ROW_HEIGHT_PX;
    if (top - header.offsetHeight < scroller.scrollTop) scroller.scrollTop = top - header.offsetHeight;
    else if (top + ROW_HEIGHT_PX > scroller.scrollTop + scroller.clientHeight)
      scroller.scrollTop = top + ROW_HEIGHT_PX - scroller.clientHeight;
    drawWindow();
    const line = windowEl.children[index - (drawn?.start ?? 0)] as HTMLElement | undefined;
    const target = line?.querySelector<HTMLElement>(`[data-focus="${control}"]`) ?? line?.querySelector<HTMLElement>("[data-focus]");
    target?.focus({ preventScroll: true });
  }

  function selectedInOrder(): string[] {
    if (data === null) return [...selection];
    const inTable = items.flatMap((item) => (item.kind === "run" && selection.has(item.row.id) ? [item.row.id] : []));
    // selected runs the filter hides (or collapsed trials) still count
    const rest = [...selection].filter((id) => !inTable.includes(id));
    return [...inTable, ...rest];
  }

  function selectionChanged(): void {
    ctx.replaceHash(formatRoute({ page: "runs", selected: selectedInOrder(), filter }));
    updateButtons();
    drawn = null;
    drawWindow();
  }

  function updateButtons(): void {
    curvesButton.disabled = selection.size === 0;
    curvesButton.textContent = selection.size === 0 ? "Curves" : `Curves (${selection.size})`;
    clearButton.disabled = selection.size === 0;
    const target = data === null ? null : findSearchTarget(data.rows, selection);
    searchButton.disabled = target === null;
    searchButton.title = target === null ? "select a batch, its trials, or a sweep's runs" : `search plots of ${target.slice(0, 8)}`;
  }

  async function applyFilter(): Promise<void> {
    const text = filterInput.value;
    if (text === filter && data !== null && filterError.hidden) return;
    filter = text;
    ctx.replaceHash(formatRoute({ page: "runs", selected: selectedInOrder(), filter }));
    await load();
  }

  /** Fetches the table; a rejected filter is shown under the box and the last table stays. */
  async function load(): Promise<void> {
    try {
      const response = await source.runs(filter);
      if (destroyed) return;
      filterError.hidden = true;
      filterError.textContent = "";
      data = response;
      dropGoneRuns();
      setColumnWidths();
      rebuild();
      drawWarnings();
    } catch (error) {
      if (destroyed) return;
      if (error instanceof ApiError && error.status === 400) {
        filterError.textContent = error.message;
        filterError.hidden = false;
        return;
      }
      throw error;
    }
  }

  /**
   * Unticks runs that are no longer there (deleted since they were ticked, or named in an old
   * link), so Curves does not ask for them. Only an unfiltered table lists every selected run;
   * a filtered one may just hide them.
   */
  function dropGoneRuns(): void {
    if (data === null || filter.trim() !== "" || selection.size === 0) return;
    const present = new Set(data.rows.map((r) => r.id));
    const gone = [...selection].filter((id) => !present.has(id));
    if (gone.length === 0) return;
    for (const id of gone) selection.delete(id);
    ctx.replaceHash(formatRoute({ page: "runs", selected: selectedInOrder(), filter }));
  }

  function drawWarnings(): void {
    const warnings = data?.warnings ?? [];
    banner.hidden = warnings.length === 0;
    replaceChildren(
      banner,
      el("strong", {}, warnings.length === 1 ? "1 warning" : `${warnings.length} warnings`),
      el("ul", {}, ...warnings.map((w) => el("li", {}, w))),
    );
  }

  /** Each column as wide as its longest cell or header (within bounds), for the header and every row alike. */
  function setColumnWidths(): void {
    if (data === null) return;
    const widths = data.columns.map((column, i) => {
      let chars = column.header.length + 2;
      for (const row of data!.rows) {
        const len = row.cells[i]?.length ?? 0;
        if (len > chars) chars = len;
        if (chars >= MAX_COLUMN_CH) break;
      }
      return `${Math.max(MIN_COLUMN_CH, Math.min(MAX_COLUMN_CH, chars)) + 2}ch`;
    });
    scroller.style.setProperty("--grid", `${FIXED_COLUMNS} ${widths.join(" ")}`);
  }

  /** The header: a sort button in each column's heading (Enter or Space sorts, as a click does). */
  function drawHeader(): void {
    if (data === null) return;
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(".runs-header .head[data-key]")?.dataset.key;
    replaceChildren(
      header,
      el("span", { class: "cell pick" }),
      el("span", { class: "cell toggle" }),
      ...data.columns.map((column) => {
        const sorted = sortBy?.key === column.key ? (sortBy.descending ? "descending" : "ascending") : null;
        const arrow = sorted === null ? "" : sorted === "descending" ? " ▼" : " ▲";
        const next = sorted === null ? "ascending" : sorted === "ascending" ? "descending" : "in the server's order";
        return el(
          "span",
          {
            class: `cell head${column.numeric ? " num" : ""}`,
            "data-key": column.key,
            role: "columnheader",
            "aria-sort": sorted ?? undefined,
          },
          el(
            "button",
            { type: "button", class: "sort", title: `sort by ${column.header}`, "aria-label": `${column.header}: sort ${next}` },
            column.header + arrow,
          ),
        );
      }),
    );
    if (focused !== undefined)
      header.querySelector<HTMLElement>(`.head[data-key="${CSS.escape(focused)}"] button`)?.focus({ preventScroll: true });
  }

  function rebuild(): void {
    if (data === null) return;
    const column = sortBy === null ? -1 : data.columns.findIndex((c) => c.key === sortBy!.key);
    const sort: SortState | null = column < 0 ? null : { column, descending: sortBy!.descending };
    items = buildTableItems(data.rows, data.columns, sort, collapsed);
    drawHeader();
    body.style.height = `${items.length * ROW_HEIGHT_PX}px`;
    const shown = data.rows.length;
    const runsWord = data.total === 1 ? "run" : "runs";
    count.textContent = shown === data.total ? `${shown} ${runsWord}` : `${shown} of ${data.total} ${runsWord}`;
    updateButtons();
    drawn = null;
    drawWindow();
    if (!drawnOnce) {
      drawnOnce = true;
      performance.mark("g:runs-drawn");
    }
  }

  /**
   * Draws the rows in view and a margin on each side at their offset; the
   * rest of the table is the spacer's height. While the rows in view stay
   * inside the drawn ones, a scroll redraws nothing. The focused control is
   * kept across a redraw, and a focused line near the end of the drawn ones
   * redraws them around it (`reveal`: scrolled into view, as Tab would).
   */
  function drawWindow(reveal = false): void {
    if (data === null) return;
    const offset = header.offsetHeight;
    const top = Math.max(0, scroller.scrollTop - offset);
    const height = scroller.clientHeight || window.innerHeight;
    let first = Math.floor(top / ROW_HEIGHT_PX);
    let last = Math.min(items.length, Math.ceil((top + height) / ROW_HEIGHT_PX));
    // the focused control survives the redraw: the same one on the line with the same key
    const active = document.activeElement as HTMLElement | null;
    const focusLine = active !== null && windowEl.contains(active) ? active.closest<HTMLElement>(".row") : null;
    const focusControl = active?.dataset.focus;
    const focusIndex =
      drawn === null ? itemIndexOf(focusLine) : focusLine === null ? -1 : drawn.start + [...windowEl.children].indexOf(focusLine);
    const nearEdge =
      drawn !== null &&
      focusIndex >= 0 &&
      ((focusIndex - drawn.start < FOCUS_MARGIN_ROWS && drawn.start > 0) ||
        (drawn.end - 1 - focusIndex < FOCUS_MARGIN_ROWS && drawn.end < items.length));
    if (drawn !== null && first >= drawn.start && last <= drawn.end && !nearEdge) return;
    // a focused line just out of view stays drawn (one the reader scrolled far away from is let go)
    if (focusIndex >= first - OVERSCAN_ROWS && focusIndex < last + OVERSCAN_ROWS) {
      first = Math.min(first, focusIndex);
      last = Math.max(last, focusIndex + 1);
    }
    const start = Math.max(0, first - OVERSCAN_ROWS);
    const end = Math.min(items.length, last + OVERSCAN_ROWS);
    drawn = { start, end };
    windowEl.style.transform = `translateY(${start * ROW_HEIGHT_PX}px)`;
    const fragment = document.createDocumentFragment();
    for (let i = start; i < end; i++) fragment.appendChild(drawItem(items[i]!));
    windowEl.textContent = "";
    windowEl.appendChild(fragment);
    const focusKey = lineKey(focusLine);
    if (focusKey !== null && focusControl !== undefined) {
      const index = items.findIndex((item) => itemKey(item) === focusKey);
      const line = index >= start && index < end ? (windowEl.children[index - start] as HTMLElement) : null;
      // when Tab brought the focus here, the browser would have scrolled the old control into view: do it for the new one
      line?.querySelector<HTMLElement>(`[data-focus="${focusControl}"]`)?.focus({ preventScroll: !reveal });
    }
    if (items.length === 0)
      windowEl.appendChild(
        el("p", { class: "empty" }, data.total === 0 ? "No runs yet: start one with g run." : "No run matches the filter."),
      );
  }

  function drawItem(item: TableItem): HTMLElement {
    if (item.kind === "sweep") {
      const members = rowsOfSweep(item.sweep);
      const box = el("input", { type: "checkbox", "aria-label": `select sweep ${item.sweep}`, "data-focus": "pick" });
      box.checked = members.length > 0 && members.every((r) => selection.has(r.id));
      return el(
        "div",
        { class: "row group-row", "data-sweep": item.sweep },
        el("span", { class: "cell pick" }, box),
        el(
          "span",
          { class: "cell toggle" },
          foldButton(item.sweep, item.collapsed, `the ${item.runs} runs of sweep ${item.sweep.slice(0, 8)}`),
        ),
        el(
          "span",
          { class: "cell span-all" },
          `sweep ${item.sweep.slice(0, 8)} · ${item.runs} ${item.runs === 1 ? "run" : "runs"} · `,
          el("a", { href: formatRoute({ page: "search", id: item.sweep }), "data-focus": "link" }, "search plots"),
        ),
      );
    }
    const { row } = item;
    const box = el("input", { type: "checkbox", "aria-label": `select run ${row.shortId}`, "data-focus": "pick" });
    box.checked = selection.has(row.id);
    const toggle =
      item.children > 0
        ? el("span", { class: "cell toggle" }, foldButton(row.id, item.collapsed, `the ${item.children} trials of batch ${row.shortId}`))
        : el("span", { class: "cell toggle" }, item.depth === 1 ? "└" : "");
    const line = el(
      "div",
      {
        class: `row status-${row.status}${item.depth === 1 ? " child" : ""}${selection.has(row.id) ? " selected" : ""}`,
        "data-id": row.id,
      },
      el("span", { class: "cell pick" }, box),
      toggle,
    );
    data!.columns.forEach((column, i) => {
      const text = row.cells[i] ?? "";
      // A flag recorded as null reads `null`, dimmed (a value the run lacks is an empty cell).
      const isNull = column.kind === "flag" && row.values[i] === null && text !== "";
      const classes = `cell${column.numeric ? " num" : ""}${isNull ? " null" : ""}${column.key === ".status" ? ` status status-${row.status}` : ""}`;
      if (column.key === ".short_id" || (column.key === ".index" && !data!.columns.some((c) => c.key === ".short_id"))) {
        line.appendChild(
          el(
            "span",
            { class: classes },
            el("a", { href: formatRoute({ page: "run", id: row.id }), title: row.id, "data-focus": "link" }, text),
          ),
        );
      } else {
        line.appendChild(el("span", { class: classes, title: text.length > MAX_COLUMN_CH ? text : undefined }, text));
      }
    });
    return line;
  }

  /** ▾ / ▸: a button that folds a group (Enter or Space, as a click). */
  function foldButton(group: string, isCollapsed: boolean, what: string): HTMLButtonElement {
    return el(
      "button",
      {
        type: "button",
        class: "fold",
        "data-group": group,
        "data-focus": "fold",
        "aria-expanded": isCollapsed ? "false" : "true",
        "aria-label": `${isCollapsed ? "show" : "hide"} ${what}`,
        title: `${isCollapsed ? "show" : "hide"} ${what}`,
      },
      isCollapsed ? "▸" : "▾",
    );
  }

  return {
    refresh: load,
    destroy(): void {
      destroyed = true;
      window.clearTimeout(filterTimer);
      if (frame !== 0) cancelAnimationFrame(frame);
      window.removeEventListener("resize", onScroll);
    },
  };
}
