import type { Kysely, Migration } from "kysely";

/**
 * Systems (where archived data lives and with which credentials), archives (a folder on
 * a system that pipelines attach by id), and what became of each archive of each run.
 * Type-specific settings are JSON so that a new system type (S3) needs no new columns.
 */
export function systemsArchives(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("systems")
        .addColumn("uuid", "text", (c) => c.notNull().unique())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("systems_pk", ["group_id", "id"])
        .execute();

      await db.schema
        .createTable("archives")
        .addColumn("uuid", "text", (c) => c.notNull().unique())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("archives_pk", ["group_id", "id"])
        .execute();

      await db.schema
        .createTable("run_archives")
        .addColumn("run_uuid", "text", (c) => c.notNull().references("runs.uuid").onDelete("cascade"))
        .addColumn("archive_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("location", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_archives_pk", ["run_uuid", "archive_id"])
        .execute();
      // A restarted server finishes the archivings the previous process left pending.
      await db.schema.createIndex("run_archives_status").on("run_archives").column("status").execute();
    },

    async down(db: Kysely<any>) {
      for (const table of ["run_archives", "archives", "systems"]) await db.schema.dropTable(table).execute();
    },
  };
}
