import type { TaskType } from "../spec/types.js";
import { containerRunHandler } from "./container-run/container-run-handler.js";
import { functionHandler } from "./function/function-handler.js";
import { imageBuildHandler } from "./image-build/image-build-handler.js";
import { requestHandler } from "./request/request-handler.js";
import { tapisActorHandler } from "./tapis-actor/tapis-actor-handler.js";
import type { TaskHandler } from "./task-handler.js";

/** The task types this build of Cairn runs. tapis_job arrives with later work. */
export function defaultTaskHandlers(): ReadonlyMap<TaskType, TaskHandler> {
  const handlers: TaskHandler[] = [containerRunHandler as TaskHandler, functionHandler as TaskHandler, requestHandler as TaskHandler, imageBuildHandler as TaskHandler, tapisActorHandler as TaskHandler];
  return new Map(handlers.map((h) => [h.type, h]));
}
