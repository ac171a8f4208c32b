import { randomUUID } from "node:crypto";
import { z } from "zod";
import { CairnError, NotFoundError, TaskFailure, ValidationError } from "../../errors.js";
import { groupImages, resolveRunnableImage } from "../../images/image-access.js";
import { ImageCache } from "../../images/image-cache.js";
import type { ActorExecutionRecord, ActorRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup, type GroupAccess } from "../group-access.js";
import { principalOf, type Principal } from "../principal.js";
import { conflictAs, groupIdSchema, groupParams, idSchema } from "./groups.js";

/**
 * Actors (Tapis' Actors service, Abaco; issue 16): an image that handles messages, one
 * container per message (actors/actor-service.ts). Any member creates actors, reads them
 * and sends them messages; the actor's owner or a group admin changes or deletes it.
 * An actor runs only an image its group may run (images/image-access.ts), checked here
 * when the engine has the image, and again at every execution.
 */

/** Enough for any JSON document a message carries; an environment variable cannot be longer than 128 KiB on Linux. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Containers one actor may run at once: more is a denial of service of the machine, not a workload. */
export const MAX_WORKERS = 32;
/** Set by Cairn for each message: an actor's environment may not name them. */
const RESERVED_ENV = /^(MSG|_abaco_.*|CAIRN_.*)$/;

const actorParams = z.strictObject({ group_id: groupIdSchema, actor_id: idSchema });
const executionParams = z.strictObject({ group_id: groupIdSchema, actor_id: idSchema, execution_id: z.uuid() });

const actorFields = {
  image: z.string().min(1).max(512).regex(/^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/, "must be an image reference, e.g. localhost/busybox:test or busybox@sha256:..."),
  command: z.array(z.string().max(4096)).min(1).max(256).optional().describe("argv replacing the image's entrypoint and command; absent: the image's own"),
  default_environment: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name: letters, digits, _")
        .refine((name) => !RESERVED_ENV.test(name), "is set by Cairn for each message (MSG, _abaco_*, CAIRN_*)"),
      z.string().max(32 * 1024),
    )
    .refine((env) => Object.keys(env).length <= 256, "at most 256 variables")
    .default(() => ({})),
  description: z.string().max(1024).optional(),
  max_workers: z.number().int().min(1).max(MAX_WORKERS).default(1).describe("how many of its messages may run at once"),
};
const actorBody = z.strictObject({ id: idSchema, ...actorFields });
const actorUpdateBody = z.strictObject({ id: idSchema.optional(), ...actorFields });
const messageBody = z.strictObject({
  // Any JSON value; z.json() would be exact, but its recursive schema is more than the client generator follows.
  message: z
    .unknown()
    .refine((m) => m !== undefined && m !== null, "required field is missing: a string, or a JSON value (sent as its JSON text)")
    .describe("a string, or any JSON value (the actor gets its JSON text)"),
});

export const actorSchema = named(
  "Actor",
  z.object({
    id: z.string(),
    uuid: z.string(),
    image: z.string(),
    command: z.array(z.string()).nullable(),
    default_environment: z.record(z.string(), z.string()),
    description: z.string().nullable(),
    max_workers: z.number().int(),
    owner: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export const actorExecutionSchema = named(
  "ActorExecution",
  z.object({
    id: z.string(),
    actor_id: z.string(),
    status: z.enum(["SUBMITTED", "RUNNING", "COMPLETED", "ERROR"]),
    exit_code: z.number().int().nullable(),
    error: z.string().nullable(),
    message_received_at: z.string(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    task_execution_uuid: z.string().nullable().describe("the tapis_actor task execution that sent the message; null for one sent through the API"),
  }),
);

export function actorRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post(
    "/groups/:group_id/actors",
    { schema: { summary: "Create an actor (any member)", params: groupParams, body: actorBody, response: { 201: envelopeSchema(actorSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { group } = await accessGroup(service, principal, request.params.group_id);
      const body = request.body;
      await checkImage(ctx, group.id, body.image);
      const now = Date.now();
      const record: ActorRecord = {
        uuid: randomUUID(),
        groupId: group.id,
        id: body.id,
        owner: principal.login,
        image: body.image,
        command: body.command ?? null,
        defaultEnvironment: body.default_environment,
        description: body.description ?? null,
        maxWorkers: body.max_workers,
        createdAt: now,
        updatedAt: now,
      };
      await service.createActor(record).catch((err: unknown) => {
        throw conflictAs(err, `group '${group.id}' already has an actor with id '${body.id}'`);
      });
      return reply.status(201).send(ok(presentActor(record), "Actor created", 201));
    },
  );

  app.get("/groups/:group_id/actors", { schema: { params: groupParams, response: { 200: envelopeSchema(z.array(actorSchema)) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok((await service.listActors(group.id)).map(presentActor));
  });

  app.get("/groups/:group_id/actors/:actor_id", { schema: { params: actorParams, response: { 200: envelopeSchema(actorSchema) } } }, async (request) => {
    const { actor } = await loadActor(ctx, principalOf(request), request.params);
    return ok(presentActor(actor));
  });

  app.put(
    "/groups/:group_id/actors/:actor_id",
    { schema: { summary: "Change an actor (its owner or a group admin); running executions keep what they started with", params: actorParams, body: actorUpdateBody, response: { 200: envelopeSchema(actorSchema) } } },
    async (request) => {
      const principal = principalOf(request);
      const { access, actor } = await loadActor(ctx, principal, request.params);
      requireActorAdmin(principal, access, actor);
      const body = request.body;
      if (body.id !== undefined && body.id !== actor.id) throw new ValidationError("actor", [{ path: "id", message: `must stay '${actor.id}'; create a new actor to change the id` }]);
      await checkImage(ctx, actor.groupId, body.image);
      const updated: ActorRecord = {
        ...actor,
        image: body.image,
        command: body.command ?? null,
        defaultEnvironment: body.default_environment,
        description: body.description ?? null,
        maxWorkers: body.max_workers,
        updatedAt: Date.now(),
      };
      await service.updateActor(updated);
      return ok(presentActor(updated), "Actor updated");
    },
  );

  app.delete("/groups/:group_id/actors/:actor_id", { schema: { summary: "Delete an actor with no queued or running message (its owner or a group admin)", params: actorParams } }, async (request) => {
    const principal = principalOf(request);
    const { access, actor } = await loadActor(ctx, principal, request.params);
    requireActorAdmin(principal, access, actor);
    await ctx.actors.deleteActor(actor.groupId, actor.id);
    return ok(null, `Actor '${actor.id}' deleted`);
  });

  app.post(
    "/groups/:group_id/actors/:actor_id/messages",
    {
      schema: {
        summary: "Send a message: it runs after the actor's earlier ones, as MSG in a new container",
        params: actorParams,
        body: messageBody,
        response: { 201: envelopeSchema(z.object({ execution_id: z.string(), msg: z.string() })) },
      },
    },
    async (request, reply) => {
      const { actor } = await loadActor(ctx, principalOf(request), request.params);
      const { message } = request.body;
      const text = typeof message === "string" ? message : JSON.stringify(message);
      if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
        throw new ValidationError("message", [{ path: "message", message: `is ${Buffer.byteLength(text)} bytes; at most ${MAX_MESSAGE_BYTES} (it is passed in an environment variable)` }]);
      }
      if (text.includes("\0")) throw new ValidationError("message", [{ path: "message", message: "must not contain NUL characters (it is passed in an environment variable)" }]);
      const execution = await ctx.actors.send(actor, text);
      return reply.status(201).send(ok({ execution_id: execution.uuid, msg: text }, "Message queued", 201));
    },
  );

  app.get("/groups/:group_id/actors/:actor_id/executions", { schema: { params: actorParams, response: { 200: envelopeSchema(z.array(actorExecutionSchema)) } } }, async (request) => {
    const { actor } = await loadActor(ctx, principalOf(request), request.params);
    return ok((await service.listActorExecutions(actor.groupId, actor.id)).map(presentExecution));
  });

  app.get("/groups/:group_id/actors/:actor_id/executions/:execution_id", { schema: { params: executionParams, response: { 200: envelopeSchema(actorExecutionSchema) } } }, async (request) => {
    const { execution } = await loadExecution(ctx, principalOf(request), request.params);
    return ok(presentExecution(execution));
  });

  app.get(
    "/groups/:group_id/actors/:actor_id/executions/:execution_id/logs",
    { schema: { summary: "What the execution's container printed so far (stdout and stderr)", params: executionParams, response: { 200: envelopeSchema(z.object({ execution_id: z.string(), logs: z.string() })) } } },
    async (request) => {
      const { execution } = await loadExecution(ctx, principalOf(request), request.params);
      return ok({ execution_id: execution.uuid, logs: await ctx.actors.logOf(execution.uuid) });
    },
  );

  app.get(
    "/groups/:group_id/actors/:actor_id/executions/:execution_id/result",
    { schema: { summary: "What the execution wrote to /cairn/outputs/result, as bytes", params: executionParams } },
    async (request, reply) => {
      const { execution } = await loadExecution(ctx, principalOf(request), request.params);
      if (execution.status === "SUBMITTED" || execution.status === "RUNNING") {
        throw new CairnError("conflict", `execution '${execution.uuid}' is ${execution.status}; its result is read once it has ended`);
      }
      const result = ctx.actors.resultOf(execution.uuid);
      if (result === undefined) throw new CairnError("not_found", `execution '${execution.uuid}' wrote no result (/cairn/outputs/result)`);
      if ("refused" in result) throw new CairnError("conflict", `execution '${execution.uuid}''s result is not served: ${result.refused}`);
      return reply.type("application/octet-stream").send(result.content);
    },
  );
}

async function loadActor(ctx: ApiContext, principal: Principal, params: { group_id: string; actor_id: string }): Promise<{ access: GroupAccess; actor: ActorRecord }> {
  const access = await accessGroup(ctx.store.service, principal, params.group_id);
  const actor = await ctx.store.service.getActor(access.group.id, params.actor_id);
  if (!actor) throw new NotFoundError("actor", params.actor_id);
  return { access, actor };
}

async function loadExecution(
  ctx: ApiContext,
  principal: Principal,
  params: { group_id: string; actor_id: string; execution_id: string },
): Promise<{ actor: ActorRecord; execution: ActorExecutionRecord }> {
  const { actor } = await loadActor(ctx, principal, params);
  const execution = await ctx.store.service.getActorExecution(params.execution_id);
  // Another actor's execution is as absent as one that never was.
  if (!execution || execution.groupId !== actor.groupId || execution.actorId !== actor.id) throw new NotFoundError("execution", params.execution_id);
  return { actor, execution };
}

function requireActorAdmin(principal: Principal, access: GroupAccess, actor: ActorRecord): void {
  if (actor.owner === principal.login || access.member.role !== "member") return;
  throw new CairnError("forbidden", `only the actor's owner ('${actor.owner}') or a group admin may change or delete it`);
}

/**
 * Refuses an image the group may not run, when the engine has it (a container_run task of
 * the group would be refused it too). An image the engine lacks, or an engine that does
 * not answer, is left to the execution, which checks again and fails naming the image.
 */
async function checkImage(ctx: ApiContext, groupId: string, image: string): Promise<void> {
  if (!ctx.imageEngine) return;
  try {
    const engine = await ctx.imageEngine();
    await resolveRunnableImage(engine, groupImages(ctx.store.images, groupId), image, new ImageCache(ctx.config.imageCacheDir));
  } catch (err) {
    if (err instanceof TaskFailure) throw new ValidationError("actor", [{ path: "image", message: err.message }]);
  }
}

function presentActor(a: ActorRecord): z.infer<typeof actorSchema> {
  return {
    id: a.id,
    uuid: a.uuid,
    image: a.image,
    command: a.command,
    default_environment: a.defaultEnvironment,
    description: a.description,
    max_workers: a.maxWorkers,
    owner: a.owner,
    created_at: new Date(a.createdAt).toISOString(),
    updated_at: new Date(a.updatedAt).toISOString(),
  };
}

function presentExecution(e: ActorExecutionRecord): z.infer<typeof actorExecutionSchema> {
  const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: e.uuid,
    actor_id: e.actorId,
    status: e.status,
    exit_code: e.exitCode,
    error: e.error,
    message_received_at: new Date(e.createdAt).toISOString(),
    started_at: time(e.startedAt),
    ended_at: time(e.endedAt),
    task_execution_uuid: e.taskExecutionUuid,
  };
}
