import type { Kysely, Migration } from "kysely";

/**
 * Apps (issue 16): what a tapis_job task runs on a Slurm system, with its defaults, one row
 * per (group, id, version). `used_at` is set by the first run that uses a version, after
 * which it cannot be deleted. Slurm systems themselves need no new columns: a system's
 * type-specific settings are JSON already (0004).
 */
export function slurmApps(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("apps")
        .addColumn("uuid", "text", (c) => c.notNull().unique())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("definition", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .addPrimaryKeyConstraint("apps_pk", ["group_id", "id", "version"])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable("apps").execute();
    },
  };
}
