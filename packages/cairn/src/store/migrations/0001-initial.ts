import type { Kysely, Migration } from "kysely";
import type { MigrationContext } from "./migration-context.js";

/** Runs, their task attempts, and the attempts' log lines. */
export function initial({ serialKey }: MigrationContext): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("runs")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("pipeline_id", "text", (c) => c.notNull())
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("pipeline", "text", (c) => c.notNull())
        .addColumn("params", "text", (c) => c.notNull())
        .addColumn("directives", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("message", "text")
        .execute();
      // Recovery after a restart lists unfinished runs by status.
      await db.schema.createIndex("runs_status").on("runs").column("status").execute();
      // The run listing filters by group and pipeline and shows the newest first.
      await db.schema
        .createIndex("runs_group_pipeline_created")
        .on("runs")
        .columns(["group_id", "pipeline_id", "created_at"])
        .execute();

      await db.schema
        .createTable("task_executions")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("run_uuid", "text", (c) => c.notNull().references("runs.uuid").onDelete("cascade"))
        .addColumn("task_id", "text", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("not_before", "bigint")
        .addColumn("started_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("exit_code", "integer")
        .addColumn("message", "text")
        .addColumn("outputs", "text", (c) => c.notNull())
        .addColumn("runtime_handle", "text")
        .addUniqueConstraint("task_executions_run_task_attempt", ["run_uuid", "task_id", "attempt"])
        .execute();
      // No separate run_uuid index: the unique index leads with run_uuid and already serves
      // listExecutions (ordered by task id, attempt) and the cascade delete.

      await db.schema
        .createTable("log_lines")
        .addColumn("id", serialKey.type, (c) => serialKey.define(c.primaryKey()))
        .addColumn("execution_uuid", "text", (c) =>
          c.notNull().references("task_executions.uuid").onDelete("cascade"),
        )
        .addColumn("stream", "text", (c) => c.notNull())
        .addColumn("ts", "bigint", (c) => c.notNull())
        .addColumn("line", "text", (c) => c.notNull())
        .execute();
      // Log polling reads one attempt's lines after the last id a client saw.
      await db.schema
        .createIndex("log_lines_execution_id")
        .on("log_lines")
        .columns(["execution_uuid", "id"])
        .execute();
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable("log_lines").execute();
      await db.schema.dropTable("task_executions").execute();
      await db.schema.dropTable("runs").execute();
    },
  };
}
