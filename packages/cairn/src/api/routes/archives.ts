import { randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { createArchive, deleteArchive, type CleanupWarning } from "../../archives/archive-service.js";
import { archiveSystem } from "../../archives/archive-system.js";
import { checkWritable, safeSegments } from "../../archives/archive-target.js";
import { describeError, NotFoundError, ValidationError } from "../../errors.js";
import type { ArchiveRecord, ArchiveSettings, IdentityRecord, RunArchiveRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { conflictAs, groupIdSchema, groupParams, idSchema } from "./groups.js";
import { identityBinding } from "./identities.js";
import { loadRun, runParams } from "./runs.js";
import { checkS3Access, ownIdentityOfType, s3Fields } from "./systems.js";

/**
 * Archives (tapis-workflows.txt, "Archives"): a folder on one of the group's systems that
 * pipelines name in `archives`; an `S3` archive is a key prefix in a bucket, of an s3
 * system or its own. Creating one checks that the folder can be written. When a
 * run ends, its tasks' outputs and logs are copied to each; `/runs/{uuid}/archives` tells
 * how that went. Admins create and delete; members read.
 */

const archiveParams = z.strictObject({ group_id: groupIdSchema, archive_id: idSchema });

const archiveDir = z.string().min(1).max(1024).describe("relative to the system's root_dir; a leading / is allowed");
const description = z.string().max(1024).optional();
const { endpoint, bucket, region, identity_uuid } = s3Fields();

const archiveBody = z.discriminatedUnion("type", [
  z.strictObject({ id: idSchema, type: z.literal("system"), system_id: idSchema, archive_dir: archiveDir, description }),
  // Either names an s3 system, or is self-contained as in Tapis (ReqS3Archive: endpoint,
  // bucket, region and the keys' identity).
  z
    .strictObject({
      id: idSchema,
      type: z.literal("S3"),
      system_id: idSchema.optional().describe("an s3 system of the group; or give endpoint, bucket, region and identity_uuid instead"),
      archive_dir: archiveDir.default("").describe("key prefix under the system's root_dir (or the bucket's top)"),
      description,
      endpoint: endpoint.optional(),
      bucket: bucket.optional(),
      region: region.optional(),
      identity_uuid: identity_uuid.optional(),
      credentials: z
        .strictObject({ access_key: z.string().min(1).max(256), access_secret: z.string().min(1).max(4096) })
        .optional()
        .describe("the keys themselves (Tapis' ReqS3Cred), instead of identity_uuid: kept as an s3 identity of the caller, deleted with the archive"),
    })
    .superRefine((body, check) => {
      const own = (["endpoint", "bucket", "region", "identity_uuid", "credentials"] as const).filter((f) => body[f] !== undefined);
      if (body.system_id !== undefined) {
        for (const f of own) check.addIssue({ code: "custom", path: [f], message: `comes from the system: give either system_id or ${f}, not both` });
        return;
      }
      for (const f of ["endpoint", "bucket"] as const) {
        if (body[f] === undefined) check.addIssue({ code: "custom", path: [f], message: "is required when no system_id is given" });
      }
      if ((body.identity_uuid === undefined) === (body.credentials === undefined)) {
        check.addIssue({ code: "custom", path: ["identity_uuid"], message: "give either identity_uuid (an identity of type s3) or credentials when no system_id is given" });
      }
    }),
]);

export const archiveSchema = named(
  "Archive",
  z.object({
    id: z.string(),
    uuid: z.string(),
    type: z.enum(["system", "S3"]),
    system_id: z.string().nullable().describe("null for an S3 archive that holds its own bucket"),
    archive_dir: z.string(),
    endpoint: z.string().nullable(),
    bucket: z.string().nullable(),
    region: z.string().nullable(),
    identity_uuid: z.string().nullable(),
    owner: z.string(),
    created_at: z.string(),
  }),
);

export const runArchiveSchema = named(
  "RunArchive",
  z.object({
    archive_id: z.string(),
    status: z.enum(["pending", "done", "failed"]),
    attempts: z.number().int().describe("tries so far"),
    message: z.string().nullable().describe("why it failed, or what was written"),
    location: z.string().nullable().describe("the run's folder on the system, once done"),
    updated_at: z.string(),
  }),
);

export function archiveRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post(
    "/groups/:group_id/archives",
    { schema: { summary: "Create an archive on one of the group's systems, checking it can be written (admins)", params: groupParams, body: archiveBody, response: { 201: envelopeSchema(archiveSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { group } = await accessGroup(service, principal, request.params.group_id, "admin");
      const body = request.body;
      try {
        safeSegments(body.archive_dir, "archive_dir");
      } catch (err) {
        throw new ValidationError("archive", [{ path: "archive_dir", message: (err as Error).message }]);
      }
      // Keys given inline become the caller's identity, like any other keys: createArchive stores them, and removes them if the archive is not made.
      let keptKeys: IdentityRecord | undefined;
      const settings = await (async (): Promise<ArchiveSettings> => {
        if (body.type === "S3" && body.system_id === undefined) {
          const location = { endpoint: body.endpoint!, bucket: body.bucket!, region: body.region ?? "us-east-1", rootDir: "" };
          if (body.credentials) {
            keptKeys = archiveKeys(ctx, principal.login, group.id, body.id, body.credentials);
            return { type: "S3", systemId: null, archiveDir: body.archive_dir, location: { ...location, identityUuid: keptKeys.uuid }, keysKeptForIt: true };
          }
          const identityUuid = await ownIdentityOfType(ctx, principal.login, body.identity_uuid!, "s3", "archive");
          return { type: "S3", systemId: null, archiveDir: body.archive_dir, location: { ...location, identityUuid } };
        }
        const system = await service.getSystem(group.id, body.system_id!);
        if (!system) throw new ValidationError("archive", [{ path: "system_id", message: `group '${group.id}' has no system '${body.system_id}'` }]);
        if (body.type === "S3" && system.settings.type !== "s3") {
          throw new ValidationError("archive", [{ path: "system_id", message: `system '${system.id}' is of type '${system.settings.type}'; an S3 archive needs an s3 system (or use type 'system')` }]);
        }
        if (system.settings.type === "slurm") {
          throw new ValidationError("archive", [{ path: "system_id", message: `system '${system.id}' is a slurm system, which runs jobs and holds no archives; name a local, ssh or s3 system` }]);
        }
        return { type: body.type, systemId: system.id, archiveDir: body.archive_dir };
      })();
      const record: ArchiveRecord = { uuid: randomUUID(), groupId: group.id, id: body.id, owner: principal.login, settings, createdAt: Date.now() };
      const checkWrites = async () => {
        const { system, label } = await archiveSystem(service, record);
        if (system.settings.type === "s3") {
          await checkS3Access(ctx, system, label, "archive", { archiveDir: body.archive_dir, onSystem: record.settings.systemId !== null });
        } else {
          try {
            const target = await ctx.systems.open(system, body.archive_dir, label);
            try {
              await checkWritable(target, "");
            } finally {
              await target.close();
            }
          } catch (err) {
            throw new ValidationError("archive", [{ path: "system_id", message: `cannot write to archive_dir '${body.archive_dir}' on system '${system.id}': ${describeError(err)}` }]);
          }
        }
      };
      await createArchive(service, record, keptKeys, checkWrites, warnIn(request)).catch((err: unknown) => {
        throw conflictAs(err, `group '${group.id}' already has an archive with id '${body.id}'`);
      });
      return reply.status(201).send(ok(presentArchive(record), "Archive created", 201));
    },
  );

  app.get("/groups/:group_id/archives", { schema: { params: groupParams, response: { 200: envelopeSchema(z.array(archiveSchema)) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok((await service.listArchives(group.id)).map(presentArchive));
  });

  app.get("/groups/:group_id/archives/:archive_id", { schema: { params: archiveParams, response: { 200: envelopeSchema(archiveSchema) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const archive = await service.getArchive(group.id, request.params.archive_id);
    if (!archive) throw new NotFoundError("archive", request.params.archive_id);
    return ok(presentArchive(archive));
  });

  app.delete("/groups/:group_id/archives/:archive_id", { schema: { summary: "Delete an archive; what it holds stays on its system (admins)", params: archiveParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
    await deleteArchive(service, group.id, request.params.archive_id, warnIn(request));
    return ok(null, "Archive deleted");
  });

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/archives",
    { schema: { summary: "How archiving the run went, per archive of its pipeline", params: runParams, response: { 200: envelopeSchema(z.array(runArchiveSchema)) } } },
    async (request) => {
      const { run } = await loadRun(ctx, principalOf(request), request.params);
      return ok((await service.listRunArchives(run.uuid)).map(presentRunArchive));
    },
  );
}

/** A clean-up's failure, into the request's log. */
function warnIn(request: FastifyRequest): CleanupWarning {
  return (message, cause) => request.log.warn({ err: cause }, message);
}

/** Keys given with an archive as an s3 identity of the caller, so they are sealed and listed like any other. */
function archiveKeys(ctx: ApiContext, owner: string, groupId: string, archiveId: string, keys: { access_key: string; access_secret: string }): IdentityRecord {
  const uuid = randomUUID();
  return {
    uuid,
    owner,
    type: "s3",
    name: `archive ${groupId}/${archiveId}`,
    description: `access keys given with S3 archive '${archiveId}' of group '${groupId}'; deleted with it`,
    host: null,
    sealedCredentials: ctx.sealer.seal(JSON.stringify({ access_key_id: keys.access_key, secret_access_key: keys.access_secret }), identityBinding(uuid)),
    createdAt: Date.now(),
  };
}

function presentArchive(a: ArchiveRecord): z.infer<typeof archiveSchema> {
  const own = "location" in a.settings ? a.settings.location : undefined;
  return {
    id: a.id,
    uuid: a.uuid,
    type: a.settings.type,
    system_id: a.settings.systemId,
    archive_dir: a.settings.archiveDir,
    endpoint: own?.endpoint ?? null,
    bucket: own?.bucket ?? null,
    region: own?.region ?? null,
    identity_uuid: own?.identityUuid ?? null,
    owner: a.owner,
    created_at: new Date(a.createdAt).toISOString(),
  };
}

function presentRunArchive(r: RunArchiveRecord): z.infer<typeof runArchiveSchema> {
  return { archive_id: r.archiveId, status: r.status, attempts: r.attempts, message: r.message, location: r.location, updated_at: new Date(r.updatedAt).toISOString() };
}
