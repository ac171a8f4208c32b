import type { Kysely, Migration } from "kysely";

/**
 * The task cache (issue 18, docs/task-cache.md). An entry is what one successful
 * execution left (its outputs, and its result files as content-addressed objects under
 * DATA_DIR/cache/sha256/), found by the hash of everything that determined it. Entries
 * belong to a group: the group is both in the key and a column every read filters on.
 * `cache_entry_objects` says which objects an entry needs, so that an object is deleted
 * only once no entry names it. An execution restored from an entry names the execution
 * that made it (`cached_from`), as a retry's names the one it reuses.
 */
export function taskCache(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("cache_entries")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "text", (c) => c.notNull())
        .addColumn("task_id", "text", (c) => c.notNull())
        .addColumn("execution_uuid", "text", (c) => c.notNull())
        .addColumn("run_uuid", "text", (c) => c.notNull())
        .addColumn("image_digest", "text")
        .addColumn("outputs", "text", (c) => c.notNull())
        .addColumn("files", "text", (c) => c.notNull())
        .addColumn("exit_code", "integer")
        .addColumn("size_bytes", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint", (c) => c.notNull())
        .execute();
      // Eviction reads the least recently used first; marking an image bad deletes by image.
      await db.schema.createIndex("cache_entries_last_used").on("cache_entries").columns(["last_used_at"]).execute();
      await db.schema.createIndex("cache_entries_image").on("cache_entries").columns(["group_id", "image_digest"]).execute();
      await db.schema
        .createTable("cache_entry_objects")
        .addColumn("entry_key", "text", (c) => c.notNull().references("cache_entries.key").onDelete("cascade"))
        .addColumn("digest", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("cache_entry_objects_pk", ["entry_key", "digest"])
        .execute();
      await db.schema.createIndex("cache_entry_objects_digest").on("cache_entry_objects").columns(["digest"]).execute();
      await db.schema.alterTable("task_executions").addColumn("cached_from", "text").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("task_executions").dropColumn("cached_from").execute();
      await db.schema.dropTable("cache_entry_objects").execute();
      await db.schema.dropTable("cache_entries").execute();
    },
  };
}
