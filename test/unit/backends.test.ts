// The Slurm backend's pure parts: which array task this process is, how
// --slurm-opt text becomes sbatch arguments, and sbatch's argv.

import { describe, expect, it } from "vitest";
import {
  buildSbatchArgv,
  formatArrayIndices,
  parseScontrolJobs,
  slurmPlacement,
  slurmSeconds,
  splitSlurmOptions,
  slurmErrorLine,
  slurmOutcomes,
} from "../../src/backends/slurm.js";
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

  it("keeps quoted blanks inside one argument, expands nothing, and refuses an unclosed quote", () => {
    expect(splitSlurmOptions([`--job-name="my search" --comment='a $HOME b'`])).toEqual(["--job-name=my search", "--comment=a $HOME b"]);
    expect(() => splitSlurmOptions([`--comment="open`])).toThrow(
      `--slurm-opt "--comment="open" has an unclosed " quote; close it or drop it`,
    );
    expect(() => splitSlurmOptions(["--partition=gpu; rm -rf /"])).toThrow(/"rm" is not one/);
  });

  it("writes a batch's trial numbers as sbatch's --array ranges", () => {
    expect(formatArrayIndices([1, 2, 3, 4])).toBe("1-4");
    expect(formatArrayIndices([9, 1, 3, 2, 7, 10, 3])).toBe("1-3,7,9-10");
    expect(formatArrayIndices([5])).toBe("5");
    const argv = buildSbatchArgv(
      { gArgs: [], tasks: 3, indices: [2, 5, 6], parallel: 2, name: "n", cwd: "/", home: "/h", logDir: "/l", options: [] },
      "/s",
    );
    expect(argv[1]).toBe("--array=2,5-6%2");
  });

  it("reads each array task's state from scontrol -o show job, pending ranges as no single task", () => {
    const text = [
      "JobId=49 ArrayJobId=49 ArrayTaskId=4-6%2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED",
      "JobId=52 ArrayJobId=49 ArrayTaskId=3 JobState=RUNNING Reason=None ExitCode=0:0 RunTime=00:00:01 TimeLimit=01:00:00",
      "JobId=50 ArrayJobId=49 ArrayTaskId=1 JobState=CANCELLED Reason=None ExitCode=0:15 RunTime=00:00:02 TimeLimit=01:00:00",
      "JobId=51 ArrayJobId=49 ArrayTaskId=2 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 RunTime=00:01:00 TimeLimit=00:01:00",
      "JobId=53 ArrayJobId=49 ArrayTaskId=7 JobState=NODE_FAIL Reason=NodeDown ExitCode=0:0 RunTime=00:00:09 TimeLimit=01:00:00",
      "",
    ].join("\n");
    const tasks = parseScontrolJobs(text, "49");
    expect(tasks.map((t) => [t.task, t.state, t.ended, t.outcome])).toEqual([
      [null, "PENDING", false, "error"],
      [3, "RUNNING", false, "error"],
      [1, "CANCELLED", true, "terminated"],
      [2, "TIMEOUT", true, "terminated"],
      [7, "NODE_FAIL", true, "error"],
    ]);
    expect(tasks[2]!.reason).toBe("Slurm: job 49_1 CANCELLED (cancelled by scancel or g stop)");
    expect(tasks[3]!.reason).toBe("Slurm: job 49_2 TIMEOUT (reached its time limit, TimeLimit)");
    expect(tasks[4]!.reason).toBe("Slurm: job 49_7 NODE_FAIL (its node failed, NodeDown)");
  });

  it("counts an ended job's tasks that did not end COMPLETED as failed agents, each with its log", () => {
    const text = [
      "JobId=60 ArrayJobId=60 ArrayTaskId=0 JobState=COMPLETED Reason=None ExitCode=0:0",
      "JobId=61 ArrayJobId=60 ArrayTaskId=1 JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0",
      "JobId=62 ArrayJobId=60 ArrayTaskId=2 JobState=CANCELLED Reason=None ExitCode=0:15",
    ].join("\n");
    const job = { backend: "slurm", job: "60", tasks: [0, 1, 2, 3].map((task) => ({ task, log: `/h/agents/60_${task}.out` })) };
    expect(slurmOutcomes(job, parseScontrolJobs(text, "60"))).toEqual([
      { task: 0, log: "/h/agents/60_0.out", failure: null },
      { task: 1, log: "/h/agents/60_1.out", failure: "Slurm: job 60_1 FAILED (failed, NonZeroExitCode)" },
      { task: 2, log: "/h/agents/60_2.out", failure: "Slurm: job 60_2 CANCELLED (cancelled by scancel or g stop)" },
      // Slurm no longer reports it: nothing says it failed.
      { task: 3, log: "/h/agents/60_3.out", failure: null },
    ]);
  });

  it("tells a task stopped at its time limit while it is still COMPLETING", () => {
    const line = (run: string) => `JobId=9 ArrayJobId=8 ArrayTaskId=1 JobState=COMPLETING Reason=None RunTime=${run} TimeLimit=00:01:00`;
    expect(parseScontrolJobs(line("00:01:00"), "8")[0]!.reason).toBe("Slurm: job 8_1 COMPLETING (stopped at its time limit)");
    expect(parseScontrolJobs(line("00:00:20"), "8")[0]!.reason).toBe(
      "Slurm: job 8_1 COMPLETING (stopped by the scheduler; its final state follows)",
    );
    expect(slurmSeconds("1-02:03:04")).toBe(93_784);
    expect(slurmSeconds("05:06")).toBe(306);
    expect(slurmSeconds("UNLIMITED")).toBeNull();
  });

  it("submits N tasks as one array, throttled with %P, the user's options before the script, g's arguments after it", () => {
    const argv = buildSbatchArgv(
      {
        gArgs: ["agent", "0000abcd"],
        tasks: 16,
        parallel: 8,
        name: "g-agent-0000abcd",
        cwd: "/w",
        home: "/h",
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
    expect(buildSbatchArgv({ gArgs: [], tasks: 2, name: "n", cwd: "/", home: "/h", logDir: "/l", options: [] }, "/s")[1]).toBe(
      "--array=0-1",
    );
  });

  it("knows local and slurm, and names both when given another", () => {
    expect(selectBackend("slurm").name).toBe("slurm");
    expect(selectBackend("local").name).toBe("local");
    expect(() => selectBackend("k8s")).toThrow('unknown --backend "k8s"; choose one of local, slurm');
    expect(() => selectBackend("slrum")).toThrow('unknown --backend "slrum"; did you mean slurm?; choose one of local, slurm');
  });
});

describe("slurmErrorLine", () => {
  it("keeps the line that names the command, not the --help hint after it", () => {
    const stderr = "sbatch: unrecognized option '--partitoin=gpu'\nTry \"sbatch --help\" for more information\n";
    expect(slurmErrorLine("sbatch", stderr)).toBe("sbatch: unrecognized option '--partitoin=gpu'");
    expect(slurmErrorLine("sbatch", "something odd\nlast words\n")).toBe("last words");
    expect(slurmErrorLine("sbatch", "")).toBe("");
  });
});
