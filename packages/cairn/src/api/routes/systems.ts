import { randomUUID } from "node:crypto";
import { z } from "zod";
import { localRootSegments } from "../../archives/local-target.js";
import { checkWritable, safeSegments } from "../../archives/archive-target.js";
import { localGroupRoot } from "../../archives/system-connector.js";
import { deleteUnusedSystem } from "../../archives/system-service.js";
import { describeError, NotFoundError, ValidationError } from "../../errors.js";
import type { SystemRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { conflictAs, groupIdSchema, groupParams, idSchema } from "./groups.js";

/**
 * Systems: where archived data lives and who may write there. `local` is a folder on the
 * server under CAIRN_LOCAL_SYSTEMS_ROOT/GROUP_ID; `ssh` is a folder on a host reached over SFTP
 * with an SSH identity of the admin who creates it; `s3` is a key prefix of a bucket, opened
 * with an s3 identity (access keys) of the admin who creates it. Admins create and delete;
 * members read.
 */

const systemParams = z.strictObject({ group_id: groupIdSchema, system_id: idSchema });
const path = z.string().min(1).max(1024);
const description = z.string().max(1024).optional();

const systemBody = z.discriminatedUnion("type", [
  z.strictObject({ id: idSchema, type: z.literal("local"), description, root_dir: path }),
  z.strictObject({
    id: idSchema,
    type: z.literal("ssh"),
    description,
    host: z.string().min(1).max(255).regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or an IP address"),
    port: z.number().int().min(1).max(65_535).default(22),
    root_dir: path,
    identity_uuid: z.uuid().describe("an identity of type ssh, owned by the caller"),
    host_key: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "must be a SHA256 fingerprint as `ssh-keygen -l` prints it, e.g. SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")
      .optional()
      .describe("the server's host key fingerprint; when given, a server showing another key is refused"),
  }),
  z.strictObject({
    id: idSchema,
    type: z.literal("s3"),
    description,
    ...s3Fields(),
    region: s3Fields().region.default("us-east-1"),
    root_dir: z.string().max(1024).default("").describe("key prefix inside the bucket; archives go below it"),
  }),
]);

/** Where an S3 bucket is and which identity opens it: an s3 system's fields, also a self-contained S3 archive's. */
export function s3Fields() {
  return {
    endpoint: z
      .string()
      .max(1024)
      .regex(/^https?:\/\/[A-Za-z0-9.:[\]-]+(\/[^?#\s]*)?$/, "must be an http:// or https:// URL of the S3 API, e.g. https://s3.us-east-1.amazonaws.com")
      .transform((url) => url.replace(/\/+$/, "")),
    bucket: z
      .string()
      .min(3)
      .max(63)
      .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "must be an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit"),
    region: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/, "must be a region name like us-east-1"),
    identity_uuid: z.uuid().describe("an identity of type s3 (access keys), owned by the caller"),
  };
}

export const systemSchema = named(
  "System",
  z.object({
    id: z.string(),
    uuid: z.string(),
    type: z.enum(["local", "ssh", "s3"]),
    description: z.string().nullable(),
    root_dir: z.string(),
    host: z.string().nullable(),
    port: z.number().int().nullable(),
    identity_uuid: z.string().nullable(),
    host_key: z.string().nullable(),
    endpoint: z.string().nullable(),
    bucket: z.string().nullable(),
    region: z.string().nullable(),
    owner: z.string(),
    created_at: z.string(),
  }),
);

export function systemRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post(
    "/groups/:group_id/systems",
    { schema: { summary: "Create a system archives can write to (admins)", params: groupParams, body: systemBody, response: { 201: envelopeSchema(systemSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { group } = await accessGroup(service, principal, request.params.group_id, "admin");
      const body = request.body;
      const settings = await (async (): Promise<SystemRecord["settings"]> => {
        if (body.type === "local") {
          checkPath(() => localRootSegments(localGroupRoot(ctx.config.localSystemsRoot, group.id), body.root_dir), "root_dir");
          return { type: "local", rootDir: body.root_dir };
        }
        checkPath(() => safeSegments(body.root_dir, "root_dir"), "root_dir");
        const identityUuid = await ownIdentityOfType(ctx, principal.login, body.identity_uuid, body.type, "system");
        if (body.type === "s3") return { type: "s3", endpoint: body.endpoint, bucket: body.bucket, region: body.region, rootDir: body.root_dir, identityUuid };
        return { type: "ssh", host: body.host, port: body.port, rootDir: body.root_dir, identityUuid, hostKeySha256: body.host_key ?? null };
      })();
      const record: SystemRecord = { uuid: randomUUID(), groupId: group.id, id: body.id, owner: principal.login, description: body.description ?? null, settings, createdAt: Date.now() };
      // A bucket is shared by design, so a wrong key or bucket is told now rather than at the first run's end.
      if (settings.type === "s3") await checkS3Access(ctx, record, `system '${record.id}'`, "system");
      await service.createSystem(record).catch((err: unknown) => {
        throw conflictAs(err, `group '${group.id}' already has a system with id '${body.id}'`);
      });
      return reply.status(201).send(ok(presentSystem(record), "System created", 201));
    },
  );

  app.get("/groups/:group_id/systems", { schema: { params: groupParams, response: { 200: envelopeSchema(z.array(systemSchema)) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok((await service.listSystems(group.id)).map(presentSystem));
  });

  app.get("/groups/:group_id/systems/:system_id", { schema: { params: systemParams, response: { 200: envelopeSchema(systemSchema) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const system = await service.getSystem(group.id, request.params.system_id);
    if (!system) throw new NotFoundError("system", request.params.system_id);
    return ok(presentSystem(system));
  });

  app.delete("/groups/:group_id/systems/:system_id", { schema: { summary: "Delete a system no archive uses (admins)", params: systemParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
    await deleteUnusedSystem(service, group.id, request.params.system_id);
    return ok(null, "System deleted");
  });
}

/**
 * The uuid of the caller's own identity of the type a system needs. Only one's own: an
 * admin must not archive with another user's key.
 */
export async function ownIdentityOfType(ctx: ApiContext, login: string, uuid: string, type: "ssh" | "s3", subject: string): Promise<string> {
  const identity = await ctx.store.service.getIdentity(uuid);
  if (!identity || identity.owner !== login) throw new NotFoundError("identity", uuid);
  if (identity.type !== type) {
    throw new ValidationError(subject, [{ path: "identity_uuid", message: `identity '${identity.uuid}' is of type '${identity.type}'; an ${type} ${subject} needs one of type '${type}'` }]);
  }
  return identity.uuid;
}

/**
 * Writes and deletes a probe object at the system's key prefix; a failure is a 400 that
 * points at the field most likely wrong (the key, the bucket, the endpoint), or at
 * `system_id` for an archive on a system, whose body has none of those.
 */
export async function checkS3Access(ctx: ApiContext, system: SystemRecord, label: string, subject: string, options: { archiveDir?: string; onSystem?: boolean } = {}): Promise<void> {
  const archiveDir = options.archiveDir ?? "";
  try {
    const target = await ctx.systems.open(system, archiveDir, label);
    try {
      await checkWritable(target, "");
    } finally {
      await target.close();
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    const path = options.onSystem ? "system_id" : code === "unauthenticated" || code === "forbidden" ? "identity_uuid" : code === "not_found" ? "bucket" : "endpoint";
    throw new ValidationError(subject, [{ path, message: describeError(err) }]);
  }
}

function checkPath(check: () => unknown, field: string): void {
  try {
    check();
  } catch (err) {
    throw new ValidationError("system", [{ path: field, message: (err as Error).message }]);
  }
}

function presentSystem(s: SystemRecord): z.infer<typeof systemSchema> {
  const ssh = s.settings.type === "ssh" ? s.settings : undefined;
  const s3 = s.settings.type === "s3" ? s.settings : undefined;
  return {
    id: s.id,
    uuid: s.uuid,
    type: s.settings.type,
    description: s.description,
    root_dir: s.settings.rootDir,
    host: ssh?.host ?? null,
    port: ssh?.port ?? null,
    identity_uuid: ssh?.identityUuid ?? s3?.identityUuid ?? null,
    host_key: ssh?.hostKeySha256 ?? null,
    endpoint: s3?.endpoint ?? null,
    bucket: s3?.bucket ?? null,
    region: s3?.region ?? null,
    owner: s.owner,
    created_at: new Date(s.createdAt).toISOString(),
  };
}
