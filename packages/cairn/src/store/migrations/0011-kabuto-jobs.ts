import type { Kysely, Migration } from "kysely";

/**
 * Kabuto's jobs (api/routes/kabuto-jobs.ts). A Kabuto pipeline is a Cairn pipeline in
 * the user's personal group; a job is what Kabuto adds to it one at a time and runs only
 * when the pipeline is submitted, so what it is (command, image) and whether a submit
 * took it (the run) must be kept between the two calls. `position` orders the jobs as
 * they were added, which is the order a submit runs them in (first in, first out). The
 * job's state, usage and logs are its execution's, in that run, and are not copied here.
 */
export function kabutoJobs(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("kabuto_jobs")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "text", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("command", "text", (c) => c.notNull())
        .addColumn("image_digest", "text", (c) => c.notNull())
        .addColumn("has_attachments", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("run_uuid", "text")
        .addUniqueConstraint("kabuto_jobs_position", ["group_id", "pipeline_id", "position"])
        // A deleted pipeline takes its jobs with it.
        .addForeignKeyConstraint("kabuto_jobs_pipeline", ["group_id", "pipeline_id"], "pipelines", ["group_id", "id"], (c) => c.onDelete("cascade"))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable("kabuto_jobs").execute();
    },
  };
}
