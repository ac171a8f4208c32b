import type { TaskType } from "../spec/types.js";
import { containerRunHandler } from "./container-run/container-run-handler.js";
import { functionHandler } from "./function/function-handler.js";
import { imageBuildHandler } from "./image-build/image-build-handler.js";
import { requestHandler } from "./request/request-handler.js";
import { tapisActorHandler } from "./tapis-actor/tapis-actor-handler.js";
import type { TaskHandler } from "./task-handler.js";
import { tapisJobHandler, type TapisJobDeps } from "./tapis-job/tapis-job-handler.js";

/** The task types this build of Cairn runs; tapis_job needs the store's apps and systems. */
export function defaultTaskHandlers(options: { tapisJob?: TapisJobDeps } = {}): ReadonlyMap<TaskType, TaskHandler> {
  const handlers: TaskHandler[] = [containerRunHandler as TaskHandler, functionHandler as TaskHandler, requestHandler as TaskHandler, imageBuildHandler as TaskHandler, tapisActorHandler as TaskHandler];
  if (options.tapisJob) handlers.push(tapisJobHandler(options.tapisJob) as TaskHandler);
  return new Map(handlers.map((h) => [h.type, h]));
}
