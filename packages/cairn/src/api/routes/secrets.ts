import { z } from "zod";
import { NotFoundError } from "../../errors.js";
import type { SecretRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { groupParams, idSchema } from "./groups.js";

/**
 * Group secrets, used by pipelines as `value_from: {secret: NAME}`. Admins set and
 * delete them; members see the names only. Values are sealed at rest and never returned.
 */

const secretName = z.string().min(1).max(128).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must start with a letter or _ and hold letters, digits, _ . or -");
const secretParams = z.strictObject({ group_id: idSchema, name: secretName });

export function secretRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.put(
    "/groups/:group_id/secrets/:name",
    { schema: { summary: "Create or replace a group secret (admins)", params: secretParams, body: z.strictObject({ value: z.string().min(1).max(65_536) }) } },
    async (request) => {
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
      const existing = await service.getSecret(group.id, request.params.name);
      const now = Date.now();
      const record: SecretRecord = {
        groupId: group.id,
        name: request.params.name,
        sealedValue: ctx.sealer.seal(request.body.value, secretBinding(group.id, request.params.name)),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await service.putSecret(record);
      return ok(present(record), existing ? "Secret replaced" : "Secret created");
    },
  );

  app.get("/groups/:group_id/secrets", { schema: { summary: "The group's secret names (no values)", params: groupParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok((await service.listSecrets(group.id)).map(present));
  });

  app.delete("/groups/:group_id/secrets/:name", { schema: { summary: "Delete a group secret (admins)", params: secretParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
    const existing = await service.getSecret(group.id, request.params.name);
    if (!existing) throw new NotFoundError("secret", request.params.name);
    await service.deleteSecret(group.id, request.params.name);
    return ok(null, "Secret deleted");
  });
}

/** Ties a sealed value to its group and name, so it cannot be moved to another row. */
export function secretBinding(groupId: string, name: string): string {
  return `secret:${groupId}:${name}`;
}

function present(s: SecretRecord) {
  return { name: s.name, created_at: new Date(s.createdAt).toISOString(), updated_at: new Date(s.updatedAt).toISOString() };
}
