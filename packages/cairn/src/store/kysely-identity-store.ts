import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import { guarded } from "./group-scoped-rows.js";
import type { Database, IdentitiesTable } from "./schema.js";
import type { IdentityRecord, IdentityStore } from "./service-store.js";

/** Identities: a user's sealed credentials for other systems, by uuid. */
export function kyselyIdentityStore(db: Kysely<Database>): IdentityStore {
  return {
    createIdentity(identity: IdentityRecord): Promise<void> {
      return guarded("creating an identity", async () => {
        await db.insertInto("identities").values(identityToRow(identity)).execute();
      });
    },

    async getIdentity(uuid: string): Promise<IdentityRecord | undefined> {
      const row = await guarded("reading an identity", () => db.selectFrom("identities").selectAll().where("uuid", "=", uuid).executeTakeFirst());
      return row && identityFromRow(row);
    },

    async listIdentities(owner: string): Promise<IdentityRecord[]> {
      const rows = await guarded("listing identities", () =>
        db.selectFrom("identities").selectAll().where("owner", "=", owner).orderBy("created_at").orderBy("uuid").execute(),
      );
      return rows.map(identityFromRow);
    },

    deleteIdentity(uuid: string): Promise<void> {
      return guarded("deleting an identity", async () => {
        const result = await db.deleteFrom("identities").where("uuid", "=", uuid).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) throw new NotFoundError("identity", uuid);
      });
    },
  };
}

function identityToRow(i: IdentityRecord): IdentitiesTable {
  return {
    uuid: i.uuid,
    owner: i.owner,
    type: i.type,
    name: i.name,
    description: i.description,
    host: i.host,
    sealed_credentials: i.sealedCredentials,
    created_at: i.createdAt,
  };
}

function identityFromRow(r: IdentitiesTable): IdentityRecord {
  return {
    uuid: r.uuid,
    owner: r.owner,
    type: r.type,
    name: r.name,
    description: r.description,
    host: r.host,
    sealedCredentials: r.sealed_credentials,
    createdAt: Number(r.created_at),
  };
}
