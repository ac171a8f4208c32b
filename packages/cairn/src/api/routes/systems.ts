import { randomUUID } from "node:crypto";
import { z } from "zod";
import { localRootSegments } from "../../archives/local-target.js";
import { safeSegments } from "../../archives/archive-target.js";
import { localGroupRoot } from "../../archives/system-connector.js";
import { CairnError, NotFoundError, ValidationError } from "../../errors.js";
import type { SystemRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { conflictAs, groupParams, idSchema } from "./groups.js";

/**
 * Systems: where archived data lives and who may write there. `local` is a folder on the
 * server under CAIRN_LOCAL_SYSTEMS_ROOT/GROUP_ID; `ssh` is a folder on a host reached over SFTP
 * with an SSH identity of the admin who creates it. Admins create and delete; members read.
 */

const systemParams = z.strictObject({ group_id: idSchema, system_id: idSchema });
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
]);

export const systemSchema = named(
  "System",
  z.object({
    id: z.string(),
    uuid: z.string(),
    type: z.enum(["local", "ssh"]),
    description: z.string().nullable(),
    root_dir: z.string(),
    host: z.string().nullable(),
    port: z.number().int().nullable(),
    identity_uuid: z.string().nullable(),
    host_key: z.string().nullable(),
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
        // Only one's own SSH identity: an admin must not archive with another user's key.
        const identity = await service.getIdentity(body.identity_uuid);
        if (!identity || identity.owner !== principal.login) throw new NotFoundError("identity", body.identity_uuid);
        if (identity.type !== "ssh") {
          throw new ValidationError("system", [{ path: "identity_uuid", message: `identity '${identity.uuid}' is of type '${identity.type}'; an ssh system needs one of type 'ssh'` }]);
        }
        return { type: "ssh", host: body.host, port: body.port, rootDir: body.root_dir, identityUuid: identity.uuid, hostKeySha256: body.host_key ?? null };
      })();
      const record: SystemRecord = { uuid: randomUUID(), groupId: group.id, id: body.id, owner: principal.login, description: body.description ?? null, settings, createdAt: Date.now() };
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
    const system = await service.getSystem(group.id, request.params.system_id);
    if (!system) throw new NotFoundError("system", request.params.system_id);
    const users = (await service.listArchives(group.id)).filter((a) => a.settings.systemId === system.id).map((a) => a.id);
    if (users.length > 0) throw new CairnError("conflict", `system '${system.id}' is used by archive${users.length > 1 ? "s" : ""} ${users.map((id) => `'${id}'`).join(", ")}; delete those first`);
    await service.deleteSystem(group.id, system.id);
    return ok(null, "System deleted");
  });
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
  return {
    id: s.id,
    uuid: s.uuid,
    type: s.settings.type,
    description: s.description,
    root_dir: s.settings.rootDir,
    host: ssh?.host ?? null,
    port: ssh?.port ?? null,
    identity_uuid: ssh?.identityUuid ?? null,
    host_key: ssh?.hostKeySha256 ?? null,
    owner: s.owner,
    created_at: new Date(s.createdAt).toISOString(),
  };
}
