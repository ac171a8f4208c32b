import type { Kysely, Migration } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/**
 * Triggers (issue 17): webhooks a git host calls on a push, what became of each delivery,
 * and cron schedules; and on each run what started it. Webhooks and schedules belong to a
 * pipeline row (by uuid, cascading), so deleting the pipeline or its group removes them,
 * and a pipeline re-created under the same id does not inherit them.
 */
export function triggers({ serialKey }: MigrationContext): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("webhooks")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("pipeline_uuid", "text", (c) => c.notNull().references("pipelines.uuid").onDelete("cascade"))
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("sealed_secret", "text", (c) => c.notNull())
        .addColumn("branches", "text", (c) => c.notNull())
        .addColumn("events", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("webhooks_pipeline").on("webhooks").columns(["group_id", "pipeline_id"]).execute();

      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("id", serialKey.type, (c) => serialKey.define(c.primaryKey()))
        .addColumn("webhook_uuid", "text", (c) => c.notNull().references("webhooks.uuid").onDelete("cascade"))
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addColumn("delivery_id", "text")
        .addColumn("event", "text")
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("run_uuid", "text")
        // Set only on a verified delivery that was let through to start a run: unique, so
        // the same delivery sent twice (a retry, a replay) starts one run, whatever the
        // number of processes. Null elsewhere (unique indexes allow any number of nulls),
        // so a forged delivery naming a real id claims nothing.
        .addColumn("accepted_delivery_id", "text")
        .execute();
      await db.schema.createIndex("webhook_deliveries_accepted").on("webhook_deliveries").columns(["webhook_uuid", "accepted_delivery_id"]).unique().execute();
      await db.schema.createIndex("webhook_deliveries_recent").on("webhook_deliveries").columns(["webhook_uuid", "id"]).execute();

      await db.schema
        .createTable("schedules")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("pipeline_uuid", "text", (c) => c.notNull().references("pipelines.uuid").onDelete("cascade"))
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("pipeline_id", "text", (c) => c.notNull())
        .addColumn("cron", "text", (c) => c.notNull())
        .addColumn("timezone", "text", (c) => c.notNull())
        .addColumn("params", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("catch_up", "integer", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        // The fire the schedule waits for; a process fires it only by moving this on from
        // the value it read (compare-and-set), so one fire happens once.
        .addColumn("next_run_at", "bigint")
        .addColumn("last_fired_at", "bigint")
        .addColumn("last_run_uuid", "text")
        .addColumn("last_outcome", "text")
        .execute();
      await db.schema.createIndex("schedules_pipeline").on("schedules").columns(["group_id", "pipeline_id"]).execute();
      await db.schema.createIndex("schedules_due").on("schedules").columns(["enabled", "next_run_at"]).execute();

      await db.schema.alterTable("runs").addColumn("trigger", "text").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("runs").dropColumn("trigger").execute();
      await db.schema.dropTable("schedules").execute();
      await db.schema.dropTable("webhook_deliveries").execute();
      await db.schema.dropTable("webhooks").execute();
    },
  };
}
