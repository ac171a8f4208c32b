import type { Kysely, Migration } from "kysely";

/**
 * The image catalog (arvados' collection properties, wfexs' fingerprints): every image
 * Cairn built, pulled or ran, by its id (the sha256 of its configuration), per group,
 * with its names, its recipe and where it came from; and on each task execution, the
 * exact image it ran. No foreign key to groups: local runs belong to the group "local".
 */
export function imageCatalog(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("images")
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("digest", "text", (c) => c.notNull())
        .addColumn("origin", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("recorded_at", "bigint", (c) => c.notNull())
        .addColumn("architecture", "text")
        .addColumn("os", "text")
        .addColumn("size_bytes", "bigint")
        .addColumn("builder", "text")
        .addColumn("engine", "text")
        .addColumn("recipe", "text")
        .addColumn("git_url", "text")
        .addColumn("git_commit", "text")
        .addColumn("run_uuid", "text")
        .addColumn("task_id", "text")
        .addColumn("bad_reason", "text")
        .addColumn("marked_bad_at", "bigint")
        .addColumn("marked_bad_by", "text")
        .addPrimaryKeyConstraint("images_pk", ["group_id", "digest"])
        .execute();
      // "Which images were built from this commit" (provenance queries).
      await db.schema.createIndex("images_git_commit").on("images").columns(["group_id", "git_commit"]).execute();

      await db.schema
        .createTable("image_names")
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("digest", "text", (c) => c.notNull())
        .addColumn("recorded_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("image_names_pk", ["group_id", "name", "digest"])
        .execute();
      await db.schema.createIndex("image_names_digest").on("image_names").columns(["group_id", "digest"]).execute();

      // Re-runs made because an image was marked bad: the new run supersedes the old one.
      await db.schema
        .createTable("run_supersessions")
        .addColumn("old_run_uuid", "text", (c) => c.notNull().references("runs.uuid").onDelete("cascade"))
        .addColumn("new_run_uuid", "text", (c) => c.notNull().references("runs.uuid").onDelete("cascade"))
        .addColumn("image_digest", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_supersessions_pk", ["old_run_uuid", "new_run_uuid"])
        .execute();
      await db.schema.createIndex("run_supersessions_new").on("run_supersessions").column("new_run_uuid").execute();

      await db.schema.alterTable("task_executions").addColumn("image_digest", "text").execute();
      await db.schema.createIndex("task_executions_image_digest").on("task_executions").column("image_digest").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex("task_executions_image_digest").execute();
      await db.schema.alterTable("task_executions").dropColumn("image_digest").execute();
      for (const table of ["run_supersessions", "image_names", "images"]) await db.schema.dropTable(table).execute();
    },
  };
}
