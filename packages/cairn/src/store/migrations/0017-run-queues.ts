import type { Kysely, Migration } from "kysely";

/**
 * Run queues (issue 17): a pipeline's `max_concurrent_runs` holds runs past the limit in
 * status `pending`, and a group's `max_parallel_tasks` caps the running tasks of all its runs.
 *
 * `run_admission_locks` has one row per pipeline that has queued a run: whether a run starts
 * or waits is decided in a transaction that first upserts that row. The upsert takes the row's
 * lock on PostgreSQL (and SQLite has one writer), so two processes deciding for the same
 * pipeline at once take turns, and neither counts the running runs before the other's run is in.
 */
export function runQueues(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("run_admission_locks")
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "text", (c) => c.notNull())
        .addColumn("locked_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_admission_locks_pk", ["group_id", "pipeline_id"])
        .execute();
      // Counting a pipeline's running runs and finding its oldest pending one reads by status.
      await db.schema.createIndex("runs_group_pipeline_status").on("runs").columns(["group_id", "pipeline_id", "status", "created_at"]).execute();
      await db.schema.alterTable("groups").addColumn("max_parallel_tasks", "integer").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("groups").dropColumn("max_parallel_tasks").execute();
      await db.schema.dropIndex("runs_group_pipeline_status").execute();
      await db.schema.dropTable("run_admission_locks").execute();
    },
  };
}
