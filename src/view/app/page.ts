// What every page of the app is to the router: something drawn into the
// main element that can re-fetch its data (on a `change` event) and be torn down.

import type { DataSource } from "./source.js";

export interface Page {
  /** Re-fetches the page's data and redraws it in place (scroll, selection and inputs kept). */
  refresh(): Promise<void>;
  /** Releases charts, timers and listeners before another page is drawn. */
  destroy(): void;
}

export interface PageContext {
  source: DataSource;
  root: HTMLElement;
  /** Replaces the current hash without drawing the page again (state kept in the URL). */
  replaceHash(hash: string): void;
}
