// The Slurm backend's pure parts: which array task this process is, how
// --slurm-opt text becomes sbatch arguments, and sbatch's argv.

import { describe, expect, it } from "vitest";
import { buildSbatchArgv, slurmPlacement, splitSlurmOptions } from "../../src/backends/slurm.js";
import { selectBackend } from "../../src/backends/index.js";

describe("the Slurm backend", () => {
  it("names an array task by SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID, not its own SLURM_JOB_ID", () => {
    expect(slurmPlacement({ SLURM_JOB_ID: "107", SLURM_ARRAY_JOB_ID: "100", SLURM_ARRAY_TASK_ID: "7" })).toEqual({
      backend: "slurm",
      job: "100",
      task: 7,
    });
    expect(slurmPlacement({ SLURM_JOB_ID: "55" })).toEqual({ backend: "slurm", job: "55" });
    expect(slurmPlacement({})).toBeNull();
  });

  it("splits --slurm-opt on blanks into separate arguments and refuses words that are not options", () => {
    expect(splitSlurmOptions(["--partition=gpu  --gres=gpu:1", "--time=1:00:00"])).toEqual([
      "--partition=gpu",
      "--gres=gpu:1",
      "--time=1:00:00",
    ]);
    expect(() => splitSlurmOptions(["--partition gpu"])).toThrow(/"gpu" is not one/);
  });

  it("submits N tasks as one array, throttled with %P, the user's options before the script, g's arguments after it", () => {
    const argv = buildSbatchArgv(
      {
        gArgs: ["agent", "0000abcd"],
        tasks: 16,
        parallel: 8,
        name: "g-agent-0000abcd",
        cwd: "/w",
        logDir: "/h/agents",
        options: ["--partition=gpu"],
      },
      "/h/agents/g-task.sh",
    );
    expect(argv.slice(0, 6)).toEqual([
      "--parsable",
      "--array=0-15%8",
      "--job-name=g-agent-0000abcd",
      "--output=/h/agents/%A_%a.out",
      "--chdir=/w",
      "--export=ALL",
    ]);
    const script = argv.indexOf("/h/agents/g-task.sh");
    expect(argv[script - 1]).toBe("--partition=gpu");
    expect(argv.slice(-2)).toEqual(["agent", "0000abcd"]);
    expect(buildSbatchArgv({ gArgs: [], tasks: 2, name: "n", cwd: "/", logDir: "/l", options: [] }, "/s")[1]).toBe("--array=0-1");
  });

  it("knows local and slurm, and names both when given another", () => {
    expect(selectBackend("slurm").name).toBe("slurm");
    expect(selectBackend("local").name).toBe("local");
    expect(() => selectBackend("k8s")).toThrow('unknown --backend "k8s"; choose one of local, slurm');
  });
});
