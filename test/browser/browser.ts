// Helpers of the browser tests: a headless Debian chromium driven by
// playwright-core (no downloaded browser), and a `g view` server started the
// way a user starts it, whose first stdout line is the URL.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { chromium, type BrowserContext } from "playwright-core";
import { gAsync } from "../helpers/g.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Why the browser tests cannot run here, or null when they can (CI must have chromium: it fails there instead). */
export function browserSkipReason(): string | null {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return null;
  return `${CHROMIUM_PATH} is missing (apt-get install chromium); browser tests skipped outside CI`;
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile in a temp folder, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "g-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface ViewServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** How often the server checks for changes in tests (ms; 1000 by default): live updates show sooner. */
const VIEW_TICK_MS = "200";

/** `g view ARGS --port 0 --no-open` on a store; resolves with the URL it prints first. */
export function startView(home: string, args: string[] = []): Promise<ViewServer> {
  const child = gAsync(["view", ...args, "--port", "0", "--no-open"], { home, env: { G_VIEW_TICK_MS: VIEW_TICK_MS } });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let stdout = "";
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      child.stdout?.off("data", onData);
      const url = stdout.slice(0, newline).trim();
      resolve({
        url,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("close", () => done());
            child.kill("SIGINT");
          }),
      });
    };
    child.stdout?.on("data", onData);
    child.once("close", (code) => reject(new Error(`g view exited (${code}) before printing its URL: ${stderr}`)));
  });
}
