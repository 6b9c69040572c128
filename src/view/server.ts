// The HTTP server of `g view` (Node's http, no framework): the single-page
// app's shell and bundle, the JSON API of src/view/api.ts, and the change feed
// as server-sent events. Read-only: every route is a GET of a fixed shape;
// anything else is 404. Off loopback every request must carry the token.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { constants as zlibConstants, createGzip } from "node:zlib";
import { GError, NotFoundError, UsageError } from "../errors.js";
import { readSourceFile } from "../store/viewer-files.js";
import type { ChangeEvent, ErrorResponse, ScalarsX } from "./api.js";
import { readAppBundle } from "./assets.js";
import { ChangeWatcher } from "./changes.js";
import { DEFAULT_SERIES_POINTS, MAX_SERIES_POINTS, type ViewData } from "./data.js";
import { escapeHtml } from "./html.js";

/** A comment line on idle event streams so proxies and browsers keep them open (ms). */
const SSE_HEARTBEAT_MS = 15_000;
/** How long an idle keep-alive connection stays open (ms). */
const KEEP_ALIVE_MS = 65_000;
/** Most runs one /api/scalars request may name. */
const MAX_SCALAR_RUNS = 500;
/** Smaller answers go as they are: gzip's framing would save nothing worth its time. */
const GZIP_MIN_BYTES = 1024;
/**
 * zlib's fastest level: the runs table of 20 000 runs (11.6 MB of JSON) becomes 3.3 MB in about
 * 0.3 s of a core, where the default level gives 2.8 MB for three times the time.
 */
const GZIP_LEVEL = zlibConstants.Z_BEST_SPEED;
/** The page's icon, inline in its shell, so that browsers do not ask for /favicon.ico. */
const ICON_HREF =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2563eb"/>' +
      '<text x="8" y="12" font-family="sans-serif" font-size="11" font-weight="bold" text-anchor="middle" fill="#fff">g</text></svg>',
  );

export interface ViewServerOptions {
  data: ViewData;
  /** Required on every request when set (non-loopback host). */
  token: string | null;
  /** Change-check interval (ms); tests may shorten it. */
  tickMs?: number;
}

export interface ViewServer {
  server: Server;
  watcher: ChangeWatcher;
  /** Stops the watcher, ends the event streams and closes the server. */
  close(): Promise<void>;
}

/** An answer with a status: thrown by route handlers, turned into JSON by the dispatcher. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createViewServer(opts: ViewServerOptions): ViewServer {
  const { data, token } = opts;
  const streams = new Set<ServerResponse>();
  const watcher = new ChangeWatcher({
    runsDir: data.store.runsDir,
    tickMs: opts.tickMs,
    onChange: (version, changed) => {
      // The next read of the store rereads these runs (and the unfinished ones), not every run.
      data.noteChanged(changed);
      const event: ChangeEvent = { version };
      for (const res of streams) res.write(`event: change\ndata: ${JSON.stringify(event)}\n\n`);
    },
  });
  // What the watcher compares with, taken before the store is read: a change in between is seen.
  watcher.prime();
  // The first read of the store: a bad selection fails the command here, before any URL is printed.
  data.load(1);

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      sendError(res, err);
    }
  });
  // Node's 5 s idle timeout races with clients that reuse a socket just as it closes (fetch then
  // fails with "other side closed"); a minute is what proxies and browsers expect.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
    if (token !== null && !tokenMatches(params.get("token"), token)) {
      sendJson(res, 401, { error: "this g view needs its token: open the URL g view printed (with ?token=...)" });
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("g view is read-only\n");
      return;
    }
    const segments = splitPath(rawPath);
    if (segments === null) return notFoundPage(res, token);
    const version = watcher.version;
    const sendOk = (body: unknown): void => sendText(req, res, 200, JSON_HEADERS, JSON.stringify(body));

    if (segments.length === 0) return sendIndex(res, token);
    if (segments.length === 1 && (segments[0] === "app.js" || segments[0] === "app.css")) return sendAsset(req, res, segments[0]);
    if (segments.length === 1 && segments[0] === "favicon.ico") {
      // the shell names an inline icon; a client that asks anyway gets nothing, not a 404 in its log
      res.writeHead(204, { "cache-control": "max-age=86400" });
      res.end();
      return;
    }
    if (segments[0] !== "api") return notFoundPage(res, token);

    const [, what, ...rest] = segments;
    if (what === "runs" && rest.length === 0) {
      const since = Number(params.get("since") ?? NaN);
      const body = data.runsBody(
        version,
        {
          filter: params.get("filter") ?? undefined,
          cols: params.get("cols") ?? undefined,
          min: params.getAll("min").filter((s) => s !== ""),
          max: params.getAll("max").filter((s) => s !== ""),
        },
        Number.isInteger(since) ? since : undefined,
      );
      return sendText(req, res, 200, JSON_HEADERS, body);
    }
    if (what === "run" && rest.length === 1) return sendOk(data.detail(version, rest[0]!));
    if (what === "run" && rest.length >= 3 && rest[1] === "source") {
      const run = data.readRun(version, rest[0]!);
      const text = readSourceFile(run, rest.slice(2).join("/"));
      if (text === null) throw new HttpError(404, `no source file ${rest.slice(2).join("/")} in run ${run.id.slice(0, 8)}`);
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" });
      res.end(text);
      return;
    }
    if (what === "scalars" && rest.length === 0) {
      const ids = (params.get("runs") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      if (ids.length > MAX_SCALAR_RUNS) throw new HttpError(400, `at most ${MAX_SCALAR_RUNS} runs per request, got ${ids.length}`);
      const x = params.get("x") ?? "step";
      if (x !== "step" && x !== "time") throw new HttpError(400, `x is step or time, not "${x}"`);
      const points = parsePoints(params.get("points"));
      return sendOk(data.scalars(version, ids, x as ScalarsX, points));
    }
    if (what === "search" && rest.length === 1) return sendOk(data.search(version, rest[0]!));
    if (what === "events" && rest.length === 0) return openStream(req, res, version);
    throw new HttpError(404, `no API route /${segments.join("/")}`);
  }

  function openStream(req: IncomingMessage, res: ServerResponse, version: number): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
    // The current version first, so a page that loaded before a change catches up.
    res.write(`retry: 2000\nevent: change\ndata: ${JSON.stringify({ version } satisfies ChangeEvent)}\n\n`);
    streams.add(res);
    const beat = setInterval(() => res.write(": keep-alive\n\n"), SSE_HEARTBEAT_MS);
    beat.unref();
    const drop = (): void => {
      clearInterval(beat);
      streams.delete(res);
    };
    req.on("close", drop);
    res.on("close", drop);
  }

  watcher.start(data.unfinishedIds());
  return {
    server,
    watcher,
    close: () =>
      new Promise<void>((resolve) => {
        watcher.stop();
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The path's segments, each percent-decoded once; null when the path cannot
 * be one of ours (bad encoding, a `.`/`..` segment before or after decoding,
 * a decoded `/` or `\` or NUL inside a segment). Nothing here is a file path:
 * routes are matched on these segments, and source files are checked again
 * by readSourceFile.
 */
export function splitPath(rawPath: string): string[] | null {
  if (!rawPath.startsWith("/")) return null;
  const out: string[] = [];
  const parts = rawPath.slice(1).split("/");
  for (const [i, part] of parts.entries()) {
    if (part === "" && i === parts.length - 1) continue; // a trailing slash
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (seg === "" || seg === "." || seg === ".." || /[/\\\0]/.test(seg)) return null;
    out.push(seg);
  }
  return out;
}

function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function parsePoints(text: string | null): number {
  if (text === null || text === "") return DEFAULT_SERIES_POINTS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2 || n > MAX_SERIES_POINTS)
    throw new HttpError(400, `points is a whole number from 2 to ${MAX_SERIES_POINTS}, not "${text}"`);
  return n;
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, JSON_HEADERS);
  res.end(JSON.stringify(body));
}

/**
 * Sends text, gzipped (streamed through zlib, off the main thread) when it is not small and the
 * client accepts gzip; `vary` tells caches that the answer depends on Accept-Encoding.
 */
function sendText(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  if (text.length < GZIP_MIN_BYTES || !acceptsGzip(req.headers["accept-encoding"])) {
    res.writeHead(status, { ...headers, vary: "accept-encoding" });
    res.end(text);
    return;
  }
  res.writeHead(status, { ...headers, vary: "accept-encoding", "content-encoding": "gzip" });
  const gzip = createGzip({ level: GZIP_LEVEL });
  gzip.on("error", () => res.destroy());
  res.on("close", () => gzip.destroy());
  gzip.pipe(res);
  gzip.end(text);
}

/** Whether an Accept-Encoding header takes gzip (`gzip`, `gzip;q=0.5`; not `gzip;q=0`). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  return text.split(",").some((part) => {
    const [name = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    if (name !== "gzip" && name !== "x-gzip") return false;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Errors become one-line JSON: a bad filter or parameter is 400, an unknown run 404, anything else 500. */
function sendError(res: ServerResponse, err: unknown): void {
  let status = 500;
  let message = (err as Error)?.message ?? String(err);
  if (err instanceof HttpError) status = err.status;
  else if (err instanceof NotFoundError) status = 404;
  else if (err instanceof UsageError) status = 400;
  else if (err instanceof GError) status = 400;
  else message = `internal error: ${message}`;
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: message.split("\n")[0]! } satisfies ErrorResponse);
}

function sendIndex(res: ServerResponse, token: string | null): void {
  const q = token === null ? "" : `?token=${encodeURIComponent(token)}`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>g view</title><link rel="icon" href="${escapeHtml(ICON_HREF)}"><link rel="stylesheet" href="app.css${q}"></head>` +
      `<body><div id="app"></div><script src="app.js${q}"></script></body></html>\n`,
  );
}

function sendAsset(req: IncomingMessage, res: ServerResponse, name: "app.js" | "app.css"): void {
  const bundle = readAppBundle();
  if (bundle === null) {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    res.end("g view: the page's bundle is missing from dist/view/; run npm run build\n");
    return;
  }
  const type = name === "app.js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
  sendText(
    req,
    res,
    200,
    { "content-type": type, "cache-control": "no-cache", "x-content-type-options": "nosniff" },
    name === "app.js" ? bundle.js : bundle.css,
  );
}

function notFoundPage(res: ServerResponse, token: string | null): void {
  const home = token === null ? "/" : `/?token=${encodeURIComponent(token)}`;
  res.writeHead(404, { "content-type": "text/html; charset=utf-8", "x-content-type-options": "nosniff" });
  res.end(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found - g view</title></head><body><h1>Not found</h1><p>g view has no such page. <a href="${escapeHtml(home)}">Back to the runs</a></p></body></html>\n`,
  );
}
