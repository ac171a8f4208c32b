import type { GroupActors } from "../../actors/group-actors.js";
import { TaskFailure } from "../../errors.js";
import type { TapisActorTask } from "../../spec/types.js";
import type { ActorExecutionRecord } from "../../store/service-store.js";
import type { TaskExecutionContext, TaskHandler, TaskOutcome } from "../task-handler.js";

/**
 * Sends a message to an actor of the run's group (actors/actor-service.ts) and, with
 * `poll` (the default), waits for its execution: outputs STATUS, EXECUTION_ID, stdout
 * (what the container printed) and result (what it wrote to /cairn/outputs/result); an
 * execution ending in ERROR fails the task. With `poll: false` the task succeeds once the
 * message is queued. Cancelling or timing out the task cancels the execution.
 *
 * The execution names the task execution that sent it, so a restarted server follows
 * the same execution instead of sending the message twice.
 */
export const tapisActorHandler: TaskHandler<TapisActorTask> = {
  type: "tapis_actor",

  async run(ctx) {
    const actors = groupActors(ctx);
    const actor = await actors.getActor(ctx.task.tapis_actor_id);
    if (!actor) {
      throw new TaskFailure(`group '${actors.groupId}' has no actor '${ctx.task.tapis_actor_id}' (it was deleted since the pipeline was made?)`, { retryable: false });
    }
    const execution = await actors.send(actor, messageOf(ctx), ctx.executionUuid);
    ctx.log("system", `message queued for actor '${actor.id}' as execution ${execution.uuid}`);
    await ctx.started(execution.uuid);
    return ctx.task.poll === false ? queued(execution) : follow(ctx, actors, execution.uuid);
  },

  async resume(ctx) {
    const actors = ctx.actors;
    const execution = await actors?.executionOfTask(ctx.executionUuid);
    // Never sent: the engine runs the attempt again, which sends it.
    if (!actors || !execution) return undefined;
    return ctx.task.poll === false ? queued(execution) : follow(ctx, actors, execution.uuid);
  },
};

function groupActors(ctx: TaskExecutionContext<TapisActorTask>): GroupActors {
  if (!ctx.actors) throw new TaskFailure("tapis_actor tasks message a group's actors, which only a Cairn server has", { retryable: false });
  return ctx.actors;
}

/** The task's tapis_actor_message (JSON text for a JSON value other than a string), else its input MSG, else "". */
export function messageOf(ctx: Pick<TaskExecutionContext<TapisActorTask>, "task" | "inputs">): string {
  const message = ctx.task.tapis_actor_message;
  if (typeof message === "string") return message;
  if (message !== undefined) return JSON.stringify(message);
  return ctx.inputs.MSG ?? "";
}

function queued(execution: ActorExecutionRecord): TaskOutcome {
  return { outputs: { EXECUTION_ID: execution.uuid, STATUS: execution.status } };
}

async function follow(ctx: TaskExecutionContext<TapisActorTask>, actors: GroupActors, uuid: string): Promise<TaskOutcome> {
  let ended: ActorExecutionRecord;
  try {
    ended = await actors.waitFor(uuid, ctx.signal);
  } catch (err) {
    if (!ctx.signal.aborted) throw err;
    // Cancelled or timed out: the execution goes with the task.
    await actors.cancel(uuid);
    throw ctx.signal.reason;
  }
  const stdout = await actors.logOf(uuid);
  for (const line of stdout.split("\n").slice(0, -1)) ctx.log("stdout", line);
  const result = actors.resultOf(uuid);
  if (result && "refused" in result) ctx.log("system", `the actor's result was not read: ${result.refused}`);
  const outputs = {
    STATUS: ended.status,
    EXECUTION_ID: uuid,
    stdout,
    result: result && "content" in result ? result.content.toString("utf8") : "",
  };
  if (ended.status === "ERROR") {
    throw new TaskFailure(`actor '${ended.actorId}' execution ${uuid} ended in ERROR: ${ended.error ?? "no reason given"}`, {
      retryable: ended.exitCode !== null,
      ...(ended.exitCode !== null ? { exitCode: ended.exitCode } : {}),
    });
  }
  return { ...(ended.exitCode !== null ? { exitCode: ended.exitCode } : {}), outputs };
}
