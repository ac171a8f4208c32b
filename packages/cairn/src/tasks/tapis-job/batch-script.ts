import { shellQuote } from "../../runtimes/slurm/slurm-shell.js";
import type { MergedJob } from "./job-resolution.js";

/** The files of a job folder Cairn writes or reads; everything else in it is the job's. */
export const JOB_FILES = {
  script: "job.sh",
  stdout: "stdout.txt",
  stderr: "stderr.txt",
  /** The batch script's exit code, written by the script itself: read when the controller has forgotten the job. */
  exit: ".cairn-exit",
  outputs: "outputs",
  inputs: "inputs",
} as const;

export interface BatchScriptOptions {
  job: MergedJob;
  /** Absolute path of the job folder on the system. */
  jobDir: string;
  /** `cairn-RUN-TASK`. */
  jobName: string;
  /** `cairn-EXECUTION`: finds the job again after a crash between sbatch and recording its id. */
  comment: string;
  /** The engine's max_exec_time, in seconds; the job's --time is the smaller of it and maxMinutes. */
  maxExecSeconds: number;
  /** `system:` file inputs, copied by the job itself (with its user's rights on that system). */
  systemCopies: { from: string; to: string }[];
}

/**
 * The batch script of one job: `#SBATCH` lines from the merged definition, the job's
 * environment, the copies of system paths into the folder, then the app's command (in
 * podman when the app has an image). Every value is quoted: nothing a pipeline gives is
 * read by a shell as code.
 */
export function batchScript(o: BatchScriptOptions): string {
  const { job, jobDir } = o;
  const at = (name: string) => `${jobDir}/${name}`;
  const minutes = Math.max(1, Math.min(job.maxMinutes ?? Number.POSITIVE_INFINITY, Math.ceil(o.maxExecSeconds / 60)));
  const sbatch = [
    `--job-name=${o.jobName}`,
    `--comment=${o.comment}`,
    `--chdir=${jobDir}`,
    `--output=${at(JOB_FILES.stdout)}`,
    `--error=${at(JOB_FILES.stderr)}`,
    `--time=${minutes}`,
    ...(job.system.settings.partition ? [`--partition=${job.system.settings.partition}`] : []),
    ...(job.nodeCount !== null ? [`--nodes=${job.nodeCount}`] : []),
    ...(job.coresPerNode !== null ? [`--ntasks-per-node=${job.coresPerNode}`] : []),
    ...(job.memoryMb !== null ? [`--mem=${job.memoryMb}M`] : []),
    ...job.schedulerOptions,
  ];
  const env = [{ key: "CAIRN_JOB_OUTPUTS", value: at(JOB_FILES.outputs) }, { key: "CAIRN_JOB_INPUTS", value: at(JOB_FILES.inputs) }, ...job.env];
  const command =
    job.containerImage === null
      ? job.argv
      : [
          "podman",
          "run",
          "--rm",
          // The job folder at the same path inside, so $CAIRN_JOB_OUTPUTS means the same there.
          `--volume=${jobDir}:${jobDir}`,
          `--workdir=${jobDir}`,
          ...env.map((v) => `--env=${v.key}`),
          job.containerImage,
          ...job.argv,
        ];
  const lines = [
    "#!/bin/sh",
    ...sbatch.map((option) => `#SBATCH ${option}`),
    "# Written by Cairn for a tapis_job task.",
    `cd ${shellQuote(jobDir)} || exit 1`,
    ...env.map((v) => `export ${v.key}=${shellQuote(v.value)}`),
    ...o.systemCopies.map((c) => `mkdir -p -- "$(dirname -- ${shellQuote(c.to)})" && cp -R -- ${shellQuote(c.from)} ${shellQuote(c.to)} || { echo ${shellQuote(`cairn: copying ${c.from} failed`)} >&2; echo 1 > ${JOB_FILES.exit}; exit 1; }`),
    command.length === 0 ? "true" : command.map(shellQuote).join(" "),
    "code=$?",
    `echo "$code" > ${JOB_FILES.exit}`,
    'exit "$code"',
  ];
  return lines.join("\n") + "\n";
}
