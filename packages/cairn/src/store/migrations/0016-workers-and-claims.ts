import { sql, type Kysely, type Migration } from "kysely";

/**
 * Scale-out (issue 15): several processes share one PostgreSQL database.
 * - `workers`: each process's row, its role and slots, renewed by its heartbeat.
 * - `run_claims`: which worker owns an unfinished run, until `lease_until`; the owner's
 *   heartbeat renews it, and any other worker may take the run over once it has passed.
 * - `task_executions.worker`: the worker that ran (or re-attached to) the attempt.
 * - One live attempt per task: a partial unique index, so two attempts of one task can
 *   never both be `running`, whichever process writes them (the store's guard, not the engine's).
 */
export function workersAndClaims(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("workers")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("slots_total", "integer", (c) => c.notNull())
        .addColumn("slots_used", "integer", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("run_claims")
        .addColumn("run_uuid", "text", (c) => c.primaryKey().references("runs.uuid").onDelete("cascade"))
        .addColumn("worker_id", "text", (c) => c.notNull())
        .addColumn("lease_until", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("run_claims_worker").on("run_claims").column("worker_id").execute();
      await db.schema.alterTable("task_executions").addColumn("worker", "text").execute();
      await db.schema
        .createIndex("task_executions_one_live_attempt")
        .unique()
        .on("task_executions")
        .columns(["run_uuid", "task_id"])
        .where(sql.ref("status"), "=", sql.lit("running"))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex("task_executions_one_live_attempt").execute();
      await db.schema.alterTable("task_executions").dropColumn("worker").execute();
      await db.schema.dropTable("run_claims").execute();
      await db.schema.dropTable("workers").execute();
    },
  };
}
