import { CairnError, NotFoundError } from "../errors.js";
import type { Engine } from "../engine/engine.js";
import type { Directives } from "../spec/directives.js";
import { parsePipeline } from "../spec/validate.js";
import type { RunRecord, RunTrigger, Store } from "../store/store.js";

/**
 * Starts a run for a trigger (a webhook's push, a schedule's fire) as a user who is not
 * sending the request: whether the user may start it is read now, from the database, as
 * the API does on each request. Any member of the group may start its pipelines
 * (api/routes/runs.ts), so a user who left the group starts nothing.
 */

export interface TriggeredRunDeps {
  store: Pick<Store, "service">;
  engine: Pick<Engine, "startRun">;
}

export interface TriggeredRun {
  groupId: string;
  pipelineId: string;
  login: string;
  params: Record<string, string>;
  directives?: Directives;
  trigger: RunTrigger;
}

/** @throws CairnError `forbidden` when `login` may not start the pipeline, `not_found` when it is gone. */
export async function startTriggeredRun(deps: TriggeredRunDeps, request: TriggeredRun): Promise<RunRecord> {
  await checkMayStart(deps, request);
  const record = await deps.store.service.getPipeline(request.groupId, request.pipelineId);
  if (!record) throw new NotFoundError("pipeline", request.pipelineId);
  const pipeline = parsePipeline(record.definition, `pipeline '${record.id}'`);
  return deps.engine.startRun({
    pipeline,
    params: request.params,
    directives: request.directives ?? {},
    groupId: request.groupId,
    startedBy: request.login,
    definedBy: record.updatedBy,
    trigger: request.trigger,
  });
}

/** @throws CairnError `forbidden` unless `login` is a member of the group. */
export async function checkMayStart(deps: Pick<TriggeredRunDeps, "store">, request: Pick<TriggeredRun, "groupId" | "login">): Promise<void> {
  const access = await deps.store.service.getGroupAccess(request.groupId, request.login);
  if (!access) throw new CairnError("forbidden", `'${request.login}' is not a member of group '${request.groupId}' and may not start its pipelines`);
}
