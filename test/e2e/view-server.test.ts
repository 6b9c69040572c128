// `g view` end to end: the real bin/g serving a copy of a fixture store, read
// with Node's fetch (and raw http for paths fetch would normalise).
import { appendFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStore, readProcessStart } from "../../src/store/store.js";
import type { ExportData, RunDetail, RunsDelta, RunsResponse, ScalarsResponse, SearchResponse } from "../../src/view/api.js";
import { collect, g, gAsync, type GResult } from "../helpers/g.js";
import { FIXTURES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";
// @ts-expect-error: plain JS generator, no type declarations
import { generateStore } from "../../runs-fixtures/generate.mjs";

interface Served {
  child: ChildProcess;
  url: string;
  done: Promise<GResult>;
}

/** Starts `g view ARGS` and resolves with the URL from stdout's first line. */
function serve(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = gAsync(["view", "--port", "0", "--no-open", ...args], { home, env: { G_VIEW_TICK_MS: "100", ...env } });
  const done = collect(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        child.stdout!.off("data", onData);
        resolve({ child, url: out.slice(0, nl), done });
      }
    };
    child.stdout!.on("data", onData);
    void done.then((r) => reject(new Error(`g view exited ${r.code} before printing a URL: ${r.stderr}`)));
  });
}

async function stop(s: Served): Promise<GResult> {
  s.child.kill("SIGINT");
  return s.done;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** GET with the path sent exactly as written (fetch would resolve `..` and `%2e%2e` first). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return rawRequest(base, path).then((r) => ({ status: r.status, body: r.body.toString() }));
}

/** GET with exactly these headers; the body as the bytes that came (fetch would decompress it). */
function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: u.port, path, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Resolves once the server's change feed reports a version above `than`. */
async function waitForVersion(url: string, than: number): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const { body } = await getJson<RunsResponse>(`${url}api/runs`);
    if (body.version > than) return body.version;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the version stayed at ${than}`);
}

interface CompareJsonRow {
  id: string;
  index: number;
  status: string;
  flags: Record<string, unknown>;
  scalars: Record<string, { last: number }>;
}

function compareJson(home: string, args: string[]): CompareJsonRow[] {
  const res = g(["compare", "--json", ...args], { home });
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as CompareJsonRow[];
}

/** Each /api/runs row against `g compare --json`'s row: same run, index, status, flag and last-scalar values. */
function expectSameAsCompare(api: RunsResponse, rows: CompareJsonRow[]): void {
  expect(api.rows.map((r) => r.id)).toEqual(rows.map((r) => r.id));
  for (const [i, row] of api.rows.entries()) {
    const c = rows[i]!;
    expect(row.index).toBe(c.index);
    expect(row.status).toBe(c.status);
    for (const [k, col] of api.columns.entries()) {
      if (col.kind === "flag") expect(row.values[k], `${row.id} ${col.key}`).toEqual(c.flags[col.key.slice(1)] ?? null);
      if (col.kind === "scalar") expect(row.values[k], `${row.id} ${col.key}`).toEqual(c.scalars[col.header]?.last ?? null);
    }
  }
}

describe("g view on the small fixture store", () => {
  let home: string;
  let s: Served;
  beforeAll(async () => {
    home = tempDir("g-view-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
    const src = join(home, "runs", "07".repeat(16), "sourcecode");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "train.py"), "print('loss: 1')\n");
    writeFileSync(join(home, "secret.txt"), "secret\n");
    symlinkSync(join(home, "secret.txt"), join(src, "leak.txt"));
    s = await serve(home, []);
  });
  afterAll(async () => {
    if (s) await stop(s);
    cleanTempDirs();
  });

  it("prints the URL alone on stdout's first line", () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("answers /api/runs with the rows and columns of g compare", async () => {
    const { status, body } = await getJson<RunsResponse>(`${s.url}api/runs`);
    expect(status).toBe(200);
    expect(body.rows).toHaveLength(10);
    expect(body.total).toBe(10);
    expect(body.columns.map((c) => c.key)).toEqual(expect.arrayContaining([".index", ".status", "=x", "last loss"]));
    expectSameAsCompare(body, compareJson(home, []));
    const table = g(["compare", "-T"], { home }).stdout.split("\n")[0]!;
    for (const c of body.columns) expect(table).toContain(c.header);
  });

  it("lists each damaged run directory as a warning", async () => {
    const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
    for (const id of ["0b", "0c", "0d"]) expect(body.warnings.join("\n")).toContain(id.repeat(16));
  });

  it("narrows rows with ?filter= exactly as g compare --filter does", async () => {
    const filter = "=x < -0.2";
    const { status, body } = await getJson<RunsResponse>(`${s.url}api/runs?filter=${encodeURIComponent(filter)}`);
    expect(status).toBe(200);
    expect(body.rows.length).toBeGreaterThan(0);
    expect(body.total).toBe(10);
    expectSameAsCompare(body, compareJson(home, ["--filter", filter]));
  });

  it("takes cols and min like g compare's -c and -m", async () => {
    const { body } = await getJson<RunsResponse>(`${s.url}api/runs?cols=${encodeURIComponent("min loss, =x")}&min=loss`);
    expect(body.columns.map((c) => c.key).slice(-2)).toEqual(["min loss", "=x"]);
    const cmp = compareJson(home, ["-c", "min loss, =x", "-m", "loss"]);
    expect(body.rows.map((r) => r.id)).toEqual(cmp.map((r) => r.id));
  });

  it("answers a bad filter or unknown column with 400 and one line", async () => {
    for (const filter of ["loss <", "nosuchcolumn > 1", "=x >> 2"]) {
      const { status, body } = await getJson<{ error: string }>(`${s.url}api/runs?filter=${encodeURIComponent(filter)}`);
      expect(status, filter).toBe(400);
      expect(body.error, filter).toMatch(/\S/);
      expect(body.error).not.toContain("\n");
    }
    const cols = await getJson<{ error: string }>(`${s.url}api/runs?cols=${encodeURIComponent("min")}`);
    expect(cols.status).toBe(400);
  });

  it("serves a run's detail, its source files and the tail of its output", async () => {
    const id = "07".repeat(16);
    const { status, body } = await getJson<RunDetail>(`${s.url}api/run/${id}`);
    expect(status).toBe(200);
    expect(body.label).toBe("baseline");
    expect(Object.keys(body.summaries)).toEqual(expect.arrayContaining(["loss", "acc"]));
    expect(body.sourceFiles).toEqual(["train.py"]);
    const src = await fetch(`${s.url}api/run/${id}/source/train.py`);
    expect(src.status).toBe(200);
    expect(await src.text()).toBe("print('loss: 1')\n");
    const batch = await getJson<RunDetail>(`${s.url}api/run/${"01".repeat(16)}`);
    expect(batch.body.children.map((c) => c.trial)).toEqual([1, 2, 3, 4, 5]);
  });

  it("answers 404 for unknown runs and for every path outside the app", async () => {
    expect((await getJson<{ error: string }>(`${s.url}api/run/${"ff".repeat(16)}`)).status).toBe(404);
    expect((await getJson<{ error: string }>(`${s.url}api/run/nope`)).status).toBe(404);
    expect((await getJson<{ error: string }>(`${s.url}api/run/${"0b".repeat(16)}`)).status).toBe(404);
    const id = "07".repeat(16);
    for (const path of [
      "/../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/%252e%252e/%252e%252e/etc/passwd",
      "/app.js/../../../etc/passwd",
      "/etc/passwd",
      "/index.html",
      "/api/nothing",
      `/api/run/${id}/source/../run.json`,
      `/api/run/${id}/source/..%2frun.json`,
      `/api/run/${id}/source/%2e%2e/%2e%2e/%2e%2e/secret.txt`,
      `/api/run/${id}/source/%252e%252e/run.json`,
      `/api/run/${id}/source//etc/passwd`,
      `/api/run/${id}/source/%2fetc%2fpasswd`,
      `/api/run/${id}/source/leak.txt`,
      `/api/run/${id}/source/nosuch.py`,
      `/api/run/..%2f..%2f..%2fetc/source/passwd`,
    ]) {
      const res = await rawGet(s.url, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain("secret");
      expect(res.body, path).not.toContain("root:");
    }
    const page = await rawGet(s.url, "/no/such/page");
    expect(page.status).toBe(404);
    expect(page.body).toContain('href="/"');
  });

  it("serves the app shell, its script and its style", async () => {
    const index = await fetch(s.url);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<script src="app.js"></script>');
    for (const asset of ["app.js", "app.css"]) {
      const res = await fetch(`${s.url}${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(100);
    }
  });

  it("down-samples scalars to the asked number of points", async () => {
    const id = "07".repeat(16);
    const { body } = await getJson<ScalarsResponse>(`${s.url}api/scalars?runs=${id}&points=3`);
    expect(body.x).toBe("step");
    const loss = body.series.find((r) => r.key === "loss")!;
    expect(loss.run).toBe(id);
    expect(loss.xs.length).toBeLessThanOrEqual(3);
    expect(loss.xs.length).toBe(loss.ys.length);
    const time = await getJson<ScalarsResponse>(`${s.url}api/scalars?runs=${id}&x=time`);
    expect(time.body.series.length).toBeGreaterThan(0);
    expect((await getJson<{ error: string }>(`${s.url}api/scalars?runs=${id}&x=wall`)).status).toBe(400);
    expect((await getJson<{ error: string }>(`${s.url}api/scalars?runs=${id}&points=1`)).status).toBe(400);
    const unknown = await getJson<ScalarsResponse>(`${s.url}api/scalars?runs=${"ff".repeat(16)}`);
    expect(unknown.status).toBe(200);
    expect(unknown.body.missing).toEqual([{ run: "ff".repeat(16), reason: "not-found", message: `no run ${"ff".repeat(16)}` }]);
  });

  it("summarises a batch for the search page", async () => {
    const { status, body } = await getJson<SearchResponse>(`${s.url}api/search/01010101`);
    expect(status).toBe(200);
    expect(body.dims.map((d) => d.name)).toEqual(["x"]);
    expect(body.trials.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5]);
    expect(body.objective).toEqual({ column: "loss", goal: "min" });
    expect(body.trials.every((t) => typeof t.value === "number")).toBe(true);
    expect(body.importance.map((i) => i.flag)).toEqual(["x"]);
    expect((await getJson<{ error: string }>(`${s.url}api/search/07070707`)).status).toBe(404);
  });

  it("shows a run started while it serves: a change event, then the row", async () => {
    const before = (await getJson<RunsResponse>(`${s.url}api/runs`)).body;
    const events = await fetch(`${s.url}api/events`);
    expect(events.headers.get("content-type")).toContain("text/event-stream");
    const reader = events.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const versions = async (n: number): Promise<number[]> => {
      for (;;) {
        const found = [...text.matchAll(/event: change\ndata: (\{.*\})\n\n/g)].map(
          (m) => (JSON.parse(m[1]!) as { version: number }).version,
        );
        if (found.length >= n) return found;
        const { value, done } = await reader.read();
        if (done) return found;
        text += decoder.decode(value);
      }
    };
    const [first] = await versions(1);
    expect(first).toBe(before.version);
    const run = g(["run", "-y", join(ROOT, "test", "e2e", "scripts", "count.js"), "--steps", "2"], { home });
    expect(run.code, run.stderr).toBe(0);
    const seen = await versions(2);
    expect(seen[1]!).toBeGreaterThan(before.version);
    await reader.cancel();
    const after = (await getJson<RunsResponse>(`${s.url}api/runs`)).body;
    expect(after.rows).toHaveLength(11);
    expect(after.rows[0]!.op).toContain("count.js");
    expect(after.version).toBeGreaterThan(before.version);
  });

  it("stops on SIGINT with exit code 130", async () => {
    const other = await serve(home, []);
    const res = await stop(other);
    expect(res.code).toBe(130);
    expect(res.stderr).not.toMatch(/internal error|at .*\.js/);
  });
});

describe("g view selection, token and export", () => {
  let home: string;
  beforeAll(() => {
    home = tempDir("g-view-sel-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
  });
  afterAll(cleanTempDirs);

  it("selects runs exactly as g compare does (specs, --op, --label, --batch)", async () => {
    for (const args of [["1:4"], ["--label", "base"], ["--batch", "01"], ["--op", "train", "--filter", "loss < -0.5"]]) {
      const s = await serve(home, args);
      try {
        const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
        expectSameAsCompare(body, compareJson(home, args));
        if (args[0] === "--batch") expect(body.rows.map((r) => r.trial).sort()).toEqual([1, 2, 3, 4, 5]);
      } finally {
        await stop(s);
      }
    }
  });

  it("a batch prints the g view command that shows its trials", async () => {
    const home = tempDir("g-view-batch-");
    const run = g(["run", "-y", join(ROOT, "test", "e2e", "scripts", "count.js"), "--steps", "[1,2,3]"], { home });
    expect(run.code, run.stderr).toBe(0);
    const m = /^view: g view --batch ([0-9a-f]{8})$/m.exec(run.stderr);
    expect(m, run.stderr).not.toBeNull();
    const s = await serve(home, ["--batch", m![1]!]);
    try {
      const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
      expect(body.rows.map((r) => r.trial).sort()).toEqual([1, 2, 3]);
      expect(new Set(body.rows.map((r) => r.batch)).size).toBe(1);
      expect(body.rows[0]!.batch!.startsWith(m![1]!)).toBe(true);
    } finally {
      await stop(s);
    }
  });

  it("a sweep prints the g view command; its runs and search page follow", async () => {
    const home = tempDir("g-view-sweep-");
    const work = tempDir("g-view-sweep-work-");
    writeFileSync(
      join(work, "quick.py"),
      'import argparse\np = argparse.ArgumentParser()\np.add_argument("--a", type=float)\np.add_argument("--b")\na = p.parse_args()\nprint("loss: %s" % (a.a * 2 + (1 if a.b == "y" else 0)))\n',
    );
    writeFileSync(
      join(work, "s.yaml"),
      "program: quick.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\nparameters:\n  a: {values: [1, 2, 3]}\n  b: {values: [x, y]}\n",
    );
    const created = g(["sweep", "s.yaml"], { home, cwd: work });
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(created.stderr).toContain(`view: g view --sweep ${id}`);
    const agent = g(["agent", id], { home, cwd: work });
    expect(agent.code, agent.stderr).toBe(0);
    const s = await serve(home, ["--sweep", id]);
    try {
      const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
      expect(body.rows).toHaveLength(6);
      expect(body.rows.every((r) => r.sweep === id)).toBe(true);
      const search = (await getJson<SearchResponse>(`${s.url}api/search/${id}`)).body;
      expect(search.objective).toEqual({ column: "loss", goal: "min" });
      expect(search.dims.map((d) => [d.name, d.type])).toEqual([
        ["a", "int"],
        ["b", "categorical"],
      ]);
      expect(search.trials.map((t) => t.value).sort()).toEqual([2, 3, 4, 5, 6, 7]);
      expect(search.importance[0]!.flag).toBe("a");
      const detail = (await getJson<RunDetail>(`${s.url}api/run/${body.rows[0]!.id}`)).body;
      expect(detail.children).toHaveLength(6);
    } finally {
      await stop(s);
    }
  });

  it("scores the demo's one flag as important: a Bayesian search around the loss's minimum", async () => {
    // scripts/demo.mjs's search: x alone decides the loss, whose minimum (x ≈ -0.29) the
    // optimizer's trials crowd around, so the loss is U-shaped in x (|Spearman| gave 0.11)
    const home = tempDir("g-view-demo-");
    const run = g(["run", "-y", "-q", "examples/train.py", "x=[-2.0:2.0]", "noise=0", "--optimizer", "bayesian", "--random-seed", "1"], {
      home,
      cwd: ROOT,
    });
    expect(run.code, run.stderr).toBe(0);
    const batch = /^view: g view --batch ([0-9a-f]{8})$/m.exec(run.stderr)![1]!;
    const s = await serve(home, []);
    try {
      const { body } = await getJson<SearchResponse>(`${s.url}api/search/${batch}`);
      expect(body.trials.filter((t) => t.value !== null)).toHaveLength(20);
      expect(body.importance).toEqual([{ flag: "x", score: expect.any(Number) as number }]);
      expect(body.importance[0]!.score).toBeGreaterThan(0.4);
    } finally {
      await stop(s);
    }
  });

  it("fails like g compare on a bad selection, before printing a URL", () => {
    const res = g(["view", "--no-open", "--port", "0", "--batch", "07"], { home });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^g: .*not a batch/m);
    expect(res.stdout).toBe("");
    const bad = g(["view", "--no-open", "--port", "0", "zz"], { home });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
  });

  it("says when an explicit port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = g(["view", "--no-open", "--port", String(port)], { home });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`port ${port} is in use`);
    } finally {
      blocker.close();
    }
  });

  it("off loopback, refuses every request without the printed token", async () => {
    const s = await serve(home, ["--host", "0.0.0.0"]);
    try {
      const printed = new URL(s.url);
      const token = printed.searchParams.get("token")!;
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      const base = `http://127.0.0.1:${printed.port}/`;
      for (const path of ["", "app.js", "api/runs", "api/events", `api/run/${"07".repeat(16)}`, "../../etc/passwd"]) {
        expect((await fetch(base + path)).status, path).toBe(401);
        expect((await fetch(`${base}${path}?token=${"0".repeat(32)}`)).status, path).toBe(401);
      }
      const ok = await fetch(`${base}api/runs?token=${token}`);
      expect(ok.status).toBe(200);
      const index = await (await fetch(`${base}?token=${token}`)).text();
      expect(index).toContain(`app.js?token=${token}`);
    } finally {
      await stop(s);
    }
  });

  it("exports one self-contained HTML file with the data and no network loads", () => {
    const file = join(home, "report.html");
    const res = g(["view", "--export", file, "1:9"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe("");
    const html = readFileSync(file, "utf8");
    const m = /<script type="application\/json" id="g-data">([\s\S]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    const data = JSON.parse(m![1]!) as ExportData;
    expect(data.runs.rows).toHaveLength(9);
    expectSameAsCompare(data.runs, compareJson(home, ["1:9"]));
    expect(Object.keys(data.details)).toHaveLength(9);
    expect(data.scalars["07".repeat(16)]!.map((r) => r.key)).toEqual(expect.arrayContaining(["loss", "acc"]));
    expect(Object.keys(data.searches)).toEqual(["01".repeat(16)]);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/import\s*\(\s*["']https?:/i);
  });

  it("escapes </script in the exported data", () => {
    const id = "07".repeat(16);
    const runJson = join(home, "runs", id, "run.json");
    const rec = JSON.parse(readFileSync(runJson, "utf8")) as { label: string };
    rec.label = "</script><script>alert(1)</script><!--";
    writeFileSync(runJson, JSON.stringify(rec));
    const file = join(home, "escaped.html");
    const res = g(["view", "--export", file, id], { home });
    expect(res.code, res.stderr).toBe(0);
    const html = readFileSync(file, "utf8");
    const m = /<script type="application\/json" id="g-data">([\s\S]*?)<\/script>/.exec(html)!;
    expect(m[1]).not.toMatch(/<\/script|<!--/i);
    expect((JSON.parse(m[1]!) as ExportData).runs.rows[0]!.label).toBe(rec.label);
  });
});

describe("g view on a generated store", () => {
  it("answers /api/runs with g compare's rows for 300 generated runs, with a batch's search", async () => {
    const home = tempDir("g-view-gen-");
    generateStore({ runs: 300, out: home, steps: 20 });
    const s = await serve(home, []);
    try {
      const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
      expect(body.rows).toHaveLength(300);
      expectSameAsCompare(body, compareJson(home, []));
      const batch = body.rows.find((r) => r.batch !== null)!.batch!;
      const search = await getJson<SearchResponse>(`${s.url}api/search/${batch}`);
      expect(search.status).toBe(200);
      expect(search.body.trials.length).toBeGreaterThan(0);
      expect(search.body.trials.every((t) => body.rows.some((r) => r.id === t.id))).toBe(true);
    } finally {
      await stop(s);
      cleanTempDirs();
    }
  });
});

describe("g view after the store changes", () => {
  let home: string;
  beforeAll(() => {
    home = tempDir("g-view-changes-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
  });
  afterAll(cleanTempDirs);

  it("keeps a batch's flag axes and importance once the batch is served from the store's index", async () => {
    // g compare writes the index, whose records leave out a batch's search space
    expect(g(["compare", "-T"], { home }).code).toBe(0);
    const s = await serve(home, []);
    try {
      const check = async (): Promise<void> => {
        const { status, body } = await getJson<SearchResponse>(`${s.url}api/search/01010101`);
        expect(status).toBe(200);
        expect(body.dims).toEqual([{ name: "x", type: "float", low: -0.5, high: -0.1, choices: [-0.5, -0.4, -0.3, -0.2, -0.1] }]);
        expect(body.importance.map((i) => i.flag)).toEqual(["x"]);
      };
      await check();
      // a run started while serving: the next read of the store comes from the index too
      const before = (await getJson<RunsResponse>(`${s.url}api/runs`)).body.version;
      const run = g(["run", "-y", join(ROOT, "test", "e2e", "scripts", "count.js"), "--steps", "2"], { home });
      expect(run.code, run.stderr).toBe(0);
      await waitForVersion(s.url, before);
      await check();
    } finally {
      await stop(s);
    }
  });

  it("shows a run whose g was killed as running while its script lives, and as error once the script ends", async () => {
    const home = tempDir("g-view-orphan-");
    const store = new RunStore(home);
    const run = store.createRun({ op: "orphan.py", started: new Date().toISOString() });
    // The LOCK a killed g leaves: its own pid dead, its script's alive (a process of the test's own stands in).
    const script = spawn("sleep", ["30"], { stdio: "ignore" });
    const exited = new Promise((resolve) => script.on("exit", resolve));
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    store.writeLock(run.id, { pid: dead, host: hostname(), child: script.pid!, child_start: readProcessStart(script.pid!)! });
    const s = await serve(home, []);
    try {
      const before = (await getJson<RunsResponse>(`${s.url}api/runs`)).body;
      expect(before.rows.map((r) => r.status)).toEqual(["running"]);
      script.kill("SIGKILL");
      await exited;
      // No file of the run changes: the change feed notices the LOCK's process is gone.
      await waitForVersion(s.url, before.version);
      expect((await getJson<RunsResponse>(`${s.url}api/runs`)).body.rows.map((r) => r.status)).toEqual(["error"]);
    } finally {
      script.kill("SIGKILL");
      await stop(s);
    }
  });

  it("draws the curves of the runs that are there and names each deleted, unknown or damaged one", async () => {
    const home = tempDir("g-view-curves-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
    const s = await serve(home, []);
    try {
      const [a, b, damaged, unknown] = ["07".repeat(16), "06".repeat(16), "0b".repeat(16), "ff".repeat(16)];
      const both = (await getJson<ScalarsResponse>(`${s.url}api/scalars?runs=${a},${b}`)).body;
      expect(new Set(both.series.map((x) => x.run))).toEqual(new Set([a, b]));
      expect(both.missing).toEqual([]);
      const before = (await getJson<RunsResponse>(`${s.url}api/runs`)).body.version;
      expect(g(["runs", "rm", "-y", b], { home }).code).toBe(0);
      await waitForVersion(s.url, before);
      const { status, body } = await getJson<ScalarsResponse>(`${s.url}api/scalars?runs=${a},${b},${damaged},${unknown}`);
      expect(status).toBe(200);
      expect(new Set(body.series.map((x) => x.run))).toEqual(new Set([a]));
      expect(body.series.map((x) => x.key).sort()).toEqual(["acc", "loss"]);
      expect(body.missing).toEqual([
        { run: b, reason: "deleted", message: "run 06060606 was deleted" },
        { run: damaged, reason: "damaged", message: "run 0b0b0b0b cannot be read: run.json is not valid JSON" },
        { run: unknown, reason: "not-found", message: `no run ${unknown}` },
      ]);
    } finally {
      await stop(s);
    }
  });

  it("answers a unique id prefix as the command line does, and names the runs an ambiguous one could be", async () => {
    const s = await serve(home, []);
    try {
      const detail = await getJson<RunDetail>(`${s.url}api/run/07070707`);
      expect(detail.status).toBe(200);
      expect(detail.body.id).toBe("07".repeat(16));
      const scalars = (await getJson<ScalarsResponse>(`${s.url}api/scalars?runs=0707`)).body;
      expect(scalars.series.every((x) => x.run === "07".repeat(16))).toBe(true);
      expect(scalars.series.length).toBeGreaterThan(0);
      const ambiguous = await getJson<{ error: string }>(`${s.url}api/run/0`);
      expect(ambiguous.status).toBe(400);
      expect(ambiguous.body.error).toMatch(/^run "0" is ambiguous: .*07070707 \(train\.py\).*; give more of the id$/);
      expect((await getJson<{ error: string }>(`${s.url}api/run/0e0e`)).status).toBe(404);
    } finally {
      await stop(s);
    }
  });

  it("gzips JSON answers and the bundle for a client that accepts it, and only then", async () => {
    const s = await serve(home, []);
    try {
      const plain = await rawRequest(s.url, "/api/runs");
      expect(plain.headers["content-encoding"]).toBeUndefined();
      const zipped = await rawRequest(s.url, "/api/runs", { "accept-encoding": "gzip, deflate, br" });
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      expect(zipped.headers.vary).toBe("accept-encoding");
      expect(zipped.body.length).toBeLessThan(plain.body.length);
      expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(JSON.parse(plain.body.toString()));
      const refused = await rawRequest(s.url, "/api/runs", { "accept-encoding": "gzip;q=0, identity" });
      expect(refused.headers["content-encoding"]).toBeUndefined();
      const bundle = await rawRequest(s.url, "/app.js", { "accept-encoding": "gzip" });
      expect(bundle.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(bundle.body).toString()).toBe((await rawRequest(s.url, "/app.js")).body.toString());
      // a small answer goes as it is
      const small = await rawRequest(s.url, `/api/run/nope`, { "accept-encoding": "gzip" });
      expect(small.status).toBe(404);
      expect(small.headers["content-encoding"]).toBeUndefined();
    } finally {
      await stop(s);
    }
  });

  it("answers /favicon.ico with no content, and the page names an inline icon", async () => {
    const s = await serve(home, []);
    try {
      expect((await rawRequest(s.url, "/favicon.ico")).status).toBe(204);
      expect(await (await fetch(s.url)).text()).toMatch(/<link rel="icon" href="data:image\/svg\+xml,/);
    } finally {
      await stop(s);
    }
  });

  it("sends only the rows that changed since the version the page holds, and the whole table when runs came or went", async () => {
    const s = await serve(home, []);
    try {
      const full = (await getJson<RunsResponse>(`${s.url}api/runs`)).body;
      const same = (await getJson<RunsDelta>(`${s.url}api/runs?since=${full.version}`)).body;
      expect(same).toEqual({
        delta: true,
        base: full.version,
        version: full.version,
        total: full.total,
        warnings: full.warnings,
        changed: [],
      });
      // the run whose LOCK names another host is unfinished: its files are read again after a change
      const running = "0a".repeat(16);
      const at = full.rows.findIndex((r) => r.id === running);
      const lossColumn = full.columns.findIndex((c) => c.key === "last loss");
      appendFileSync(
        join(home, "runs", running, "scalars.jsonl"),
        JSON.stringify({ key: "loss", value: -42.5, step: 99, t: Date.now() / 1000 }) + "\n",
      );
      const version = await waitForVersion(s.url, full.version);
      const delta = (await getJson<RunsDelta>(`${s.url}api/runs?since=${full.version}`)).body;
      expect(delta.delta).toBe(true);
      expect(delta.version).toBe(version);
      expect(delta.changed.map((c) => c.at)).toEqual([at]);
      expect(delta.changed[0]!.row.values[lossColumn]).toBe(-42.5);
      const now = (await getJson<RunsResponse>(`${s.url}api/runs`)).body;
      const rows = full.rows.slice();
      for (const c of delta.changed) rows[c.at] = c.row;
      expect(rows).toEqual(now.rows);
      // a version the server no longer holds, or a new run: the whole table
      expect("delta" in (await getJson<RunsDelta | RunsResponse>(`${s.url}api/runs?since=0`)).body).toBe(false);
      const run = g(["run", "-y", join(ROOT, "test", "e2e", "scripts", "count.js"), "--steps", "2"], { home });
      expect(run.code, run.stderr).toBe(0);
      await waitForVersion(s.url, version);
      const grown = (await getJson<RunsResponse>(`${s.url}api/runs?since=${version}`)).body;
      expect("delta" in grown).toBe(false);
      expect(grown.rows.length).toBe(now.rows.length + 1);
    } finally {
      await stop(s);
    }
  });
});

describe("g view -c", () => {
  let home: string;
  beforeAll(() => {
    home = tempDir("g-view-cols-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
  });
  afterAll(cleanTempDirs);

  it("shows the columns -c names, as g compare -c does, repeatable; the page's cols still win", async () => {
    const s = await serve(home, ["-c", "min loss", "-c", "=x, max acc as best"]);
    try {
      const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
      expect(body.columns.map((c) => c.header).slice(-3)).toEqual(["min loss", "x", "best"]);
      const cmp = compareJson(home, ["-c", "min loss, =x, max acc as best"]);
      expect(body.rows.map((r) => r.id)).toEqual(cmp.map((r) => r.id));
      const asked = (await getJson<RunsResponse>(`${s.url}api/runs?cols=${encodeURIComponent("max loss")}`)).body;
      expect(asked.columns.map((c) => c.header).at(-1)).toBe("max loss");
      expect(asked.columns.map((c) => c.header)).not.toContain("min loss");
    } finally {
      await stop(s);
    }
  });

  it("fails before serving on a column g compare -c refuses, with its message and exit code", () => {
    for (const cols of [["lsos"], ["min loss", "=xx"], [".tme"], ["min loss,"]]) {
      const view = g(["view", "--no-open", "--port", "0", ...cols.flatMap((c) => ["-c", c])], { home });
      const compare = g(["compare", "-T", "-c", cols.at(-1)!], { home });
      expect(compare.code, cols.join(" ")).toBe(2);
      expect(view.code, cols.join(" ")).toBe(2);
      expect(view.stdout).toBe("");
      expect(view.stderr).toBe(compare.stderr);
    }
    expect(g(["view", "--no-open", "--port", "0", "-c", "lsos"], { home }).stderr).toMatch(/did you mean loss\?/);
  });

  it("writes the -c columns into an exported report", () => {
    const file = join(home, "cols.html");
    const res = g(["view", "--export", file, "-c", "min loss"], { home });
    expect(res.code, res.stderr).toBe(0);
    const html = readFileSync(file, "utf8");
    const data = JSON.parse(/<script type="application\/json" id="g-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as ExportData;
    expect(data.runs.columns.map((c) => c.header).at(-1)).toBe("min loss");
  });
});

describe("g view: a run's command, as g runs info shows it", () => {
  let home: string;
  let s: Served;
  beforeAll(async () => {
    home = tempDir("g-view-cmd-");
    const work = join(home, "my work");
    mkdirSync(work);
    // A globals-style script (run under g's bootstrap) and an argparse one, in a folder whose name needs quoting.
    writeFileSync(join(work, "globals.py"), "lr = 0.1\nname = 'a'\nprint('loss: %s' % lr)\n");
    writeFileSync(
      join(work, "args.py"),
      "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\nprint('loss: %s' % p.parse_args().lr)\n",
    );
    expect(g(["run", "-y", join(work, "globals.py"), "lr=0.5", "name=it's"], { home }).code).toBe(0);
    expect(g(["run", "-y", join(work, "args.py"), "lr=0.25"], { home }).code).toBe(0);
    s = await serve(home, []);
  });
  afterAll(async () => {
    if (s) await stop(s);
    cleanTempDirs();
  });

  it("is a line to copy: the g run line of a globals-style run, the quoted argv of another", async () => {
    const runs = JSON.parse(g(["runs", "list", "--json"], { home }).stdout) as Array<{ id: string; op: string }>;
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const info = g(["runs", "info", run.id], { home }).stdout;
      const shown = /^command: +(.*)$/m.exec(info)![1]!;
      const { body } = await getJson<RunDetail>(`${s.url}api/run/${run.id}`);
      expect(body.command).toBe(shown);
      if (run.op.endsWith("globals.py")) {
        expect(body.command).toMatch(/^g run '.*\/my work\/globals\.py' lr=0\.5 /);
        expect(body.command).not.toContain("bootstrap");
      } else {
        expect(body.command).toContain("'");
        expect(body.command).toContain("--lr 0.25");
      }
    }
  });
});

describe("g view: a flag recorded as null", () => {
  afterAll(cleanTempDirs);

  it("gives the cell null, as g compare -T shows it, and an empty cell for a flag the run lacks", async () => {
    const home = tempDir("g-view-null-");
    const cwd = tempDir("g-view-null-src-");
    writeFileSync(join(cwd, "s.py"), "opt = 1\nprint('loss: 0.5')\n");
    writeFileSync(join(cwd, "t.py"), "print('loss: 0.25')\n");
    for (const args of [["s.py", "opt=null"], ["s.py", "opt=2"], ["t.py"]]) {
      const res = g(["run", "-y", "-q", ...args], { home, cwd });
      expect(res.code, res.stderr).toBe(0);
    }
    const s = await serve(home, []);
    try {
      const { body } = await getJson<RunsResponse>(`${s.url}api/runs`);
      const opt = body.columns.findIndex((c) => c.key === "=opt");
      expect(body.columns[opt]!.numeric).toBe(true);
      expect(body.rows.map((r) => [r.cells[opt], r.values[opt]])).toEqual([
        ["", null],
        ["2", 2],
        ["null", null],
      ]);
    } finally {
      await stop(s);
    }
  });
});
