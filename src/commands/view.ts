// `g view [RUN...]`: serves the runs `g compare` would select as a web page
// (src/view/server.ts) and prints its URL as the first line of stdout; or,
// with --export FILE, writes the same pages as one self-contained HTML file.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Server } from "node:http";
import { InterruptedError, UsageError } from "../errors.js";
import { RunStore, resolveHome } from "../store/store.js";
import { reapIfNeeded } from "../backends/reap-candidates.js";
import { ViewData } from "../view/data.js";
import { collectExportData, renderExportHtml } from "../view/export.js";
import { createViewServer } from "../view/server.js";
import type { ViewOptions } from "../cli/program.js";
import { say } from "./prompt.js";

/** TensorBoard's port, which users of `guild view` know. */
export const DEFAULT_VIEW_PORT = 6006;
const MAX_PORT = 65535;
/** How many ports after the default are tried when it is taken. */
const PORT_ATTEMPTS = 100;
/** Bytes of randomness in the token a non-loopback server asks for. */
const TOKEN_BYTES = 16;
/** How often a serving view records the Slurm tasks among its runs that Slurm ended unseen (ms). */
const REAP_INTERVAL_MS = 10_000;

export type { ViewOptions };

export async function viewCommand(specs: string[], opts: ViewOptions): Promise<void> {
  const store = new RunStore(resolveHome());
  const data = new ViewData(store, specs, opts);

  if (opts.export !== undefined) {
    await reapViewed(data, 1);
    const exported = collectExportData(data, 1);
    for (const w of exported.runs.warnings) say(`warning: ${w}`);
    const html = renderExportHtml(exported);
    try {
      writeFileSync(opts.export, html);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new UsageError(`--export: cannot write ${opts.export} (${e.code ?? e.message}); give a file in an existing directory`);
    }
    const n = exported.runs.rows.length;
    say(`wrote ${n} run${n === 1 ? "" : "s"} to ${opts.export} (${formatBytes(Buffer.byteLength(html))})`);
    return;
  }

  const host = opts.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  const token = loopback ? null : randomBytes(TOKEN_BYTES).toString("hex");
  const view = createViewServer({ data, token, tickMs: tickFromEnv() });
  await reapViewed(data, view.watcher.version);
  for (const w of data.load(view.watcher.version).warnings) say(`warning: ${w}`);
  // Later: the change watcher sees a reaped run's run.json change and tells the pages.
  let reaping = false;
  const reaper = setInterval(() => {
    if (reaping) return;
    reaping = true;
    void reapViewed(data, view.watcher.version)
      .catch(() => {})
      .finally(() => (reaping = false));
  }, REAP_INTERVAL_MS);
  reaper.unref();

  // Handlers before the URL is printed: a script that reads it may signal at once.
  let stop = (): void => {};
  const stopped = new Promise<void>((_resolve, reject) => {
    stop = (): void => {
      clearInterval(reaper);
      removeHandlers();
      void view.close().then(() => reject(new InterruptedError("")));
    };
  });
  const removeHandlers = (): void => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let port: number;
  try {
    port = await listen(view.server, host, opts.port);
  } catch (err) {
    clearInterval(reaper);
    removeHandlers();
    await view.close();
    throw err;
  }
  const shownHost = host === "0.0.0.0" || host === "::" ? hostname() : host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}/${token === null ? "" : `?token=${token}`}`;
  process.stdout.write(url + "\n");
  if (!loopback) say(`serving on ${host}:${port}; anyone who can reach it needs the token in this URL`);
  say("Press Ctrl-C to stop.");
  if (opts.open !== false && process.stdout.isTTY === true) openBrowser(url);

  await stopped;
}

/**
 * Records what a scheduler ended without g recording it among the runs the
 * view read (a Slurm task killed outright: src/backends/reap.ts, loaded only
 * when a run needs it); the next load then reads the store again.
 */
async function reapViewed(data: ViewData, version: number): Promise<void> {
  const runs = data.load(version).all.map((r) => r.run);
  if (await reapIfNeeded(data.store, runs)) data.forget();
}

/**
 * Listens on host:port. No port: the default, or the next free one after it.
 * An explicit port that is taken is an error; 0 lets the system choose.
 */
async function listen(server: Server, host: string, port: number | undefined): Promise<number> {
  if (port !== undefined && port > MAX_PORT) throw new UsageError(`--port takes 0 to ${MAX_PORT}, not ${port}`);
  const first = port ?? DEFAULT_VIEW_PORT;
  const attempts = port === undefined ? PORT_ATTEMPTS : 1;
  for (let i = 0; i < attempts; i++) {
    const p = first + i;
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          server.off("listening", onListening);
          reject(err);
        };
        const onListening = (): void => {
          server.off("error", onError);
          resolve();
        };
        server.once("error", onError);
        server.once("listening", onListening);
        server.listen(p, host);
      });
      const addr = server.address();
      return typeof addr === "object" && addr !== null ? addr.port : p;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" && i + 1 < attempts) continue;
      if (code === "EADDRINUSE") {
        throw new UsageError(
          port === undefined
            ? `ports ${first}-${p} are all in use; choose one with --port N (0: any free port)`
            : `port ${p} is in use; choose another with --port N (0: any free port)`,
        );
      }
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN")
        throw new UsageError(`--host ${host}: not an address of this machine`);
      if (code === "EACCES") throw new UsageError(`port ${p} needs privileges; choose one above 1023 with --port N`);
      throw err;
    }
  }
  throw new UsageError(`no free port from ${first}`);
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect, so no token is needed. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}

/** xdg-open / open, detached, output ignored; a machine without one just prints the URL. */
function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    /* no opener: the URL is on stdout */
  }
}

/** G_VIEW_TICK_MS: how often the change feed checks the store (tests shorten it). */
function tickFromEnv(): number | undefined {
  const v = Number(process.env.G_VIEW_TICK_MS);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}
