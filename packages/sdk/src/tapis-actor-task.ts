import type { TapisActorTaskJson } from "./pipeline-json.js";
import { TaskBuilder } from "./task-builder.js";

/**
 * Sends a message to a registered actor. Required: `tapisActorId`.
 * @example task("notify", "tapis_actor").tapisActorId("my_actor_id")
 */
export class TapisActorTaskBuilder<Unset extends "tapis_actor_id" = "tapis_actor_id"> extends TaskBuilder<TapisActorTaskJson, Unset> {
  /** @example task("notify", "tapis_actor").tapisActorId("my_actor_id") */
  tapisActorId(actorId: string): TapisActorTaskBuilder<Exclude<Unset, "tapis_actor_id">> {
    return this.withRequired<TapisActorTaskBuilder<Exclude<Unset, "tapis_actor_id">>>({ tapis_actor_id: actorId });
  }

  /**
   * The message: a string, or a JSON value the actor gets as its JSON text. Without it the
   * task's input `MSG` is the message.
   * @example task("count", "tapis_actor").tapisActorId("wordcount").tapisActorMessage({ text: "one two" })
   */
  tapisActorMessage(message: unknown): this {
    return this.with({ tapis_actor_message: message });
  }

  /** Wait for the actor's execution to end before the task ends. @example task("notify", "tapis_actor").tapisActorId("a").poll() */
  poll(enabled = true): this {
    return this.with({ poll: enabled });
  }
}
