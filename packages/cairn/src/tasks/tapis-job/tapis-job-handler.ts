import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CairnError, describeError, TaskFailure } from "../../errors.js";
import { QueueWatcher } from "../../runtimes/slurm/queue-watcher.js";
import { cancelJob, endedJobState, FINAL_STATES, jobsNamed, jobState, submitBatch, type JobState } from "../../runtimes/slurm/slurm-commands.js";
import type { SlurmConnector } from "../../runtimes/slurm/slurm-connector.js";
import type { SlurmShell } from "../../runtimes/slurm/slurm-shell.js";
import { OUTPUT_NAME_PATTERN } from "../../spec/schema.js";
import type { TapisJobTask } from "../../spec/types.js";
import type { ServiceStore } from "../../store/service-store.js";
import { MAX_OUTPUT_VALUE_BYTES } from "../../workspace/attempt-files.js";
import type { TaskExecutionContext, TaskHandler, TaskOutcome } from "../task-handler.js";
import { batchScript, JOB_FILES } from "./batch-script.js";
import { JobLogFollower } from "./job-log-follower.js";
import { resolveTapisJob, type MergedJob } from "./job-resolution.js";
import { safeRelativePath } from "./staging.js";

export interface TapisJobDeps {
  store: Pick<ServiceStore, "getApp" | "getSystem" | "markAppUsed">;
  connect: SlurmConnector;
  /** First and longest wait between two polls of a job; tests shorten them. */
  pollMs?: { first: number; max: number };
}

/** `slurm:SYSTEM:JOB_ID`, or `slurm:SYSTEM:pending` while sbatch runs (a crash then looks the job up by its comment). */
const HANDLE = /^slurm:([^:]+):(\d+|pending)$/;

/** Tapis' job statuses, from Slurm's final state. */
function tapisStatus(state: string): "FINISHED" | "FAILED" | "CANCELLED" {
  return state === "COMPLETED" ? "FINISHED" : state === "CANCELLED" ? "CANCELLED" : "FAILED";
}

/** Slurm ends these jobs for reasons of the cluster, not the job: another try may go better. */
const CLUSTER_FAILURES: ReadonlySet<string> = new Set(["NODE_FAIL", "BOOT_FAIL", "PREEMPTED"]);

/**
 * tapis_job: a batch job on a slurm system. The app's defaults merged with the task's
 * tapis_job_def become a batch script in a job folder under the system's root_dir; the
 * task's inputs and file inputs are staged there; sbatch submits it, and the job id is
 * recorded (ctx.started) before anything else, so a restarted Cairn follows the same job
 * and never submits it again. With poll (the default) the job is followed to its end:
 * squeue while it is queued or running, scontrol for how it ended; its stdout and stderr
 * files go to the task log as they grow, and the files in its outputs/ folder become the
 * task's outputs. Cancel and max_exec_time run scancel.
 */
export function tapisJobHandler(deps: TapisJobDeps): TaskHandler<TapisJobTask> {
  const pollMs = deps.pollMs ?? { first: 200, max: 2_000 };
  // One per system (by group, as system ids are): its jobs' polls share one squeue.
  const watchers = new Map<string, QueueWatcher>();
  const watcherOf = (groupId: string, system: MergedJob["system"]) => {
    const key = `${groupId}/${system.id}`;
    let watcher = watchers.get(key);
    if (!watcher) watchers.set(key, (watcher = new QueueWatcher(() => deps.connect(system))));
    return watcher;
  };

  async function open(ctx: TaskExecutionContext<TapisJobTask>): Promise<{ job: MergedJob; shell: SlurmShell }> {
    const groupId = ctx.groupId ?? "local";
    let job: MergedJob;
    try {
      const resolved = await resolveTapisJob(deps.store, groupId, ctx.task.tapis_job_def, "tapis_job_def");
      job = resolved.job;
    } catch (err) {
      throw new TaskFailure(describeError(err), { retryable: false, cause: err });
    }
    let shell: SlurmShell;
    try {
      shell = await deps.connect(job.system);
    } catch (err) {
      const retryable = (err as { retryable?: boolean }).retryable ?? (err as CairnError).code === "runtime_unavailable";
      throw new TaskFailure(`cannot reach slurm system '${job.system.id}': ${describeError(err)}`, { retryable, cause: err });
    }
    return { job, shell };
  }

  async function jobFolder(shell: SlurmShell, job: MergedJob, ctx: TaskExecutionContext<TapisJobTask>): Promise<string> {
    let root = job.system.settings.rootDir.replace(/\/+$/, "");
    if (!root.startsWith("/")) {
      // Relative to the SSH user's home, made absolute: --chdir and the log paths need it so.
      const home = (await shell.exec(["pwd"])).stdout.trim();
      root = `${home}/${root}`;
    }
    return `${root}/${ctx.runUuid}/${ctx.task.id}/${ctx.attempt}`;
  }

  return {
    type: "tapis_job",

    async run(ctx) {
      const { job, shell } = await open(ctx);
      try {
        await deps.store.markAppUsed(ctx.groupId ?? "local", job.app.id, job.app.version, Date.now());
        const jobDir = await jobFolder(shell, job, ctx);
        const systemCopies = await stage(ctx, shell, job, jobDir);
        const script = batchScript({
          job,
          jobDir,
          jobName: jobName(ctx),
          comment: `cairn-${ctx.executionUuid}`,
          maxExecSeconds: ctx.profile.max_exec_time,
          systemCopies,
        });
        await put(shell, `${jobDir}/${JOB_FILES.script}`, script);
        if (ctx.signal.aborted) throw ctx.signal.reason;
        // Recorded before sbatch: a crash before the id is recorded finds the job by its comment.
        await ctx.started(`slurm:${job.system.id}:pending`);
        let jobId: string;
        try {
          jobId = await submitBatch(shell, `${jobDir}/${JOB_FILES.script}`);
        } catch (err) {
          throw new TaskFailure(`submitting to slurm system '${job.system.id}' failed: ${describeError(err)}`, { retryable: true, cause: err });
        }
        // Before anything else: a restart re-attaches to this job and never submits it again.
        await ctx.started(`slurm:${job.system.id}:${jobId}`).catch(async (err: unknown) => {
          await cancelJob(shell, jobId).catch(() => {});
          throw err;
        });
        ctx.log("system", `submitted Slurm job ${jobId} on system '${job.system.id}' (${shell.where}); job folder ${jobDir}`);
        if (ctx.task.poll === false) {
          const state = await jobState(shell, jobId).catch(() => undefined);
          return { outputs: { SLURM_JOB_ID: jobId, LAST_STATUS: state?.state ?? "PENDING" } };
        }
        return await follow(ctx, shell, watcherOf(ctx.groupId ?? "local", job.system), jobId, jobDir, { stdout: 0, stderr: 0 });
      } finally {
        await shell.close();
      }
    },

    async resume(ctx) {
      const handle = HANDLE.exec(ctx.resumeFrom?.handle ?? "");
      if (!handle) return undefined;
      const { job, shell } = await open(ctx);
      try {
        const jobDir = await jobFolder(shell, job, ctx);
        let jobId = handle[2]!;
        if (jobId === "pending") {
          // sbatch may have run before the crash: the controller knows the job by its comment.
          const found = (await jobsNamed(shell, jobName(ctx))).find((j) => j.comment === `cairn-${ctx.executionUuid}`);
          if (!found) return undefined;
          jobId = found.id;
          await ctx.started(`slurm:${job.system.id}:${jobId}`);
        }
        ctx.log("system", `following Slurm job ${jobId} again after a restart`);
        if (ctx.task.poll === false) return { outputs: { SLURM_JOB_ID: jobId, LAST_STATUS: (await jobState(shell, jobId).catch(() => undefined))?.state ?? "UNKNOWN" } };
        return await follow(ctx, shell, watcherOf(ctx.groupId ?? "local", job.system), jobId, jobDir, ctx.resumeFrom?.seen ?? { stdout: 0, stderr: 0 });
      } finally {
        await shell.close();
      }
    },
  };

  /** Polls the job to its end, streaming its logs; scancel on cancel or max_exec_time. */
  async function follow(
    ctx: TaskExecutionContext<TapisJobTask>,
    shell: SlurmShell,
    watcher: QueueWatcher,
    jobId: string,
    jobDir: string,
    seen: { stdout: number; stderr: number },
  ): Promise<TaskOutcome> {
    const logs = [
      new JobLogFollower(shell, `${jobDir}/${JOB_FILES.stdout}`, (line) => ctx.log("stdout", line), seen.stdout),
      new JobLogFollower(shell, `${jobDir}/${JOB_FILES.stderr}`, (line) => ctx.log("stderr", line), seen.stderr),
    ];
    const aborted = new Promise<"aborted">((resolve) => {
      if (ctx.signal.aborted) resolve("aborted");
      else ctx.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    });
    let last = "";
    let delay = 0;
    let state: JobState | undefined;
    for (;;) {
      // The first poll at once (sbatch just answered); then at most a few a second, fewer the longer it runs.
      const polled = await Promise.race([watcher.poll(jobId, delay), aborted]);
      if (polled === "aborted") {
        await cancelJob(shell, jobId);
        ctx.log("system", `cancelled Slurm job ${jobId} (scancel): ${describeError(ctx.signal.reason)}`);
        await Promise.all(logs.map((l) => l.poll(true).catch(() => {})));
        throw ctx.signal.reason;
      }
      state = polled !== undefined && !FINAL_STATES.has(polled.state) ? polled : await endedJobState(shell, jobId);
      if (state === undefined) {
        // Purged from the controller (MinJobAge) while no Cairn followed it: the script wrote its exit code.
        const code = await readExitFile(shell, jobDir);
        if (code === undefined) throw new TaskFailure(`Slurm no longer knows job ${jobId}, and it left no exit code in its folder`, { retryable: false });
        state = { state: code === 0 ? "COMPLETED" : "FAILED", reason: null, exitCode: code, signal: 0 };
      }
      const shown = `${state.state}${state.reason ? ` (${state.reason})` : ""}`;
      if (shown !== last) ctx.log("system", `Slurm job ${jobId}: ${shown}`);
      last = shown;
      await Promise.all(logs.map((l) => l.poll()));
      if (FINAL_STATES.has(state.state)) break;
      delay = delay === 0 ? pollMs.first : Math.min(pollMs.max, Math.round(delay * 1.5));
    }
    await Promise.all(logs.map((l) => l.poll(true)));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    await copyOutputs(ctx, shell, jobDir);
    const status = tapisStatus(state.state);
    const outputs = { STATUS: status, SLURM_JOB_ID: jobId };
    const exitCode = state.exitCode ?? (state.state === "COMPLETED" ? 0 : 1);
    if (state.state === "COMPLETED" && exitCode === 0) return { exitCode: 0, outputs };
    const why = state.state === "TIMEOUT" ? "reached its time limit" : state.state === "CANCELLED" ? "was cancelled outside Cairn" : state.state === "OUT_OF_MEMORY" ? "ran out of memory" : `exited with code ${exitCode}`;
    throw new TaskFailure(`Slurm job ${jobId} ${why}: ${state.state}${state.reason ? ` (${state.reason})` : ""}, exit code ${exitCode}:${state.signal ?? 0}`, {
      exitCode,
      retryable: state.state === "FAILED" || CLUSTER_FAILURES.has(state.state),
      outputs,
    });
  }
}

/** `cairn-RUN-TASK`: how people find a task's jobs in squeue. */
function jobName(ctx: TaskExecutionContext<TapisJobTask>): string {
  return `cairn-${ctx.runUuid}-${ctx.task.id}`;
}

/**
 * Makes the job folder and puts the task's inputs (inputs/NAME) and its `input:` and
 * `attachment:` file inputs in it; answers the `system:` ones, which the job copies itself.
 */
async function stage(ctx: TaskExecutionContext<TapisJobTask>, shell: SlurmShell, job: MergedJob, jobDir: string): Promise<{ from: string; to: string }[]> {
  await shell.mkdirs([`${jobDir}/${JOB_FILES.outputs}`, `${jobDir}/${JOB_FILES.inputs}`]).catch(failWith("making the job folder"));
  for (const [name, value] of Object.entries(ctx.inputs)) await put(shell, `${jobDir}/${JOB_FILES.inputs}/${name}`, value);
  const copies: { from: string; to: string }[] = [];
  for (const input of job.fileInputs) {
    const to = `${jobDir}/${safeRelativePath(input.targetPath, "targetPath")}`;
    const [scheme, ...rest] = input.sourceUrl.split(":");
    const source = rest.join(":");
    if (scheme === "system") {
      copies.push({ from: source, to });
      continue;
    }
    let content: Buffer;
    if (scheme === "input") {
      if (!(source in ctx.inputs)) throw new TaskFailure(`file input '${input.sourceUrl}' names no input of task '${ctx.task.id}'`, { retryable: false });
      content = Buffer.from(ctx.inputs[source]!);
    } else {
      try {
        content = await readFile(join(ctx.paths.inbox, safeRelativePath(source, "attachment")));
      } catch (err) {
        throw new TaskFailure(`file input '${input.sourceUrl}': the run has no such attachment (${describeError(err)})`, { retryable: false, cause: err });
      }
    }
    await shell.mkdirs([to.slice(0, to.lastIndexOf("/"))]).catch(failWith("making a file input's folder"));
    await put(shell, to, content);
  }
  return copies;
}

/** Copies the regular files of the job's outputs/ folder (no links, none too big) to the attempt's outputs, where the engine collects them. */
async function copyOutputs(ctx: TaskExecutionContext<TapisJobTask>, shell: SlurmShell, jobDir: string): Promise<void> {
  const listing = await shell.exec(["find", `${jobDir}/${JOB_FILES.outputs}`, "-maxdepth", "1", "-type", "f", "-printf", "%s %f\\n"]);
  if (listing.code !== 0) {
    ctx.log("system", `the job's outputs folder could not be listed: ${listing.stderr.trim().split("\n")[0] ?? ""}`);
    return;
  }
  for (const line of listing.stdout.split("\n").filter(Boolean)) {
    const space = line.indexOf(" ");
    const size = Number(line.slice(0, space));
    const name = line.slice(space + 1);
    if (!OUTPUT_NAME_PATTERN.test(name)) {
      ctx.log("system", `output file '${name}' is not a valid output name (letters, digits, '.', '_', '-'); it was not recorded`);
      continue;
    }
    if (size > MAX_OUTPUT_VALUE_BYTES) {
      ctx.log("system", `output '${name}' is ${size} bytes, over the ${MAX_OUTPUT_VALUE_BYTES}-byte limit for values passed between tasks; it was not recorded`);
      continue;
    }
    // A file swapped for a link since the listing is not followed (SlurmShell.readFile).
    const content = await shell.readFile(`${jobDir}/${JOB_FILES.outputs}/${name}`, 0, MAX_OUTPUT_VALUE_BYTES);
    await writeFile(join(ctx.paths.outputs, name), content);
  }
}

async function readExitFile(shell: SlurmShell, jobDir: string): Promise<number | undefined> {
  const read = await shell.exec(["cat", "--", `${jobDir}/${JOB_FILES.exit}`]);
  const code = Number(read.stdout.trim());
  return read.code === 0 && read.stdout.trim() !== "" && Number.isInteger(code) ? code : undefined;
}

async function put(shell: SlurmShell, path: string, content: string | Buffer): Promise<void> {
  await shell.writeFile(path, content).catch(failWith(`writing ${path}`));
}

/** A file operation on the system failed: the connection or the disk, which another try may mend. */
function failWith(what: string): (err: unknown) => never {
  return (err) => {
    throw new TaskFailure(`${what} failed: ${describeError(err)}`, { retryable: true, cause: err });
  };
}
