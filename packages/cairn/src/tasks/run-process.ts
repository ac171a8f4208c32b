import { TaskFailure } from "../errors.js";
import type { ImageInUse, LogSink, ProcessSpec, RunningProcess, Runtime } from "../runtimes/runtime.js";
import type { TaskExecutionContext, TaskOutcome } from "./task-handler.js";

/**
 * The one place that starts a task's process and turns its end into an outcome, so
 * every process-based task type records its handle, honours cancel and timeout, and
 * reports exit codes the same way.
 */
export async function runProcess(ctx: TaskExecutionContext, runtime: Runtime, spec: ProcessSpec): Promise<TaskOutcome> {
  try {
    const proc = await runtime.start(spec, logTo(ctx));
    return await follow(ctx, proc, runtime.reattaches !== false);
  } finally {
    await runtime.release(ctx.executionUuid);
  }
}

/**
 * Follows an attempt started before a restart. Resolves undefined when the runtime
 * cannot follow it any more; the engine then retries the attempt.
 */
export async function resumeProcess(ctx: TaskExecutionContext, runtime: Runtime): Promise<TaskOutcome | undefined> {
  const proc = await runtime.reattach(ctx.executionUuid, logTo(ctx), { seen: ctx.resumeFrom?.seen ?? { stdout: 0, stderr: 0 } });
  if (proc === undefined) return undefined;
  try {
    return await follow(ctx, proc, true);
  } finally {
    await runtime.release(ctx.executionUuid);
  }
}

function logTo(ctx: TaskExecutionContext): LogSink {
  return (stream, line) => ctx.log(stream, line);
}

async function follow(ctx: TaskExecutionContext, proc: RunningProcess, reattachable: boolean): Promise<TaskOutcome> {
  // A kill that fails finds the process ended already; its end is what follow() reports.
  const kill = () => void proc.kill().catch(() => {});
  // 'abort' never fires for a signal aborted already (the engine resumes a cancelled run's attempt that way).
  if (ctx.signal.aborted) kill();
  else ctx.signal.addEventListener("abort", kill, { once: true });
  try {
    // Recorded before waiting, so a restart while the process runs can find it again.
    await ctx.started(proc.handle, { reattachable }).catch(async (err: unknown) => {
      // Unrecorded, the process could never be found again: stop it rather than leave it running.
      await proc.kill();
      throw err;
    });
    if (proc.image) await noteImage(ctx, proc.image);
    const exit = await proc.wait();
    // Also for a killed or failed process: what it used until then is worth knowing.
    if (exit.usage) await ctx.recordUsage(exit.usage);
    // The engine's reason (cancelled or timed out) matters more than the exit code a kill causes.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (exit.exitCode === 0) return exit.leftNothingRunning ? { exitCode: 0, leftNothingRunning: true } : { exitCode: 0 };
    throw new TaskFailure(`exited with code ${exit.exitCode}`, { exitCode: exit.exitCode, retryable: true });
  } finally {
    ctx.signal.removeEventListener("abort", kill);
  }
}

/** Provenance: which image the attempt ran. An image the catalog already knows keeps its recipe; a new one is a sighting. */
async function noteImage(ctx: TaskExecutionContext, image: ImageInUse): Promise<void> {
  ctx.usedImage?.(image.id);
  if (!ctx.recordImage) return;
  const sighting = {
    digest: image.id,
    names: image.names,
    origin: "seen" as const,
    createdAt: image.createdAt,
    architecture: image.architecture,
    os: image.os,
    sizeBytes: image.sizeBytes,
    builder: null,
    engine: null,
    recipe: null,
  };
  // The execution keeps the digest either way; a catalog write that fails must not cost the running task.
  await ctx.recordImage(sighting).catch((err: unknown) => {
    ctx.log("system", `image ${image.id} could not be added to the image catalog: ${err instanceof Error ? err.message : String(err)}`);
  });
}
