import { randomUUID } from "node:crypto";
import { z } from "zod";
import { localRootSegments } from "../../archives/local-target.js";
import { checkWritable, safeSegments } from "../../archives/archive-target.js";
import { localGroupRoot } from "../../archives/system-connector.js";
import { deleteUnusedSystem } from "../../archives/system-service.js";
import { describeError, NotFoundError, ValidationError } from "../../errors.js";
import { checkSlurm } from "../../runtimes/slurm/slurm-commands.js";
import { slurmConnector } from "../../runtimes/slurm/slurm-connector.js";
import type { SlurmShell } from "../../runtimes/slurm/slurm-shell.js";
import { schedulerOptionSchema } from "../../spec/tapis-job-def.js";
import type { SlurmSystemSettings, SystemRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { conflictAs, groupIdSchema, groupParams, idSchema } from "./groups.js";

/**
 * Systems: where archived data lives and who may write there. `local` is a folder on the
 * server under CAIRN_LOCAL_SYSTEMS_ROOT/GROUP_ID; `ssh` is a folder on a host reached over SFTP
 * with an SSH identity of the admin who creates it; `s3` is a key prefix of a bucket, opened
 * with an s3 identity (access keys) of the admin who creates it; `slurm` is a batch cluster
 * that runs tapis_job tasks, reached here (localhost) or over SSH. Admins create and delete;
 * members read.
 */

const systemParams = z.strictObject({ group_id: groupIdSchema, system_id: idSchema });
const path = z.string().min(1).max(1024);
const description = z.string().max(1024).optional();

const sshHost = z.string().min(1).max(255).regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or an IP address");
const hostKey = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "must be a SHA256 fingerprint as `ssh-keygen -l` prints it, e.g. SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")
  .optional()
  .describe("the server's host key fingerprint; when given, a server showing another key is refused");

const systemBody = z.discriminatedUnion("type", [
  z.strictObject({ id: idSchema, type: z.literal("local"), description, root_dir: path }),
  z.strictObject({
    id: idSchema,
    type: z.literal("ssh"),
    description,
    host: sshHost,
    port: z.number().int().min(1).max(65_535).default(22),
    root_dir: path,
    identity_uuid: z.uuid().describe("an identity of type ssh, owned by the caller"),
    host_key: hostKey,
  }),
  z.strictObject({
    id: idSchema,
    type: z.literal("slurm"),
    description,
    host: sshHost.describe("`localhost` (Slurm's commands run on this server, as its user) or the SSH login node of the cluster"),
    port: z.number().int().min(1).max(65_535).default(22).describe("SSH only"),
    identity_uuid: z.uuid().optional().describe("SSH only: an identity of type ssh, owned by the caller"),
    host_key: hostKey,
    root_dir: path.describe("where job folders go on the system (absolute for localhost)"),
    partition: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, "must be a Slurm partition name").optional().describe("the default partition; unset: the cluster's default"),
    container_runtime: z.enum(["podman", "none"]).default("none").describe("podman: an app's container_image runs through podman on the allocation"),
    scheduler_options: z.array(schedulerOptionSchema).max(64).default([]).describe("sbatch options added to every job"),
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
    type: z.enum(["local", "ssh", "s3", "slurm"]),
    description: z.string().nullable(),
    root_dir: z.string(),
    host: z.string().nullable(),
    port: z.number().int().nullable(),
    identity_uuid: z.string().nullable(),
    host_key: z.string().nullable(),
    endpoint: z.string().nullable(),
    bucket: z.string().nullable(),
    region: z.string().nullable(),
    partition: z.string().nullable(),
    container_runtime: z.enum(["podman", "none"]).nullable(),
    scheduler_options: z.array(z.string()).nullable(),
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
        if (body.type === "slurm") return slurmSettings(ctx, principal.login, body);
        const identityUuid = await ownIdentityOfType(ctx, principal.login, body.identity_uuid, body.type, "system");
        if (body.type === "s3") return { type: "s3", endpoint: body.endpoint, bucket: body.bucket, region: body.region, rootDir: body.root_dir, identityUuid };
        return { type: "ssh", host: body.host, port: body.port, rootDir: body.root_dir, identityUuid, hostKeySha256: body.host_key ?? null };
      })();
      const record: SystemRecord = { uuid: randomUUID(), groupId: group.id, id: body.id, owner: principal.login, description: body.description ?? null, settings, createdAt: Date.now() };
      // A bucket is shared by design, so a wrong key or bucket is told now rather than at the first run's end.
      if (settings.type === "s3") await checkS3Access(ctx, record, `system '${record.id}'`, "system");
      // Told now, naming what failed, rather than at the first job's submission.
      if (settings.type === "slurm") await checkSlurmSystem(ctx, { id: record.id, settings });
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

type SlurmBody = Extract<z.infer<typeof systemBody>, { type: "slurm" }>;

async function slurmSettings(ctx: ApiContext, login: string, body: SlurmBody): Promise<SlurmSystemSettings> {
  const common = { rootDir: body.root_dir, partition: body.partition ?? null, containerRuntime: body.container_runtime, schedulerOptions: body.scheduler_options };
  if (body.host === "localhost") {
    // sbatch here submits as the server's own user: as much as the host runtime allows, and gated the same way.
    if (!ctx.config.allowHostRuntime) {
      throw new ValidationError("system", [{ path: "host", message: "a localhost slurm system runs jobs as the server's own user, which this server does not allow (CAIRN_ALLOW_HOST_RUNTIME=1 allows it)" }]);
    }
    if (!body.root_dir.startsWith("/")) throw new ValidationError("system", [{ path: "root_dir", message: "must be an absolute path for a localhost slurm system" }]);
    if (body.identity_uuid !== undefined) throw new ValidationError("system", [{ path: "identity_uuid", message: "a localhost slurm system logs in nowhere: leave identity_uuid out" }]);
    return { type: "slurm", host: "localhost", port: null, identityUuid: null, ...common };
  }
  if (body.identity_uuid === undefined) throw new ValidationError("system", [{ path: "identity_uuid", message: `required to log in to ${body.host} over SSH (an identity of type ssh)` }]);
  const identityUuid = await ownIdentityOfType(ctx, login, body.identity_uuid, "ssh", "system");
  return { type: "slurm", host: body.host, port: body.port, identityUuid, hostKeySha256: body.host_key ?? null, ...common };
}

/** `sbatch --version` and `squeue` must answer there, and the partition exist; a 400 naming the field to look at otherwise. */
async function checkSlurmSystem(ctx: ApiContext, system: { id: string; settings: SlurmSystemSettings }): Promise<void> {
  const connect = ctx.slurm ?? slurmConnector({ slurmConf: ctx.config.slurmConf });
  let shell: SlurmShell | undefined;
  try {
    shell = await connect(system);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ValidationError("system", [{ path: code === "unauthenticated" ? "identity_uuid" : code === "forbidden" ? "host_key" : "host", message: describeError(err) }]);
  }
  try {
    await checkSlurm(shell, system.settings.partition);
  } catch (err) {
    const message = describeError(err);
    throw new ValidationError("system", [{ path: /partition/.test(message) && system.settings.partition ? "partition" : "host", message }]);
  } finally {
    await shell.close();
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
  const slurm = s.settings.type === "slurm" ? s.settings : undefined;
  return {
    id: s.id,
    uuid: s.uuid,
    type: s.settings.type,
    description: s.description,
    root_dir: s.settings.rootDir,
    host: ssh?.host ?? slurm?.host ?? null,
    port: ssh?.port ?? slurm?.port ?? null,
    identity_uuid: ssh?.identityUuid ?? s3?.identityUuid ?? slurm?.identityUuid ?? null,
    host_key: ssh?.hostKeySha256 ?? slurm?.hostKeySha256 ?? null,
    endpoint: s3?.endpoint ?? null,
    bucket: s3?.bucket ?? null,
    region: s3?.region ?? null,
    partition: slurm?.partition ?? null,
    container_runtime: slurm?.containerRuntime ?? null,
    scheduler_options: slurm?.schedulerOptions ?? null,
    owner: s.owner,
    created_at: new Date(s.createdAt).toISOString(),
  };
}
