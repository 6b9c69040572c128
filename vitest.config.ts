// Two projects: `unit` (pure code and the Ink view, no processes: seconds)
// and `e2e` (real temp dirs, real processes, bin/g, the page in Chromium: minutes, needs a build).
// `npm test` runs both; `npm run test:unit` only the first.
import { defineConfig } from "vitest/config";

/** A pure test that takes longer than this is a bug in the test or the code. */
const UNIT_TIMEOUT_MS = 20_000;
/** Spawned g processes and Python scripts on a loaded 2-core machine. */
const E2E_TIMEOUT_MS = 120_000;

export default defineConfig({
  test: {
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/ui/**/*.test.{ts,tsx}"],
          testTimeout: UNIT_TIMEOUT_MS,
          hookTimeout: UNIT_TIMEOUT_MS,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/store/**/*.test.ts", "test/browser/**/*.test.ts"],
          testTimeout: E2E_TIMEOUT_MS,
          hookTimeout: E2E_TIMEOUT_MS,
        },
      },
    ],
  },
});
