import type { Kysely } from "kysely";
import { GroupScopedRows, guarded } from "./group-scoped-rows.js";
import type { Database, GroupSecretsTable } from "./schema.js";
import type { SecretRecord, SecretStore } from "./service-store.js";

/** A group's secrets, by name, sealed. */
export function kyselySecretStore(db: Kysely<Database>): SecretStore {
  const rows = new GroupScopedRows(db, { table: "group_secrets", key: "name", noun: "secret", one: "a secret", many: "secrets", toRow: secretToRow, fromRow: secretFromRow });
  return {
    putSecret(secret: SecretRecord): Promise<void> {
      const row = secretToRow(secret);
      return guarded("storing a secret", async () => {
        await db
          .insertInto("group_secrets")
          .values(row)
          // A secret put again keeps the time it was first made.
          .onConflict((oc) => oc.columns(["group_id", "name"]).doUpdateSet({ sealed_value: row.sealed_value, updated_at: row.updated_at, allowed_pipelines: row.allowed_pipelines }))
          .execute();
      });
    },

    getSecret: (groupId, name) => rows.get(groupId, name),
    listSecrets: (groupId) => rows.list(groupId),
    deleteSecret: (groupId, name) => rows.delete(groupId, name),
  };
}

function secretToRow(s: SecretRecord): GroupSecretsTable {
  return {
    group_id: s.groupId,
    name: s.name,
    sealed_value: s.sealedValue,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    allowed_pipelines: JSON.stringify(s.allowedPipelines),
  };
}

function secretFromRow(row: GroupSecretsTable): SecretRecord {
  return {
    groupId: row.group_id,
    name: row.name,
    sealedValue: row.sealed_value,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    allowedPipelines: JSON.parse(row.allowed_pipelines) as string[],
  };
}
