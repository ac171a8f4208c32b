import { rm } from "node:fs/promises";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { isCairnError, NotFoundError, ValidationError } from "../../errors.js";
import type { ExecutionId } from "../../ids.js";
import { parseDirectives, validateDirectives, type Directives } from "../../spec/directives.js";
import type { Pipeline } from "../../spec/types.js";
import { parsePipeline } from "../../spec/validate.js";
import { RUN_TRIGGERS, type ExecutionRecord, type ExecutionStatus, type RunRecord, type RunStatus, type RunSummary } from "../../store/store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { receiveEventUpload } from "../event-upload.js";
import { accessGroupRun, admitToGroup, type GroupAccess } from "../group-access.js";
import { claimsOf, principalOf, type Principal } from "../principal.js";
import { tokenRefOf } from "../token-service.js";
import { withUploads } from "../upload-scope.js";
import { groupIdSchema, idSchema } from "./groups.js";
import { loadPipeline } from "./pipelines.js";
import { findRunByIdOrPrefix, MIN_RUN_PREFIX } from "../../store/run-lookup.js";

/** Runs started by events, their task executions, cancel and re-run. */

export const runParams = z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema, run_uuid: z.uuid() });
export const executionParams = runParams.extend({ execution_uuid: z.uuid() });

const paramValue = z.union([z.string(), z.number(), z.boolean(), z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]) })]);
const eventBody = z
  .strictObject({
    params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a letter or _ followed by letters, digits or _"), paramValue).default({}),
    directives: z.union([z.array(z.string()), z.record(z.string(), z.union([z.string(), z.boolean(), z.null()]))]).optional(),
    commit_message: z.string().max(10_000).optional(),
  })
  .default({ params: {} });

const RUN_STATUSES = ["pending", "queued", "running", "succeeded", "failed", "cancelled"] as const satisfies readonly RunStatus[];
const EXECUTION_STATUSES = ["queued", "running", "succeeded", "failed", "skipped", "cancelled", "timed_out"] as const satisfies readonly ExecutionStatus[];

const isoTime = z.string().describe("ISO 8601 time");
/** A run as the API shows it; the `response` schemas make it part of the OpenAPI document the client is typed from. */
export const runSchema = named(
  "Run",
  z.object({
  uuid: z.string(),
  pipeline_id: z.string(),
  group: z.string().describe("the group's uuid"),
  group_id: z.string(),
  status: z.enum(RUN_STATUSES),
  params: z.record(z.string(), z.string()),
  directives: z.record(z.string(), z.union([z.string(), z.literal(true)])),
  created_at: isoTime,
  started_at: isoTime.nullable(),
  ended_at: isoTime.nullable(),
  message: z.string().nullable(),
  started_by: z.string().nullable().describe("the user who started the run through the API"),
  trigger: z.enum(RUN_TRIGGERS).nullable().describe("what started the run: api, cli, webhook, schedule, rerun or retry; null when unknown"),
  retry_of: z.string().nullable().describe("the uuid of the run this one retries (POST .../retry); null for other runs"),
  }),
);
export const executionSchema = named(
  "Execution",
  z.object({
  uuid: z.string(),
  run: z.string().describe("the run's uuid"),
  task_id: z.string(),
  attempt: z.number().int().describe("1 for the first attempt"),
  status: z.enum(EXECUTION_STATUSES),
  created_at: isoTime,
  started_at: isoTime.nullable(),
  ended_at: isoTime.nullable(),
  exit_code: z.number().int().nullable(),
  message: z.string().nullable(),
  outputs: z.record(z.string(), z.string()),
  // Kabuto's job fields (kabuto-api.txt), as plain numbers; null while the attempt runs,
  // and for one that ran no process or could not be measured.
  used_cpu: z.number().nullable().describe("CPU time (user + system) the attempt's process used, in seconds"),
  used_memory: z.number().int().nullable().describe("the process's peak memory, in bytes"),
  used_io: z.number().int().nullable().describe("bytes the process read from and wrote to storage, in all"),
  used_io_read: z.number().int().nullable().describe("of used_io, the bytes read (a Cairn extension)"),
  used_io_written: z.number().int().nullable().describe("of used_io, the bytes written (a Cairn extension)"),
  image_digest: z.string().nullable().describe("the exact image (sha256 id) the attempt ran in or built; see /groups/{group_id}/images"),
  reused_from: z.string().nullable().describe("on a retry: the execution of the retried run whose outputs and results this one reuses (the task succeeded there and did not run again); null otherwise"),
  cached_from: z.string().nullable().describe("restored from the task cache (execution_profile.cache, docs/task-cache.md): the execution whose outputs and results this one took, without running; null otherwise"),
  worker: z.string().nullable().describe("the worker process (HOST:PID:START, see GET /engine) that ran this attempt, or took it over last; null before it started"),
  }),
);

export async function runRoutes(app: ApiApp, ctx: ApiContext): Promise<void> {
  const service = ctx.store.service;

  await withUploads(app, ctx.config.maxUploadBytes, (uploads) =>
  uploads.post(
    "/groups/:group_id/pipelines/:pipeline_id/events",
    {
      schema: {
        summary: "Start a run of the pipeline, with optional params and directives",
        description:
          "A JSON body, or multipart/form-data with the same fields as form fields (params and directives as JSON) and files: " +
          "a file part named task:TASK_ID goes to that task's /inbox only, any other file part to every task's. " +
          "The file's name, with folders, is its path under /inbox. Uploads larger than CAIRN_MAX_UPLOAD_BYTES get 413.",
        params: z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema }),
        body: eventBody,
        response: { 201: envelopeSchema(runSchema) },
      },
      // A multipart body is read by the handler, as a stream; the schema sees an empty event.
      preValidation: async (request) => {
        if (request.isMultipart()) request.body = { params: {} };
      },
      config: { runToken: "allow" },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      const pipeline = parsePipeline(record.definition, `pipeline '${record.id}'`);
      const upload = request.isMultipart()
        ? await receiveEventUpload(request, { dataDir: ctx.config.dataDir, maxBytes: ctx.config.maxUploadBytes, taskIds: new Set(pipeline.tasks.map((t) => t.id)) }).catch(
            (err: unknown) => {
              // The rest of the body is not read: closing the connection after the answer
              // stops the client sending it (and a server stop waiting for it).
              void reply.header("connection", "close");
              throw err;
            },
          )
        : undefined;
      try {
        const body = upload ? parseEventFields(upload.fields) : request.body;
        const directives = eventDirectives(body.directives, body.commit_message);
        const run = await ctx.engine.startRun({
          pipeline,
          params: stringParams(body.params),
          directives,
          groupId: access.group.id,
          startedBy: principal.login,
          definedBy: record.updatedBy,
          // The CLI says it sent the event (client/cairn-client.ts TRIGGER_HEADER); the header only labels the run, it grants nothing.
          trigger: request.headers["x-cairn-trigger"] === "cli" ? "cli" : "api",
          ...(upload?.staging !== undefined ? { attachments: upload.staging } : {}),
        });
        const message = upload && upload.files > 0 ? `Run started with ${upload.files} attachment(s), ${upload.bytes} bytes` : "Run started";
        return reply.status(201).send(ok(presentRun(access, run), message, 201));
      } finally {
        // Moved into the run's folder when it started; anything left is a run that was not started.
        if (upload?.staging !== undefined) await rm(upload.staging, { recursive: true, force: true });
      }
    },
  ),
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs",
    {
      config: { runToken: "allow" },
      schema: {
        params: z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema }),
        querystring: z.strictObject({
          status: z.enum(RUN_STATUSES).optional(),
          trigger: z.enum(RUN_TRIGGERS).optional(),
          since: z.iso.datetime({ offset: true }).optional().describe("runs created at or after this ISO 8601 time"),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: envelopeSchema(z.array(runSchema)) },
      },
    },
    async (request) => {
      const { access, record } = await loadPipeline(service, principalOf(request), request.params);
      const statuses: RunStatus[] | undefined = request.query.status ? [request.query.status] : undefined;
      const { trigger, since, limit, offset } = request.query;
      const runs = await ctx.store.listRuns({
        groupId: access.group.id,
        pipelineId: record.id,
        statuses,
        limit,
        offset,
        ...(trigger !== undefined ? { trigger } : {}),
        ...(since !== undefined ? { since: Date.parse(since) } : {}),
      });
      return ok(runs.map((r) => presentRun(access, r)));
    },
  );

  // Clients poll this one to follow a run: one query answers it, token included.
  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid",
    { config: { standingInHandler: true, runToken: "allow" }, schema: { params: runParams, response: { 200: envelopeSchema(runSchema) } } },
    async (request) => {
      const { access, run } = await loadRunOfRequest(ctx, request, request.params);
      return ok(presentRun(access, run));
    },
  );

  app.get(
    "/runs/:run_uuid",
    {
      config: { runToken: "allow" },
      schema: {
        summary: "A run found by its uuid alone, with its group and pipeline ids (a Cairn extension, for clients that know only the uuid)",
        description: `The uuid, or a unique prefix of it of at least ${MIN_RUN_PREFIX} characters (like git's short hashes); an ambiguous prefix gets 400 naming the runs it matches.`,
        params: z.strictObject({ run_uuid: z.string().max(64).describe("the run's uuid or a unique prefix of it") }),
        response: { 200: envelopeSchema(runSchema) },
      },
    },
    async (request) => {
      const { access, run } = await findRun(ctx, principalOf(request), request.params.run_uuid);
      return ok(presentRun(access, run));
    },
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/executions",
    { config: { runToken: "allow" }, schema: { params: runParams, response: { 200: envelopeSchema(z.array(executionSchema)) } } },
    async (request) => {
      const { run } = await loadRun(ctx, principalOf(request), request.params);
      return ok((await ctx.store.listExecutions(run.uuid)).map(presentExecution));
    },
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/executions/:execution_uuid",
    { config: { runToken: "allow" }, schema: { params: executionParams, response: { 200: envelopeSchema(executionSchema) } } },
    async (request) => {
      const { execution } = await loadExecution(ctx, principalOf(request), request.params);
      return ok(presentExecution(execution));
    },
  );

  app.post(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/cancel",
    { schema: { summary: "Cancel a run: running tasks are stopped, nothing new starts", params: runParams, response: { 200: envelopeSchema(runSchema) } } },
    async (request) => {
      const { access, run } = await loadRun(ctx, principalOf(request), request.params);
      await ctx.engine.cancelRun(run.uuid);
      const after = (await ctx.store.getRun(run.uuid)) ?? run;
      return ok(presentRun(access, after), after.status === "cancelled" || run.status === "running" ? "Cancel requested" : `The run had ended already (${after.status})`);
    },
  );

  app.post(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/rerun",
    { config: { runToken: "allow" }, schema: { summary: "Start a new run of the same frozen pipeline with the same params and directives", params: runParams, response: { 201: envelopeSchema(runSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { access, run } = await loadRun(ctx, principal, request.params);
      // The frozen definition is still its author's code, whoever re-runs it.
      const definedBy = run.definedBy ?? run.startedBy ?? undefined;
      const rerun = await ctx.engine.startRun({
        pipeline: run.pipeline as Pipeline,
        params: run.params,
        directives: run.directives,
        groupId: access.group.id,
        startedBy: principal.login,
        ...(definedBy !== undefined ? { definedBy } : {}),
        trigger: "rerun",
      });
      return reply.status(201).send(ok(presentRun(access, rerun), "Run started", 201));
    },
  );

  app.post(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/retry",
    {
      config: { runToken: "allow" },
      schema: {
        summary: "Retry from failure: a new run of the same frozen pipeline and params that reuses the tasks that succeeded and runs the others again",
        description: "The tasks that succeeded in the run are recorded as succeeded with reused_from naming their execution there, with its outputs and results; the new run's retry_of names the run. 409 while the run has not ended, or when it succeeded.",
        params: runParams,
        response: { 201: envelopeSchema(runSchema) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { access, run } = await loadRun(ctx, principal, request.params);
      // As for a re-run: the frozen definition is still its author's code, whoever retries it.
      const definedBy = run.definedBy ?? run.startedBy ?? undefined;
      const retry = await ctx.engine.retryRun(run, {
        groupId: access.group.id,
        startedBy: principal.login,
        ...(definedBy !== undefined ? { definedBy } : {}),
      });
      return reply.status(201).send(ok(presentRun(access, retry), "Run started", 201));
    },
  );
}

type RunParams = { group_id: string; pipeline_id: string; run_uuid: string };

export async function loadRun(ctx: ApiContext, principal: Principal, params: RunParams): Promise<{ access: GroupAccess; run: RunRecord }> {
  const { run, ...access } = await accessGroupRun(ctx.store, principal, params.group_id, params.run_uuid);
  return { access, run: visibleRun(access, run, params) };
}

/**
 * loadRun on a route with `standingInHandler`: the token's standing, the membership and
 * the run come from one query, then the caller is admitted (setting request.principal)
 * and checked exactly as the request hook and loadRun would, in the same order, so the
 * answers, errors included, are the same.
 */
export async function loadRunOfRequest(ctx: ApiContext, request: FastifyRequest, params: RunParams): Promise<{ access: GroupAccess; run: RunSummary }> {
  const claims = claimsOf(request);
  const found = await ctx.store.getTokenRunAccess(tokenRefOf(claims), params.group_id, params.run_uuid);
  const principal = (request.principal = ctx.tokens.admit(claims, found.standing));
  const access = admitToGroup(principal, params.group_id, found.access);
  return { access, run: visibleRun(access, found.run, params) };
}

/**
 * A run of another group or pipeline is "not found" here, like one that does not exist.
 * A run's token sees every run of its group (group-access.ts keeps it there), the runs it
 * started itself included.
 */
function visibleRun<R extends RunSummary>(access: GroupAccess, run: R | undefined, params: RunParams): R {
  if (!run || run.groupId !== access.group.id || run.pipelineId !== params.pipeline_id) throw new NotFoundError("run", params.run_uuid);
  return run;
}

/**
 * A run by its uuid alone, under the same rules as `loadRun`. Whatever hides it (no such
 * run, another group, a run token for another run) gives the same 404 naming only the
 * run, so its group id does not leak.
 */
export async function findRun(ctx: ApiContext, principal: Principal, runText: string): Promise<{ access: GroupAccess; run: RunRecord }> {
  const hidden = new NotFoundError("run", runText);
  const load = (run: RunRecord) => loadRun(ctx, principal, { group_id: run.groupId, pipeline_id: run.pipelineId, run_uuid: run.uuid });
  // Only runs the caller may see count, so a prefix is never ambiguous because of another group's run.
  const visible = async (run: RunRecord) => {
    if (!run.groupId) return false;
    try {
      await load(run);
      return true;
    } catch (err) {
      if (isCairnError(err) && err.code === "not_found") return false;
      throw err;
    }
  };
  try {
    return await load(await findRunByIdOrPrefix(ctx.store, runText, visible));
  } catch (err) {
    throw isCairnError(err) && err.code === "not_found" ? hidden : err;
  }
}

export async function loadExecution(
  ctx: ApiContext,
  principal: Principal,
  params: { group_id: string; pipeline_id: string; run_uuid: string; execution_uuid: string },
): Promise<{ access: GroupAccess; run: RunRecord; execution: ExecutionRecord }> {
  const { access, run } = await loadRun(ctx, principal, params);
  const execution = await ctx.store.getExecution(params.execution_uuid as ExecutionId);
  if (!execution || execution.runUuid !== run.uuid) throw new NotFoundError("task execution", params.execution_uuid);
  return { access, run, execution };
}

/** A multipart event's fields, checked by the same schema as a JSON body. */
function parseEventFields(fields: Record<string, unknown>): z.infer<typeof eventBody> {
  const parsed = eventBody.safeParse(fields);
  if (parsed.success) return parsed.data;
  throw new ValidationError("the upload", parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
}

function eventDirectives(given: unknown, commitMessage: string | undefined): Directives {
  const fromBody = given === undefined ? {} : validateDirectives(given);
  const fromCommit = commitMessage === undefined ? {} : parseDirectives(commitMessage);
  const twice = Object.keys(fromBody).filter((k) => k in fromCommit);
  if (twice.length > 0) {
    throw new ValidationError("event", twice.map((k) => ({ path: `directives.${k}`, message: "is given both in directives and in commit_message" })));
  }
  return { ...fromCommit, ...fromBody };
}

function stringParams(params: Record<string, z.infer<typeof paramValue>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) result[key] = String(typeof value === "object" ? value.value : value);
  return result;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentRun(access: GroupAccess, run: RunSummary): z.infer<typeof runSchema> {
  return {
    uuid: run.uuid,
    pipeline_id: run.pipelineId,
    group: access.group.uuid,
    group_id: run.groupId,
    status: run.status,
    params: run.params,
    directives: run.directives,
    created_at: new Date(run.createdAt).toISOString(),
    started_at: iso(run.startedAt),
    ended_at: iso(run.endedAt),
    message: run.message,
    started_by: run.startedBy,
    trigger: run.trigger ?? null,
    retry_of: run.retryOf ?? null,
  };
}

export function presentExecution(e: ExecutionRecord): z.infer<typeof executionSchema> {
  return {
    uuid: e.uuid,
    run: e.runUuid,
    task_id: e.taskId,
    attempt: e.attempt,
    status: e.status,
    created_at: new Date(e.createdAt).toISOString(),
    started_at: iso(e.startedAt),
    ended_at: iso(e.endedAt),
    exit_code: e.exitCode,
    message: e.message,
    outputs: e.outputs,
    used_cpu: e.usage ? Math.round(e.usage.cpuSeconds * 1000) / 1000 : null,
    used_memory: e.usage?.peakMemoryBytes ?? null,
    used_io: e.usage ? e.usage.readBytes + e.usage.writtenBytes : null,
    used_io_read: e.usage?.readBytes ?? null,
    used_io_written: e.usage?.writtenBytes ?? null,
    image_digest: e.imageDigest ?? null,
    reused_from: e.reusedFrom ?? null,
    cached_from: e.cachedFrom ?? null,
    worker: e.worker ?? null,
  };
}
