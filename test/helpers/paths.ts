// Paths and temp directories shared by the tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "g");
export const DIST = join(ROOT, "dist");
export const EXAMPLES = join(ROOT, "examples");
export const FIXTURES = join(ROOT, "runs-fixtures");

const made: string[] = [];

export function tempDir(prefix = "g-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
