import type { Kysely, Migration } from "kysely";

/**
 * Actors (issue 16): a group's long-lived images that handle messages, as Tapis' Actors
 * service (Abaco) has them, and their executions, one per message. An execution is kept
 * from the moment its message arrives (SUBMITTED), so a restarted server still runs it;
 * `position` orders an actor's messages as they arrived (first in, first out).
 * `holder` and `lease_expires_at` name the process running it and until when that
 * process has said it still does: a RUNNING execution whose lease lapsed lost its
 * process and is marked ERROR (actors/actor-dispatcher.ts).
 */
export function actors(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("actors")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("image", "text", (c) => c.notNull())
        .addColumn("command", "text")
        .addColumn("default_environment", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("max_workers", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("actors_group_id", ["group_id", "id"])
        .execute();
      await db.schema
        .createTable("actor_executions")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("actor_id", "text", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("exit_code", "integer")
        .addColumn("error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("task_execution_uuid", "text")
        .addColumn("holder", "text")
        .addColumn("lease_expires_at", "bigint")
        .addUniqueConstraint("actor_executions_position", ["group_id", "actor_id", "position"])
        // A deleted actor takes its executions with it.
        .addForeignKeyConstraint("actor_executions_actor", ["group_id", "actor_id"], "actors", ["group_id", "id"], (c) => c.onDelete("cascade"))
        .execute();
      // The dispatcher looks for SUBMITTED and RUNNING executions every second.
      await db.schema.createIndex("actor_executions_status").on("actor_executions").columns(["status", "position"]).execute();
      await db.schema.createIndex("actor_executions_task").on("actor_executions").column("task_execution_uuid").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable("actor_executions").execute();
      await db.schema.dropTable("actors").execute();
    },
  };
}
