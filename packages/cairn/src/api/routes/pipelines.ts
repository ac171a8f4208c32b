import { randomUUID } from "node:crypto";
import { z } from "zod";
import { CairnError, NotFoundError, ValidationError } from "../../errors.js";
import { parsePipeline } from "../../spec/validate.js";
import type { Pipeline, Task } from "../../spec/types.js";
import type { PipelineRecord, ServiceStore } from "../../store/service-store.js";
import type { Principal } from "../principal.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup, type GroupAccess } from "../group-access.js";
import { principalOf } from "../principal.js";
import { flattenedPipelineProfile, tapisTask } from "../tapis-shapes.js";
import { checkActorReferences } from "./actor-references.js";
import { checkArchiveReferences } from "./archive-references.js";
import { checkTapisJobReferences } from "./tapis-job-references.js";
import { conflictAs, groupIdSchema, idSchema } from "./groups.js";

/**
 * Pipelines and their tasks. A body is checked by the spec validator, which lists every
 * problem with its path; the stored definition is what was submitted, validated.
 * Who may change what (tapis-workflows.txt): any member creates; the pipeline's owner
 * or a group admin changes tasks; only the pipeline's owner deletes it.
 */

const pipelineParams = z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema });
const taskParams = z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema, task_id: idSchema });
/** Checked by the spec validator, which reports every problem at once. */
const pipelineBody = z.record(z.string(), z.unknown()).describe("A pipeline in the Tapis Workflows format");
const taskBody = z.record(z.string(), z.unknown()).describe("A task in the Tapis Workflows format");
/** A stored pipeline: its definition's fields as submitted, plus what Cairn adds. */
const pipelineSchema = named(
  "Pipeline",
  z.looseObject({
  id: z.string(),
  tasks: z.array(z.record(z.string(), z.unknown())),
  uuid: z.string(),
  owner: z.string(),
  group: z.string().describe("the group's uuid"),
  current_run: z.string().nullable().describe("the uuid of a queued or running run"),
  last_run: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  }),
);

export function pipelineRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post(
    "/groups/:group_id/pipelines",
    { schema: { summary: "Create a pipeline", params: z.strictObject({ group_id: groupIdSchema }), body: pipelineBody, response: { 201: envelopeSchema(pipelineSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { group } = await accessGroup(service, principal, request.params.group_id);
      const pipeline = parsePipeline(request.body);
      ctx.engine.checkRunnable(pipeline);
      await checkArchiveReferences(service, group.id, pipeline);
      await checkActorReferences(service, group.id, pipeline);
      await checkTapisJobReferences(service, group.id, pipeline);
      const now = Date.now();
      const record: PipelineRecord = { uuid: randomUUID(), groupId: group.id, id: pipeline.id, owner: principal.login, definition: pipeline, createdAt: now, updatedAt: now, updatedBy: principal.login };
      await service.createPipeline(record).catch((err: unknown) => {
        throw conflictAs(err, `group '${group.id}' already has a pipeline with id '${pipeline.id}'`);
      });
      return reply.status(201).send(ok(await presentPipeline(ctx, group.uuid, record), "Pipeline created", 201));
    },
  );

  app.get("/groups/:group_id/pipelines", { config: { runToken: "allow" }, schema: { params: z.strictObject({ group_id: groupIdSchema }), response: { 200: envelopeSchema(z.array(pipelineSchema)) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const records = await service.listPipelines(group.id);
    return ok(await Promise.all(records.map((r) => presentPipeline(ctx, group.uuid, r))));
  });

  app.get("/groups/:group_id/pipelines/:pipeline_id", { config: { runToken: "allow" }, schema: { params: pipelineParams, response: { 200: envelopeSchema(pipelineSchema) } } }, async (request) => {
    const { access, record } = await loadPipeline(service, principalOf(request), request.params);
    return ok(await presentPipeline(ctx, access.group.uuid, record));
  });

  app.put(
    "/groups/:group_id/pipelines/:pipeline_id",
    { schema: { summary: "Replace a pipeline's definition (its owner or a group admin)", params: pipelineParams, body: pipelineBody, response: { 200: envelopeSchema(pipelineSchema) } } },
    async (request) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      requirePipelineAdmin(principal, access, record);
      const pipeline = parsePipeline(request.body);
      if (pipeline.id !== record.id) {
        throw new ValidationError("pipeline", [{ path: "id", message: `must stay '${record.id}'; create a new pipeline to change the id` }]);
      }
      ctx.engine.checkRunnable(pipeline);
      await checkArchiveReferences(service, access.group.id, pipeline);
      await checkActorReferences(service, access.group.id, pipeline);
      await checkTapisJobReferences(service, access.group.id, pipeline);
      return ok(await replaceDefinition(ctx, principal, access, record, pipeline), "Pipeline updated");
    },
  );

  app.delete("/groups/:group_id/pipelines/:pipeline_id", { schema: { summary: "Delete a pipeline (its owner only)", params: pipelineParams } }, async (request) => {
    const principal = principalOf(request);
    const { record } = await loadPipeline(service, principal, request.params);
    if (record.owner !== principal.login) throw new CairnError("forbidden", `only the pipeline's owner ('${record.owner}') may delete it`);
    await service.deletePipeline(record.groupId, record.id);
    return ok(null, `Pipeline '${record.id}' deleted`);
  });

  app.get("/groups/:group_id/pipelines/:pipeline_id/tasks", { config: { runToken: "allow" }, schema: { params: pipelineParams } }, async (request) => {
    const { access, record } = await loadPipeline(service, principalOf(request), request.params);
    return ok(tasksOf(record).map((t) => presentTask(access, record, t)));
  });

  app.get("/groups/:group_id/pipelines/:pipeline_id/tasks/:task_id", { config: { runToken: "allow" }, schema: { params: taskParams } }, async (request) => {
    const { access, record } = await loadPipeline(service, principalOf(request), request.params);
    return ok(presentTask(access, record, findTask(record, request.params.task_id)));
  });

  app.post(
    "/groups/:group_id/pipelines/:pipeline_id/tasks",
    { schema: { summary: "Add a task (the pipeline's owner or a group admin)", params: pipelineParams, body: taskBody } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      requirePipelineAdmin(principal, access, record);
      const definition = definitionOf(record);
      const id = request.body.id;
      if (typeof id === "string" && tasksOf(record).some((t) => t.id === id)) {
        throw new CairnError("conflict", `pipeline '${record.id}' already has a task with id '${id}'`);
      }
      const pipeline = checkDefinition(ctx, { ...definition, tasks: [...tasksOf(record), request.body] });
      await checkActorReferences(service, access.group.id, pipeline);
      await checkTapisJobReferences(service, access.group.id, pipeline);
      await replaceDefinition(ctx, principal, access, record, pipeline);
      return reply.status(201).send(ok(presentTask(access, record, pipeline.tasks[pipeline.tasks.length - 1]!), "Task created", 201));
    },
  );

  app.put(
    "/groups/:group_id/pipelines/:pipeline_id/tasks/:task_id",
    { schema: { summary: "Replace a task (the pipeline's owner or a group admin)", params: taskParams, body: taskBody } },
    async (request) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      requirePipelineAdmin(principal, access, record);
      findTask(record, request.params.task_id);
      if (request.body.id !== request.params.task_id) {
        throw new ValidationError("task", [{ path: "id", message: `must be '${request.params.task_id}', the task being replaced` }]);
      }
      const next = { ...definitionOf(record), tasks: tasksOf(record).map((t) => (t.id === request.params.task_id ? request.body : t)) };
      const pipeline = checkDefinition(ctx, next);
      await checkActorReferences(service, access.group.id, pipeline);
      await checkTapisJobReferences(service, access.group.id, pipeline);
      await replaceDefinition(ctx, principal, access, record, pipeline);
      return ok(presentTask(access, record, pipeline.tasks.find((t) => t.id === request.params.task_id)!), "Task updated");
    },
  );

  app.delete("/groups/:group_id/pipelines/:pipeline_id/tasks/:task_id", { schema: { summary: "Delete a task (the pipeline's owner or a group admin)", params: taskParams } }, async (request) => {
    const principal = principalOf(request);
    const { access, record } = await loadPipeline(service, principal, request.params);
    requirePipelineAdmin(principal, access, record);
    findTask(record, request.params.task_id);
    const remaining = tasksOf(record).filter((t) => t.id !== request.params.task_id);
    // As documented, tasks that depended on it make the pipeline fail when run; the stored definition keeps them.
    await service.updatePipeline(record.groupId, record.id, { ...definitionOf(record), tasks: remaining }, Date.now(), principal.login);
    return ok(null, `Task '${request.params.task_id}' deleted`);
  });
}

export async function loadPipeline(
  service: ServiceStore,
  principal: Principal,
  params: { group_id: string; pipeline_id: string },
): Promise<{ access: GroupAccess; record: PipelineRecord }> {
  const access = await accessGroup(service, principal, params.group_id);
  const record = await service.getPipeline(access.group.id, params.pipeline_id);
  if (!record) throw new NotFoundError("pipeline", params.pipeline_id);
  return { access, record };
}

function requirePipelineAdmin(principal: Principal, access: GroupAccess, record: PipelineRecord): void {
  if (record.owner === principal.login || access.member.role !== "member") return;
  throw new CairnError("forbidden", `only the pipeline's owner ('${record.owner}') or a group admin may change it`);
}

function checkDefinition(ctx: ApiContext, definition: unknown): Pipeline {
  const pipeline = parsePipeline(definition);
  ctx.engine.checkRunnable(pipeline);
  return pipeline;
}

/** Stores the new definition and who made it: a run's token acts for no more than them (api/run-token-actor.ts). */
async function replaceDefinition(ctx: ApiContext, principal: Principal, access: GroupAccess, record: PipelineRecord, definition: unknown) {
  const updatedAt = Date.now();
  await ctx.store.service.updatePipeline(record.groupId, record.id, definition, updatedAt, principal.login);
  return presentPipeline(ctx, access.group.uuid, { ...record, definition, updatedAt, updatedBy: principal.login });
}

function definitionOf(record: PipelineRecord): Record<string, unknown> {
  return record.definition as Record<string, unknown>;
}

function tasksOf(record: PipelineRecord): Array<Record<string, unknown> & Task> {
  return (definitionOf(record).tasks ?? []) as Array<Record<string, unknown> & Task>;
}

function findTask(record: PipelineRecord, taskId: string): Task {
  const task = tasksOf(record).find((t) => t.id === taskId);
  if (!task) throw new NotFoundError("task", taskId);
  return task;
}

/** The stored object as Tapis shows it (api/tapis-shapes.ts): the definition plus uuid, owner, group and the latest runs. */
async function presentPipeline(ctx: ApiContext, groupUuid: string, record: PipelineRecord): Promise<z.infer<typeof pipelineSchema>> {
  const runs = await ctx.store.listRuns({ groupId: record.groupId, pipelineId: record.id, limit: 20 });
  const current = runs.find((r) => r.status === "pending" || r.status === "queued" || r.status === "running");
  const definition = definitionOf(record);
  return {
    ...flattenedPipelineProfile(definition),
    ...definition,
    id: record.id,
    tasks: tasksOf(record).map((task) => tapisTask(definition, record.uuid, task)),
    uuid: record.uuid,
    owner: record.owner,
    group: groupUuid,
    current_run: current?.uuid ?? null,
    last_run: runs[0]?.uuid ?? null,
    created_at: new Date(record.createdAt).toISOString(),
    updated_at: new Date(record.updatedAt).toISOString(),
  };
}

function presentTask(access: GroupAccess, record: PipelineRecord, task: Task) {
  return { ...tapisTask(definitionOf(record), record.uuid, task as unknown as Record<string, unknown>), group: access.group.uuid };
}
