import type { ActorExecutionRecord, ActorRecord } from "../store/service-store.js";

/**
 * What a tapis_actor task may do with actors: those of its own run's group only, so a
 * pipeline can never message another group's actor.
 */
export interface GroupActors {
  readonly groupId: string;
  getActor(actorId: string): Promise<ActorRecord | undefined>;
  /** Queues the message; `taskExecutionUuid` lets a restarted server find the execution this attempt sent. */
  send(actor: ActorRecord, message: string, taskExecutionUuid: string): Promise<ActorExecutionRecord>;
  /** The execution this task execution sent before a restart, if it sent one. */
  executionOfTask(taskExecutionUuid: string): Promise<ActorExecutionRecord | undefined>;
  /** Resolves once it has ended; rejects with the signal's reason when aborted first. */
  waitFor(executionUuid: string, signal: AbortSignal): Promise<ActorExecutionRecord>;
  cancel(executionUuid: string): Promise<void>;
  /** What the container printed (at most MAX_ACTOR_FILE_BYTES). */
  logOf(executionUuid: string): Promise<string>;
  /** What it wrote to /cairn/outputs/result; undefined when nothing; `refused` when it was not a regular file or too large. */
  resultOf(executionUuid: string): { content: Buffer } | { refused: string } | undefined;
}
