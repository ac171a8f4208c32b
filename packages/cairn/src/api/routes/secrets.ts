import { z } from "zod";
import { NotFoundError, ValidationError, type Issue } from "../../errors.js";
import { ADMIN_PIPELINES, secretBinding } from "../../secrets/secret-access.js";
import type { SecretRecord, ServiceStore } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { groupIdSchema, groupParams, idSchema } from "./groups.js";

export { secretBinding };

/**
 * Group secrets, used by pipelines as `value_from: {secret: NAME}`. Admins set and
 * delete them and decide which pipelines may read each (`allowed_pipelines`, see
 * secrets/secret-access.ts); members see the names only. Values are sealed at rest and
 * never returned.
 */

/** `+` too, so that Tapis Security Kernel ids such as `some+sk+id` can be kept as they are. */
const secretName = z.string().min(1).max(128).regex(/^[A-Za-z_][A-Za-z0-9_.+-]*$/, "must start with a letter or _ and hold letters, digits, _ . + or -");
const secretParams = z.strictObject({ group_id: groupIdSchema, name: secretName });
const allowedPipelines = z
  .array(z.string().min(1).max(128))
  .max(1000)
  .describe('"*" for every pipeline a group admin owns, and ids of pipelines of the group; default ["*"]: a pipeline a member owns reads a secret only when named here');

export function secretRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.put(
    "/groups/:group_id/secrets/:name",
    {
      schema: {
        summary: "Create or replace a group secret (admins)",
        params: secretParams,
        body: z.strictObject({ value: z.string().min(1).max(65_536), allowed_pipelines: allowedPipelines.optional() }),
      },
    },
    async (request) => {
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
      const existing = await service.getSecret(group.id, request.params.name);
      const allowed = request.body.allowed_pipelines;
      const now = Date.now();
      const record: SecretRecord = {
        groupId: group.id,
        name: request.params.name,
        sealedValue: ctx.sealer.seal(request.body.value, secretBinding(group.id, request.params.name)),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        allowedPipelines: allowed ? await pipelineUuids(service, group.id, allowed) : (existing?.allowedPipelines ?? [ADMIN_PIPELINES]),
      };
      await service.putSecret(record);
      return ok(await present(service, record), existing ? "Secret replaced" : "Secret created");
    },
  );

  app.patch(
    "/groups/:group_id/secrets/:name",
    {
      schema: {
        summary: "Change which pipelines may read a group secret (admins)",
        params: secretParams,
        body: z.strictObject({ allowed_pipelines: allowedPipelines }),
      },
    },
    async (request) => {
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
      const existing = await service.getSecret(group.id, request.params.name);
      if (!existing) throw new NotFoundError("secret", request.params.name);
      const record: SecretRecord = { ...existing, allowedPipelines: await pipelineUuids(service, group.id, request.body.allowed_pipelines), updatedAt: Date.now() };
      await service.putSecret(record);
      return ok(await present(service, record), "Secret's allowed pipelines changed");
    },
  );

  app.get("/groups/:group_id/secrets", { schema: { summary: "The group's secret names (no values)", params: groupParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const secrets = await service.listSecrets(group.id);
    const ids = await pipelineIdsByUuid(service, group.id);
    return ok(secrets.map((s) => presentWith(ids, s)));
  });

  app.delete("/groups/:group_id/secrets/:name", { schema: { summary: "Delete a group secret (admins)", params: secretParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
    const existing = await service.getSecret(group.id, request.params.name);
    if (!existing) throw new NotFoundError("secret", request.params.name);
    await service.deleteSecret(group.id, request.params.name);
    return ok(null, "Secret deleted");
  });
}

/** Pipeline ids as given, stored as uuids: a pipeline deleted and made again under its id is not allowed by the old grant. */
async function pipelineUuids(service: ServiceStore, groupId: string, entries: readonly string[]): Promise<string[]> {
  const issues: Issue[] = [];
  const uuids = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    if (entry === ADMIN_PIPELINES) {
      uuids.add(entry);
      continue;
    }
    const pipeline = await service.getPipeline(groupId, entry);
    if (pipeline) uuids.add(pipeline.uuid);
    else issues.push({ path: `allowed_pipelines[${i}]`, message: `group '${groupId}' has no pipeline '${entry}' (use "*" or ids of existing pipelines)` });
  }
  if (issues.length > 0) throw new ValidationError("the secret's allowed_pipelines", issues);
  return [...uuids];
}

async function pipelineIdsByUuid(service: ServiceStore, groupId: string): Promise<Map<string, string>> {
  return new Map((await service.listPipelines(groupId)).map((p) => [p.uuid, p.id]));
}

async function present(service: ServiceStore, s: SecretRecord) {
  return presentWith(await pipelineIdsByUuid(service, s.groupId), s);
}

/** Uuids of pipelines deleted since are left out. */
function presentWith(idsByUuid: ReadonlyMap<string, string>, s: SecretRecord) {
  const allowed = s.allowedPipelines.flatMap((entry) => (entry === ADMIN_PIPELINES ? [entry] : idsByUuid.has(entry) ? [idsByUuid.get(entry)!] : []));
  return { name: s.name, allowed_pipelines: allowed, created_at: new Date(s.createdAt).toISOString(), updated_at: new Date(s.updatedAt).toISOString() };
}
