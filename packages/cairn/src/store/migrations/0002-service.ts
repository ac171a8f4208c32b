import type { Kysely, Migration } from "kysely";

/**
 * What the multi-user service keeps besides runs: users, groups and their members,
 * stored pipelines, identities and group secrets (both sealed, never in clear), and
 * revoked tokens. Group-owned rows cascade when their group is deleted.
 */
export function service(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("users")
        .addColumn("login", "text", (c) => c.primaryKey())
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("confirmed", "integer", (c) => c.notNull())
        .addColumn("confirmation_code", "text")
        .addColumn("is_admin", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("groups")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("uuid", "text", (c) => c.notNull().unique())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("group_members")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("username", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addUniqueConstraint("group_members_group_user", ["group_id", "username"])
        .execute();
      // "Which groups am I in" is asked on every listing.
      await db.schema.createIndex("group_members_username").on("group_members").column("username").execute();

      await db.schema
        .createTable("pipelines")
        .addColumn("uuid", "text", (c) => c.notNull().unique())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("definition", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("pipelines_pk", ["group_id", "id"])
        .execute();

      await db.schema
        .createTable("identities")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("host", "text")
        .addColumn("sealed_credentials", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("identities_owner").on("identities").column("owner").execute();

      await db.schema
        .createTable("group_secrets")
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("sealed_value", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("group_secrets_pk", ["group_id", "name"])
        .execute();

      await db.schema
        .createTable("revoked_tokens")
        .addColumn("jti", "text", (c) => c.primaryKey())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<any>) {
      for (const table of ["revoked_tokens", "group_secrets", "identities", "pipelines", "group_members", "groups", "users"]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
