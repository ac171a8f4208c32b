import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchScript } from "./batch-script.js";
import type { MergedJob } from "./job-resolution.js";

const job = (over: Partial<MergedJob> = {}): MergedJob => ({
  app: { id: "a", version: "1" },
  system: { id: "hpc", settings: { type: "slurm", host: "localhost", port: null, identityUuid: null, rootDir: "/scratch", partition: "debug", containerRuntime: "podman", schedulerOptions: ["--account=lab"] } },
  containerImage: null,
  argv: ["printf", "%s|", "it's $(danger)", "two words"],
  nodeCount: 2,
  coresPerNode: 4,
  memoryMb: 500,
  maxMinutes: 30,
  env: [{ key: "MSG", value: "a 'quoted' $HOME `value`" }],
  schedulerOptions: ["--account=lab", "--qos=short"],
  fileInputs: [],
  ...over,
});

describe("batchScript", () => {
  it("writes #SBATCH lines from the merged definition, the smaller of maxMinutes and max_exec_time as --time", () => {
    const script = batchScript({ job: job(), jobDir: "/scratch/r/t/1", jobName: "cairn-r-t", comment: "cairn-e", maxExecSeconds: 600, systemCopies: [] });
    const sbatch = script.split("\n").filter((l) => l.startsWith("#SBATCH"));
    expect(sbatch).toEqual([
      "#SBATCH --job-name=cairn-r-t",
      "#SBATCH --comment=cairn-e",
      "#SBATCH --chdir=/scratch/r/t/1",
      "#SBATCH --output=/scratch/r/t/1/stdout.txt",
      "#SBATCH --error=/scratch/r/t/1/stderr.txt",
      "#SBATCH --time=10",
      "#SBATCH --partition=debug",
      "#SBATCH --nodes=2",
      "#SBATCH --ntasks-per-node=4",
      "#SBATCH --mem=500M",
      "#SBATCH --account=lab",
      "#SBATCH --qos=short",
    ]);
    expect(batchScript({ job: job(), jobDir: "/j", jobName: "n", comment: "c", maxExecSeconds: 7200, systemCopies: [] })).toContain("#SBATCH --time=30\n");
  });

  it("quotes every value: arguments and variables reach the command exactly as given, never run as shell code", () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-batch-script-"));
    try {
      const script = batchScript({ job: job({ argv: ["sh", "-c", 'printf "%s|" "$@" "$MSG" > out', "sh", "it's $(touch pwned)", "two words"] }), jobDir: dir, jobName: "n", comment: "c", maxExecSeconds: 60, systemCopies: [] });
      writeFileSync(join(dir, "job.sh"), script);
      execFileSync("sh", [join(dir, "job.sh")]);
      expect(readFileSync(join(dir, "out"), "utf8")).toBe("it's $(touch pwned)|two words|a 'quoted' $HOME `value`|");
      expect(readFileSync(join(dir, ".cairn-exit"), "utf8")).toBe("0\n");
      expect(() => readFileSync(join(dir, "pwned"))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs an app's image through podman with the job folder at the same path", () => {
    const script = batchScript({ job: job({ containerImage: "localhost/tool:1", argv: ["run"] }), jobDir: "/j", jobName: "n", comment: "c", maxExecSeconds: 60, systemCopies: [{ from: "/data/in put", to: "/j/in" }] });
    expect(script).toContain("podman run --rm --volume=/j:/j --workdir=/j --env=CAIRN_JOB_OUTPUTS --env=CAIRN_JOB_INPUTS --env=MSG localhost/tool:1 run\n");
    expect(script).toContain("cp -R -- '/data/in put' /j/in");
  });
});
