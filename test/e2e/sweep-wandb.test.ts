// W&B's sweep.yaml, its whole surface, end to end in W&B's own file form:
// every distribution, list values and nested parameters reaching a stdlib
// Python script as W&B's agent writes them, every command macro, a shell
// script as the program (executable, and by its #! line) found beside the
// sweep file, metric.target, hyperband with every key, `g agent
// entity/project/ID` and `g sweep --delete`. Spawns the real bin/g.

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(__dirname, "../../bin/g");
const DIST = resolve(__dirname, "../../dist/commands/agent.js");

let work: string;
let home: string;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error("dist/ is not built; run npm run build before the e2e tests");
  work = mkdtempSync(join(tmpdir(), "g-wandb-e2e-"));
  home = join(work, "home");
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function g(args: string[], cwd = work): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, G_HOME: home, NO_COLOR: "1" }, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function createSweep(file: string, yaml: string, cwd = work): string {
  writeFileSync(join(cwd, file), yaml);
  const r = g(["sweep", file], cwd);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** The argv each trial's program saw, in trial order (the script appends one JSON line per run). */
function argvLog(file: string): string[][] {
  return readFileSync(join(work, file), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as string[]);
}

const ARGV_SCRIPT = (log: string) => `import json, os, sys
with open(${JSON.stringify(join("LOG_DIR", log))}.replace("LOG_DIR", os.environ["LOG_DIR"]), "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
print("loss: 1")
`;

describe("W&B sweep.yaml end to end", () => {
  it("draws every W&B distribution and passes values as W&B's agent writes them (Python's str())", () => {
    writeFileSync(join(work, "show.py"), ARGV_SCRIPT("dists.log"));
    const id = createSweep(
      "dists.yaml",
      `program: show.py
method: random
run_cap: 3
parameters:
  const_list: {value: [1, 2]}
  cat: {values: [adam, sgd]}
  weighted: {values: [1.0, 2.0], probabilities: [0.0, 1.0]}
  flag: {values: [true]}
  nothing: {value: null}
  ints: {min: 1, max: 9}
  floats: {min: 0.5, max: 1}
  qu: {distribution: q_uniform, min: 0, max: 10, q: 2}
  quf: {distribution: q_uniform, min: 0, max: 10}
  lu: {distribution: log_uniform, min: -11.5, max: -11.4}
  luv: {distribution: log_uniform_values, min: 0.00001, max: 0.00002}
  qlu: {distribution: q_log_uniform, min: 3.4657, max: 5.5452, q: 1}
  qluv: {distribution: q_log_uniform_values, min: 16, max: 256, q: 16}
  ilu: {distribution: inv_log_uniform, min: 1, max: 2}
  iluv: {distribution: inv_log_uniform_values, min: 0.1, max: 0.2}
  nrm: {distribution: normal, mu: 100, sigma: 1}
  qn: {distribution: q_normal, mu: 100, sigma: 10, q: 5}
  ln: {distribution: log_normal, mu: 0, sigma: 0.1}
  qln: {distribution: q_log_normal, mu: 3, sigma: 0.1, q: 1}
  bt: {distribution: beta, a: 2, b: 2}
  qb: {distribution: q_beta, a: 2, b: 2, q: 0.5}
  optimizer:
    parameters:
      lr: {value: 0.001}
      nadam:
        parameters:
          beta: {value: 0.9}
`,
    );
    const r = spawnSync(process.execPath, [BIN, "agent", id], {
      cwd: work,
      env: { ...process.env, G_HOME: home, LOG_DIR: work },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const runs = argvLog("dists.log");
    expect(runs).toHaveLength(3);
    for (const argv of runs) {
      const args = Object.fromEntries(argv.map((a) => [a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
      expect(args.const_list).toBe("[1, 2]");
      expect(["adam", "sgd"]).toContain(args.cat);
      expect(args.weighted).toBe("2.0");
      expect(args.flag).toBe("True");
      expect(args.nothing).toBe("None");
      expect(args.ints).toMatch(/^[1-9]$/);
      expect(args.floats).toMatch(/^(0\.\d+|1\.0)$/);
      // W&B: an int q gives ints; its default q (1.0) floats.
      expect(args.qu).toMatch(/^(0|2|4|6|8|10)$/);
      expect(args.quf).toMatch(/^\d+\.0$/);
      expect(args.lu).toMatch(/^1\.\d+e-05$/);
      expect(args.luv).toMatch(/^1\.\d+e-05$|^2e-05$/);
      expect(Number(args.qlu)).toBeGreaterThanOrEqual(32);
      expect(args.qlu).toMatch(/^\d+$/);
      expect(Number(args.qluv) % 16).toBe(0);
      expect(Number(args.ilu)).toBeGreaterThanOrEqual(Math.exp(-2));
      expect(Number(args.ilu)).toBeLessThanOrEqual(Math.exp(-1));
      expect(Number(args.iluv)).toBeGreaterThanOrEqual(0.1);
      expect(Number(args.nrm)).toBeGreaterThan(90);
      expect(args.nrm).toContain(".");
      expect(args.qn).toMatch(/^\d+$/);
      expect(Number(args.qn) % 5).toBe(0);
      expect(Number(args.ln)).toBeGreaterThan(0);
      expect(args.qln).toMatch(/^\d+$/);
      expect(Number(args.bt)).toBeGreaterThanOrEqual(0);
      expect(Number(args.bt)).toBeLessThanOrEqual(1);
      expect(["0.0", "0.5", "1.0"]).toContain(args.qb);
      expect(args.optimizer).toBe("{'lr': 0.001, 'nadam': {'beta': 0.9}}");
    }
    // The run records flat flags: the nested ones by their dotted path, list values as JSON text.
    const listed = JSON.parse(g(["runs", "list", "--op", `sweep:${id}`, "--json"]).stdout) as { id: string }[];
    const record = JSON.parse(readFileSync(join(home, "runs", listed[0]!.id, "run.json"), "utf8")) as { flags: Record<string, unknown> };
    expect(record.flags["optimizer.nadam.beta"]).toBe(0.9);
    expect(record.flags.const_list).toBe("[1,2]");
  });

  it("runs bayes over W&B's continuous distributions (beta, inverse log, quantised log-normal) and weighted values", () => {
    writeFileSync(
      join(work, "bowl.py"),
      `import sys
a = dict(x.lstrip("-").split("=", 1) for x in sys.argv[1:])
loss = (float(a["b"]) - 0.3) ** 2 + abs(float(a["w"]) - 0.05) + (0 if a["opt"] == "adam" else 1) + float(a["n"]) / 1000
print("loss: %f" % loss)
`,
    );
    const id = createSweep(
      "bayes.yaml",
      `program: bowl.py
method: bayes
metric: {name: loss, goal: minimize}
run_cap: 8
command: ["\${interpreter}", "\${program}", "\${args}"]
parameters:
  b: {distribution: beta, a: 2, b: 2}
  w: {distribution: inv_log_uniform_values, min: 0.001, max: 1}
  n: {distribution: q_log_normal, mu: 2, sigma: 0.5, q: 1}
  opt: {values: [adam, sgd], probabilities: [0.5, 0.5]}
`,
    );
    const r = g(["agent", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/agent ran 8 trial\(s\): 8 completed/);
    const listed = JSON.parse(g(["runs", "list", "--op", `sweep:${id}`, "--json"]).stdout) as { id: string }[];
    for (const run of listed) {
      const flags = (JSON.parse(readFileSync(join(home, "runs", run.id, "run.json"), "utf8")) as { flags: Record<string, number | string> })
        .flags;
      expect(flags.b as number).toBeGreaterThanOrEqual(0);
      expect(flags.b as number).toBeLessThanOrEqual(1);
      expect(flags.w as number).toBeGreaterThanOrEqual(0.001);
      expect(flags.w as number).toBeLessThanOrEqual(1);
      expect(Number.isInteger(flags.n)).toBe(true);
      expect(["adam", "sgd"]).toContain(flags.opt);
    }
  });

  it("expands every command macro, ${args_json_file} a file the program reads", () => {
    writeFileSync(
      join(work, "macros.py"),
      `import json, os, sys
argv = sys.argv[1:]
i = argv.index("--file")
with open(argv[i + 1]) as f:
    from_file = json.load(f)
with open(os.path.join(os.environ["LOG_DIR"], "macros.log"), "a") as f:
    f.write(json.dumps(argv[:i] + ["FILE:" + json.dumps(from_file, sort_keys=True)] + argv[i + 2:]) + "\\n")
`,
    );
    const id = createSweep(
      "macros.yaml",
      `program: macros.py
method: grid
command:
  - \${env}
  - \${interpreter}
  - \${program}
  - \${args}
  - \${args_no_hyphens}
  - \${args_no_equals}
  - \${args_no_boolean_flags}
  - \${args_json}
  - --file
  - \${args_json_file}
  - --who=\${envvar:WHO}
parameters:
  lr: {value: 0.00001}
  on: {values: [false]}
  name: {value: a b}
`,
    );
    const r = spawnSync(process.execPath, [BIN, "agent", `me/my-project/${id}`], {
      cwd: work,
      env: { ...process.env, G_HOME: home, LOG_DIR: work, WHO: "tester" },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(argvLog("macros.log")).toEqual([
      [
        "--lr=1e-05",
        "--on=False",
        "--name=a b",
        "lr=1e-05",
        "on=False",
        "name=a b",
        "--lr",
        "1e-05",
        "--on",
        "False",
        "--name",
        "a b",
        "--lr=1e-05",
        "--name=a b",
        '{"lr": 1e-05, "on": false, "name": "a b"}',
        'FILE:{"lr": 1e-05, "name": "a b", "on": false}',
        "--who=tester",
      ],
    ]);
  });

  it("runs a shell script found beside the sweep file: directly when executable, by its #! line otherwise", () => {
    const dir = join(work, "project");
    mkdirSync(dir, { recursive: true });
    const script = `#!/bin/sh
echo "$@" >> "$LOG_DIR/sh.log"
echo "loss: 0.5"
`;
    writeFileSync(join(dir, "quick.sh"), script);
    chmodSync(join(dir, "quick.sh"), 0o755);
    writeFileSync(join(dir, "plain.sh"), script); // not executable: run by /bin/sh from its #! line
    for (const program of ["quick.sh", "plain.sh"]) {
      writeFileSync(join(dir, `${program}.yaml`), `program: ${program}\nmethod: grid\nparameters:\n  x: {values: [1, 2.5]}\n`);
      // Created from another folder, and the agent runs elsewhere too: the program is found beside the sweep file.
      const made = g(["sweep", join("project", `${program}.yaml`)]);
      expect(made.code, made.stderr).toBe(0);
      const elsewhere = join(work, "elsewhere");
      mkdirSync(elsewhere, { recursive: true });
      const r = spawnSync(process.execPath, [BIN, "agent", made.stdout.trim()], {
        cwd: elsewhere,
        env: { ...process.env, G_HOME: home, LOG_DIR: work },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/2 completed, 0 early-stopped, 0 failed/);
    }
    expect(readFileSync(join(work, "sh.log"), "utf8").trim().split("\n")).toEqual(["--x=1", "--x=2.5", "--x=1", "--x=2.5"]);
  });

  it("refuses a program that is neither executable nor has a #! line, before any trial", () => {
    writeFileSync(join(work, "nobang.sh"), "echo hi\n");
    const id = createSweep("nobang.yaml", "program: nobang.sh\nmethod: grid\nparameters:\n  x: {values: [1]}\n");
    const r = g(["agent", id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^g: cannot run nobang\.sh: it is not executable/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("refuses a missing Python program before claiming any trial", () => {
    const id = createSweep("gone.yaml", "program: gone.py\nmethod: random\nparameters:\n  x: {values: [1, 2]}\n");
    const r = g(["agent", id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^g: cannot run gone\.py: \S*gone\.py does not exist/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const listing = JSON.parse(g(["sweeps", "--json"]).stdout) as { id: string; counts: { claimed: number } }[];
    expect(listing.find((s) => s.id === id)?.counts.claimed).toBe(0);
    // The same check before agents are submitted to a backend.
    const backend = g(["agent", id, "--backend", "local", "--agents", "2", "--wait"]);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/^g: cannot run gone\.py: \S*gone\.py does not exist/);
    expect(backend.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("stops proposing once a finished trial reaches metric.target, and g sweeps says so", () => {
    writeFileSync(join(work, "target.py"), `import sys\nloss = float(sys.argv[1].split("=")[1])\nprint("loss: %s" % loss)\n`);
    const id = createSweep(
      "target.yaml",
      "program: target.py\nmethod: grid\nmetric: {name: loss, goal: minimize, target: 2}\nparameters:\n  loss: {values: [5, 1, 3, 0.5]}\n",
    );
    const r = g(["agent", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trial 2 \(run [0-9a-f]{8}\) of sweep [0-9a-f]{8} reached metric\.target: loss 1 <= 2; no more trials/);
    expect(r.stderr).toMatch(/agent ran 2 trial/);
    const listing = (
      JSON.parse(g(["sweeps", "--json"]).stdout) as { id: string; state: string; target: { value: number; reachedBy: { trial: number } } }[]
    ).find((s) => s.id === id)!;
    expect(listing.state).toBe("finished");
    expect(listing.target.value).toBe(2);
    expect(listing.target.reachedBy.trial).toBe(2);
    expect(g(["sweeps"]).stdout).toMatch(/2 reached by [0-9a-f]{8} \(1\)/);
    // A second agent claims nothing either.
    const again = g(["agent", id]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/agent ran 0 trial/);
  });

  it("stops a bad trial by hyperband with every key (min_iter, eta, strict), as W&B computes it", () => {
    writeFileSync(
      join(work, "curve.py"),
      `import sys, time
quality = sys.argv[1].split("=")[1]
base = {"good": 1.0, "bad": 10.0}[quality]
for step in range(8):
    print("val_loss: %f" % (base / (step + 1)), flush=True)
    time.sleep(0.1)
`,
    );
    const id = createSweep(
      "hb.yaml",
      "program: curve.py\nmethod: grid\nmetric: {name: val_loss}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 3, strict: false}\nparameters:\n  quality: {values: [good, bad]}\n",
    );
    const r = g(["agent", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trial 2 \(run [0-9a-f]{8}\) stopped early: hyperband band 2: best 5 is worse than 0\.5/);
    const hb2 = createSweep(
      "hb2.yaml",
      "program: curve.py\nmethod: grid\nmetric: {name: val_loss}\nearly_terminate: {type: hyperband, max_iter: 9, s: 2, eta: 3}\nparameters:\n  quality: {values: [good, bad]}\n",
    );
    const r2 = g(["agent", hb2]);
    expect(r2.code, r2.stderr).toBe(0);
    // Bands floor(9 / 3) = 3 and floor(9 / 9) = 1: judged first at one logged value.
    expect(r2.stderr).toMatch(/trial 2 \(run [0-9a-f]{8}\) stopped early: hyperband band 1: value 10 at the band is worse than 1/);
  });

  it("deletes a sweep with no running trial; refuses while one runs", async () => {
    writeFileSync(
      join(work, "wait.py"),
      `import os, time\nopen(os.path.join(os.environ["LOG_DIR"], "waiting"), "w").close()\nwhile not os.path.exists(os.path.join(os.environ["LOG_DIR"], "go")):\n    time.sleep(0.05)\n`,
    );
    const id = createSweep("wait.yaml", "program: wait.py\nmethod: grid\nparameters:\n  x: {values: [1]}\n");
    const agent = spawn(process.execPath, [BIN, "agent", id], {
      cwd: work,
      env: { ...process.env, G_HOME: home, LOG_DIR: work },
      stdio: "ignore",
    });
    const exit = new Promise<number>((res) => agent.on("close", (code) => res(code ?? -1)));
    while (!existsSync(join(work, "waiting"))) await new Promise((res) => setTimeout(res, 50));
    const refused = g(["sweep", "--delete", id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(`^g: sweep ${id} has 1 running trial\\(s\\) \\(run [0-9a-f]{8}\\); stop them with g sweep --cancel ${id}`),
    );
    writeFileSync(join(work, "go"), "");
    expect(await exit).toBe(0);
    const deleted = g(["sweep", "--delete", `team/proj/${id}`]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toMatch(new RegExp(`deleted sweep ${id}; its 1 trial run\\(s\\) stay`));
    expect(existsSync(join(home, "sweeps", id))).toBe(false);
    expect(g(["agent", id]).code).toBe(3);
    expect(g(["sweep", "--delete", id]).code).toBe(3);
  });

  it("refuses what W&B's reference does not define, with one exit-2 line", () => {
    for (const [yaml, message] of [
      ["program: t.py\nmethod: custom\nparameters: {x: {value: 1}}\n", /method: custom needs W&B's Launch scheduler/],
      ["program: t.py\nmethod: random\nparameters:\n  x: {mu: 0, sigma: 1}\n", /W&B infers a distribution only from/],
      ["program: t.py\nmethod: grid\nparameters:\n  x: {distribution: normal}\n", /method grid needs a finite list/],
      [
        "program: t.py\nmethod: random\ncommand: ['${interpreter}', '${args_dict}']\nparameters: {x: {value: 1}}\n",
        /unknown macro \$\{args_dict\}/,
      ],
    ] as const) {
      writeFileSync(join(work, "bad.yaml"), yaml);
      const r = g(["sweep", "bad.yaml"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(g(["agent", "a/b/c/12345678"]).code).toBe(2);
  });
});
