// Where the app's data comes from: the `g view` server over HTTP, or the JSON
// embedded in an exported report (`#g-data`), behind one interface so every
// page works the same in both. Static mode has no live updates and filters
// the runs table by text on the client.

import type {
  ChangeEvent,
  ExportData,
  RunDetail,
  RunsDelta,
  RunsResponse,
  ScalarsMissing,
  ScalarsResponse,
  ScalarsX,
  SearchResponse,
} from "../api.js";

export type XAxis = ScalarsX;

/** An API answer other than 2xx, with the server's one-line message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface DataSource {
  /** False for an exported report: nothing changes, there is no server to ask. */
  readonly live: boolean;
  /** Whether curves can be drawn against wall time (an export carries step series only). */
  readonly hasTimeAxis: boolean;
  runs(filter: string): Promise<RunsResponse>;
  run(id: string): Promise<RunDetail>;
  sourceFile(id: string, path: string): Promise<string>;
  scalars(runs: string[], x: XAxis, points?: number): Promise<ScalarsResponse>;
  search(id: string): Promise<SearchResponse>;
  /** Calls `onChange` with the store's change counter whenever the server sends one; returns the unsubscribe. */
  subscribe(onChange: (version: number) => void): () => void;
}

/** Talks to the `g view` server; carries the page's `?token=` on every request. */
export class HttpSource implements DataSource {
  readonly live = true;
  readonly hasTimeAxis = true;
  private readonly token: string | null;
  /** The last table fetched: the next fetch with the same filter asks only for what changed since. */
  private lastRuns: { filter: string; response: RunsResponse } | null = null;

  constructor(
    private readonly base: string,
    search: string,
  ) {
    this.token = new URLSearchParams(search).get("token");
  }

  async runs(filter: string): Promise<RunsResponse> {
    const params: Record<string, string> = filter.trim() === "" ? {} : { filter };
    const last = this.lastRuns?.filter === filter ? this.lastRuns.response : null;
    if (last !== null) params.since = String(last.version);
    const answer = await this.getJson<RunsResponse | RunsDelta>("api/runs", params);
    let response: RunsResponse;
    if (!("delta" in answer)) response = answer;
    else if (last !== null && answer.base === last.version) response = applyRunsDelta(last, answer);
    else response = await this.getJson<RunsResponse>("api/runs", filter.trim() === "" ? {} : { filter });
    this.lastRuns = { filter, response };
    return response;
  }

  run(id: string): Promise<RunDetail> {
    return this.getJson<RunDetail>(`api/run/${encodeURIComponent(id)}`, {});
  }

  async sourceFile(id: string, path: string): Promise<string> {
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    const res = await fetch(this.url(`api/run/${encodeURIComponent(id)}/source/${encoded}`, {}));
    if (!res.ok) throw await readError(res);
    return res.text();
  }

  scalars(runs: string[], x: XAxis, points?: number): Promise<ScalarsResponse> {
    const params: Record<string, string> = { runs: runs.join(","), x };
    if (points !== undefined) params.points = String(points);
    return this.getJson<ScalarsResponse>("api/scalars", params);
  }

  search(id: string): Promise<SearchResponse> {
    return this.getJson<SearchResponse>(`api/search/${encodeURIComponent(id)}`, {});
  }

  subscribe(onChange: (version: number) => void): () => void {
    const events = new EventSource(this.url("api/events", {}));
    events.addEventListener("change", (event) => {
      let version = NaN;
      try {
        version = Number((JSON.parse((event as MessageEvent<string>).data) as ChangeEvent).version);
      } catch {
        // a change without a readable version still means "re-fetch"
      }
      onChange(version);
    });
    return () => events.close();
  }

  /** A URL relative to the app's own location, with the token appended. */
  private url(path: string, params: Record<string, string>): string {
    const query = new URLSearchParams(params);
    if (this.token !== null) query.set("token", this.token);
    const text = query.toString();
    return new URL(text === "" ? path : `${path}?${text}`, this.base).toString();
  }

  private async getJson<T>(path: string, params: Record<string, string>): Promise<T> {
    const res = await fetch(this.url(path, params));
    if (!res.ok) throw await readError(res);
    return (await res.json()) as T;
  }
}

/** The table a delta makes of the one it was asked against (a new object: the old one is left as it was). */
export function applyRunsDelta(last: RunsResponse, delta: RunsDelta): RunsResponse {
  const rows = last.rows.slice();
  for (const { at, row } of delta.changed) rows[at] = row;
  return { columns: last.columns, rows, warnings: delta.warnings, version: delta.version, total: delta.total };
}

async function readError(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { error?: unknown };
      if (typeof body.error === "string") message = body.error;
    } catch {
      if (text.trim() !== "" && text.length < 300) message = text.trim();
    }
  } catch {
    // the body could not be read; the status line says enough
  }
  return new ApiError(res.status, message);
}

/** Reads an exported report's embedded data; filters by text on the client. */
export class StaticSource implements DataSource {
  readonly live = false;
  readonly hasTimeAxis = false;

  constructor(private readonly data: ExportData) {}

  async runs(filter: string): Promise<RunsResponse> {
    const all = this.data.runs;
    const words = filter
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w !== "");
    if (words.length === 0) return all;
    const rows = all.rows.filter((row) => {
      const text = [row.id, row.label, row.status, row.op, ...row.cells].join(" ").toLowerCase();
      return words.every((w) => text.includes(w));
    });
    return { ...all, rows, total: all.total };
  }

  async run(id: string): Promise<RunDetail> {
    const detail = this.data.details[this.resolveId(id)];
    if (detail === undefined) throw new ApiError(404, `no run ${id} in this report`);
    return detail;
  }

  async sourceFile(): Promise<string> {
    throw new ApiError(404, "source files are not included in an exported report");
  }

  async scalars(runs: string[]): Promise<ScalarsResponse> {
    const series = runs.flatMap((id) => this.data.scalars[this.resolveId(id)] ?? []);
    const missing: ScalarsMissing[] = runs
      .filter((id) => this.data.details[this.resolveId(id)] === undefined)
      .map((id) => ({ run: id, reason: "not-found", message: `run ${id.slice(0, 8)} is not in this report` }));
    return { x: "step", series, missing };
  }

  async search(id: string): Promise<SearchResponse> {
    const found = this.data.searches[this.resolveId(id)];
    if (found === undefined) throw new ApiError(404, `no batch or sweep ${id} in this report`);
    return found;
  }

  subscribe(): () => void {
    return () => undefined;
  }

  /** A full id for an id or a unique prefix of one (links may carry short ids). */
  private resolveId(id: string): string {
    if (id in this.data.details || id in this.data.searches || id in this.data.scalars) return id;
    const matches = this.data.runs.rows.filter((r) => r.id.startsWith(id)).map((r) => r.id);
    if (matches.length === 1) return matches[0]!;
    const searches = Object.keys(this.data.searches).filter((s) => s.startsWith(id));
    return searches.length === 1 ? searches[0]! : id;
  }
}

/** The embedded report data when this page is an export, else null. */
export function readEmbeddedData(doc: Document): ExportData | null {
  const node = doc.getElementById("g-data");
  if (node === null) return null;
  return JSON.parse(node.textContent ?? "null") as ExportData;
}
