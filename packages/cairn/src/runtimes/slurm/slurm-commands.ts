import { CairnError } from "../../errors.js";
import type { ShellResult, SlurmShell } from "./slurm-shell.js";

/**
 * The Slurm client commands Cairn runs (sbatch, squeue, scontrol, scancel) and what it
 * reads from their answers. Accounting (sacct) is never used: many clusters, and the
 * single-node ones in tests, run without slurmdbd, so a job's end is read from
 * scontrol while the controller still holds it (MinJobAge, 300 s by default).
 */

/** Slurm's job states that end a job (COMPLETING does not: the job's processes still exit). */
export const FINAL_STATES: ReadonlySet<string> = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "BOOT_FAIL",
  "DEADLINE",
  "PREEMPTED",
  "REVOKED",
  "SPECIAL_EXIT",
]);

export interface JobState {
  /** Slurm's word, e.g. PENDING, RUNNING, COMPLETED, TIMEOUT. */
  state: string;
  /** Slurm's reason, e.g. Resources, TimeLimit, NonZeroExitCode; null when "None". */
  reason: string | null;
  /** The batch script's exit code, from scontrol's `ExitCode=N:S` once the job ended. */
  exitCode?: number;
  /** The signal that ended it (the S of N:S), 0 for none. */
  signal?: number;
  startTime?: number;
  endTime?: number;
}

/** Checks that the system answers `sbatch --version` and `squeue`, and knows the partition; the message names what failed. */
export async function checkSlurm(shell: SlurmShell, partition: string | null): Promise<{ version: string }> {
  const version = await expectOk(shell, ["sbatch", "--version"], "sbatch --version");
  await expectOk(shell, ["squeue", "-h", "-o", "%i", "-j", "0"], "squeue", (r) => /Invalid job id/i.test(r.stderr));
  if (partition !== null) {
    const found = await expectOk(shell, ["sinfo", "-h", "-p", partition, "-o", "%P"], `sinfo -p ${partition}`);
    if (found.trim() === "") throw new CairnError("invalid_input", `Slurm on ${shell.where} has no partition '${partition}'`);
  }
  return { version: version.trim() };
}

/** Submits a batch script already on the system; answers the job id. */
export async function submitBatch(shell: SlurmShell, scriptPath: string): Promise<string> {
  const out = await expectOk(shell, ["sbatch", "--parsable", scriptPath], "sbatch");
  // --parsable prints `ID` or `ID;CLUSTER`.
  const id = out.trim().split(";")[0]!;
  if (!/^\d+$/.test(id)) throw new CairnError("runtime_unavailable", `sbatch on ${shell.where} answered '${out.trim().slice(0, 200)}', not a job id`);
  return id;
}

/**
 * The job's state: squeue while it is queued or running (one cheap line), then scontrol
 * for how it ended. Undefined when the controller no longer knows the job.
 */
export async function jobState(shell: SlurmShell, jobId: string): Promise<JobState | undefined> {
  const queue = await shell.exec(["squeue", "-h", "-t", "all", "-j", jobId, "-o", "%T|%r"]);
  const line = queue.code === 0 ? queue.stdout.trim().split("\n")[0] : undefined;
  if (line) {
    const [state, reason] = line.split("|");
    if (state && !FINAL_STATES.has(state)) return { state, reason: reasonOf(reason) };
  }
  return endedJobState(shell, jobId);
}

/** How a job ended, from scontrol (its exit code, times); undefined when the controller no longer knows it. */
export async function endedJobState(shell: SlurmShell, jobId: string): Promise<JobState | undefined> {
  const shown = await shell.exec(["scontrol", "show", "job", "-o", jobId]);
  if (shown.code !== 0) {
    if (/Invalid job id/i.test(shown.stderr)) return undefined;
    throw new CairnError("runtime_unavailable", `scontrol show job ${jobId} on ${shell.where} failed: ${firstLine(shown)}`);
  }
  return parseScontrolJob(shown.stdout);
}

/** The fields of `scontrol show job -o` Cairn uses. */
export function parseScontrolJob(text: string): JobState {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1];
  const [exit, signal] = (field("ExitCode") ?? "0:0").split(":").map(Number);
  const time = (value: string | undefined) => {
    if (!value || value === "Unknown" || value === "None") return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  };
  return {
    state: (field("JobState") ?? "UNKNOWN").replace(/\+$/, ""),
    reason: reasonOf(field("Reason")),
    exitCode: exit ?? 0,
    signal: signal ?? 0,
    startTime: time(field("StartTime")),
    endTime: time(field("EndTime")),
  };
}

/** Jobs the controller holds under this name, with their comments: finds a job submitted just before a crash. */
export async function jobsNamed(shell: SlurmShell, name: string): Promise<{ id: string; comment: string }[]> {
  const out = await expectOk(shell, ["squeue", "-h", "-t", "all", "-n", name, "-o", "%i|%k"], "squeue");
  return out
    .split("\n")
    .filter((l) => l.includes("|"))
    .map((l) => {
      const [id, comment] = l.split("|");
      return { id: id!.trim(), comment: (comment ?? "").trim() };
    });
}

/** Cancels the job; one that ended already is fine. */
export async function cancelJob(shell: SlurmShell, jobId: string): Promise<void> {
  const result = await shell.exec(["scancel", jobId]);
  if (result.code !== 0 && !/Invalid job id|already completing or completed/i.test(result.stderr)) {
    throw new CairnError("runtime_unavailable", `scancel ${jobId} on ${shell.where} failed: ${firstLine(result)}`);
  }
}

function reasonOf(reason: string | undefined): string | null {
  return !reason || reason === "None" || reason === "(null)" ? null : reason;
}

async function expectOk(shell: SlurmShell, argv: string[], what: string, alsoFine?: (r: ShellResult) => boolean): Promise<string> {
  let result: ShellResult;
  try {
    result = await shell.exec(argv);
  } catch (err) {
    throw new CairnError("runtime_unavailable", `${what} could not be run on ${shell.where}: ${(err as Error).message}`, { cause: err });
  }
  if (result.code !== 0 && !alsoFine?.(result)) {
    throw new CairnError("runtime_unavailable", `${what} failed on ${shell.where} (exit ${result.code}): ${firstLine(result)}`);
  }
  return result.stdout;
}

function firstLine(result: ShellResult): string {
  return (result.stderr.trim() || result.stdout.trim()).split("\n")[0]!.slice(0, 300) || "no message";
}
