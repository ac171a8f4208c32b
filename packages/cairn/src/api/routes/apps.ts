import { randomUUID } from "node:crypto";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../../errors.js";
import { ENV_KEY_PATTERN, SOURCE_URL_PATTERN, TARGET_PATH_PATTERN, schedulerOptionSchema } from "../../spec/tapis-job-def.js";
import type { AppDefinition, AppRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { conflictAs, groupIdSchema, groupParams, idSchema } from "./groups.js";

/**
 * Apps: what a tapis_job task runs on a slurm system, with the defaults its
 * tapis_job_def may override (Tapis' Apps service, in the API's snake_case). Versioned
 * by `id` and `version`: a version is never changed, and once a run used it, never
 * deleted. Admins create and delete (an app's command runs on the group's systems);
 * members read.
 */

const appParams = z.strictObject({ group_id: groupIdSchema, app_id: idSchema });
const versionParams = z.strictObject({ group_id: groupIdSchema, app_id: idSchema, version: idSchema });
const oneLine = (max: number) => z.string().max(max).regex(/^[^\n\r\0]*$/, "must be one line");
const argList = z.array(z.strictObject({ arg: oneLine(4096) })).max(256);

const appBody = z.strictObject({
  id: idSchema,
  version: idSchema.describe("a name of this version, e.g. 1.0; immutable once created"),
  description: z.string().max(4096).optional(),
  container_image: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, "must be an image reference, e.g. localhost/tool:1 or docker.io/library/python:3.12")
    .optional()
    .describe("run through podman on the allocation (the system needs container_runtime podman)"),
  command: z.array(z.string().max(4096).regex(/^[^\0]*$/, "must not contain NUL")).max(256).default([]).describe("argv; the app's and the job's app_args are appended"),
  job_type: z.literal("BATCH").default("BATCH"),
  job_attributes: z
    .strictObject({
      exec_system_id: idSchema.optional().describe("a slurm system of the group"),
      node_count: z.int().min(1).max(100_000).optional(),
      cores_per_node: z.int().min(1).max(100_000).optional(),
      memory_mb: z.int().min(1).max(1_000_000_000).optional(),
      max_minutes: z.int().min(1).max(525_600).optional(),
      parameter_set: z
        .strictObject({
          app_args: argList.optional(),
          env_variables: z.array(z.strictObject({ key: z.string().regex(ENV_KEY_PATTERN, "must be an environment variable name: letters, digits, _"), value: z.string().max(65_536).regex(/^[^\0]*$/, "must not contain NUL") })).max(256).optional(),
          scheduler_options: z.array(z.strictObject({ arg: schedulerOptionSchema })).max(64).optional(),
        })
        .optional(),
      file_inputs: z
        .array(
          z.strictObject({
            source_url: z.string().max(4096).regex(SOURCE_URL_PATTERN, "must be input:NAME, attachment:PATH or system:PATH"),
            target_path: z.string().max(1024).regex(TARGET_PATH_PATTERN, "must be a path inside the job folder: relative, without '..'"),
          }),
        )
        .max(256)
        .optional(),
    })
    .default({}),
});

export const appSchema = named(
  "App",
  z.object({
    id: z.string(),
    version: z.string(),
    uuid: z.string(),
    description: z.string().nullable(),
    container_image: z.string().nullable(),
    command: z.array(z.string()),
    job_type: z.literal("BATCH"),
    job_attributes: z.object({
      exec_system_id: z.string().nullable(),
      node_count: z.number().int().nullable(),
      cores_per_node: z.number().int().nullable(),
      memory_mb: z.number().int().nullable(),
      max_minutes: z.number().int().nullable(),
      parameter_set: z.object({
        app_args: z.array(z.object({ arg: z.string() })),
        env_variables: z.array(z.object({ key: z.string(), value: z.string() })),
        scheduler_options: z.array(z.object({ arg: z.string() })),
      }),
      file_inputs: z.array(z.object({ source_url: z.string(), target_path: z.string() })),
    }),
    owner: z.string(),
    created_at: z.string(),
    used_at: z.string().nullable().describe("when a run first used this version; it can no longer be deleted"),
  }),
);

export function appRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post(
    "/groups/:group_id/apps",
    { schema: { summary: "Create a version of an app (admins)", params: groupParams, body: appBody, response: { 201: envelopeSchema(appSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { group } = await accessGroup(service, principal, request.params.group_id, "admin");
      const body = request.body;
      const a = body.job_attributes;
      if (a.exec_system_id !== undefined) {
        const system = await service.getSystem(group.id, a.exec_system_id);
        const path = "job_attributes.exec_system_id";
        if (!system) throw new ValidationError("app", [{ path, message: `group '${group.id}' has no system '${a.exec_system_id}'` }]);
        if (system.settings.type !== "slurm") throw new ValidationError("app", [{ path, message: `system '${system.id}' is of type '${system.settings.type}'; apps run on slurm systems` }]);
        if (body.container_image !== undefined && system.settings.containerRuntime === "none") {
          throw new ValidationError("app", [{ path: "container_image", message: `system '${system.id}' has container_runtime 'none'; it cannot run image '${body.container_image}'` }]);
        }
      }
      const definition: AppDefinition = {
        containerImage: body.container_image ?? null,
        command: body.command,
        jobType: "BATCH",
        jobAttributes: {
          execSystemId: a.exec_system_id ?? null,
          nodeCount: a.node_count ?? null,
          coresPerNode: a.cores_per_node ?? null,
          memoryMb: a.memory_mb ?? null,
          maxMinutes: a.max_minutes ?? null,
          appArgs: (a.parameter_set?.app_args ?? []).map((x) => x.arg),
          envVariables: a.parameter_set?.env_variables ?? [],
          schedulerOptions: (a.parameter_set?.scheduler_options ?? []).map((x) => x.arg),
          fileInputs: (a.file_inputs ?? []).map((f) => ({ sourceUrl: f.source_url, targetPath: f.target_path })),
        },
      };
      const record: AppRecord = { uuid: randomUUID(), groupId: group.id, id: body.id, version: body.version, owner: principal.login, description: body.description ?? null, definition, createdAt: Date.now(), usedAt: null };
      await service.createApp(record).catch((err: unknown) => {
        throw conflictAs(err, `group '${group.id}' already has app '${body.id}' version '${body.version}'; a version is immutable, create another`);
      });
      return reply.status(201).send(ok(presentApp(record), "App created", 201));
    },
  );

  app.get("/groups/:group_id/apps", { schema: { summary: "List every version of every app", params: groupParams, response: { 200: envelopeSchema(z.array(appSchema)) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok((await service.listApps(group.id)).map(presentApp));
  });

  app.get("/groups/:group_id/apps/:app_id", { schema: { summary: "The latest version of an app", params: appParams, response: { 200: envelopeSchema(appSchema) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const found = await service.getApp(group.id, request.params.app_id);
    if (!found) throw new NotFoundError("app", request.params.app_id);
    return ok(presentApp(found));
  });

  app.get("/groups/:group_id/apps/:app_id/versions/:version", { schema: { summary: "One version of an app", params: versionParams, response: { 200: envelopeSchema(appSchema) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const found = await service.getApp(group.id, request.params.app_id, request.params.version);
    if (!found) throw new NotFoundError("app", `${request.params.app_id}@${request.params.version}`);
    return ok(presentApp(found));
  });

  app.delete(
    "/groups/:group_id/apps/:app_id/versions/:version",
    { schema: { summary: "Delete a version no run used (admins)", params: versionParams } },
    async (request) => {
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
      await service.deleteApp(group.id, request.params.app_id, request.params.version);
      return ok(null, "App version deleted");
    },
  );
}

function presentApp(a: AppRecord): z.infer<typeof appSchema> {
  const j = a.definition.jobAttributes;
  return {
    id: a.id,
    version: a.version,
    uuid: a.uuid,
    description: a.description,
    container_image: a.definition.containerImage,
    command: a.definition.command,
    job_type: "BATCH",
    job_attributes: {
      exec_system_id: j.execSystemId,
      node_count: j.nodeCount,
      cores_per_node: j.coresPerNode,
      memory_mb: j.memoryMb,
      max_minutes: j.maxMinutes,
      parameter_set: { app_args: j.appArgs.map((arg) => ({ arg })), env_variables: j.envVariables, scheduler_options: j.schedulerOptions.map((arg) => ({ arg })) },
      file_inputs: j.fileInputs.map((f) => ({ source_url: f.sourceUrl, target_path: f.targetPath })),
    },
    owner: a.owner,
    created_at: new Date(a.createdAt).toISOString(),
    used_at: a.usedAt === null ? null : new Date(a.usedAt).toISOString(),
  };
}
