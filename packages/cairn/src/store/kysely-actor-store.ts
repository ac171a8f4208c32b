import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import { GroupScopedRows, guarded } from "./group-scoped-rows.js";
import type { ActorExecutionsTable, ActorsTable, Database } from "./schema.js";
import type { ActorExecutionRecord, ActorExecutionStatus, ActorRecord, ActorStore } from "./service-store.js";

/** A group's actors, by id, and their executions: queued per actor in the order messages came. */
export function kyselyActorStore(db: Kysely<Database>): ActorStore {
  const rows = new GroupScopedRows(db, { table: "actors", key: "id", noun: "actor", one: "an actor", many: "actors", toRow: actorToRow, fromRow: actorFromRow });
  return {
    createActor: (actor) => rows.create(actor),
    getActor: (groupId, id) => rows.get(groupId, id),
    listActors: (groupId) => rows.list(groupId),
    updateActor(actor: ActorRecord): Promise<void> {
      return guarded("updating an actor", async () => {
        const { image, command, default_environment, description, max_workers, updated_at } = actorToRow(actor);
        const result = await db
          .updateTable("actors")
          .set({ image, command, default_environment, description, max_workers, updated_at })
          .where("group_id", "=", actor.groupId)
          .where("id", "=", actor.id)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("actor", actor.id);
      });
    },
    deleteActor: (groupId, id) => rows.delete(groupId, id),

    async addActorExecution(execution) {
      const last = await guarded("queuing a message", () =>
        db
          .selectFrom("actor_executions")
          .select((eb) => eb.fn.max("position").as("last"))
          .where("group_id", "=", execution.groupId)
          .where("actor_id", "=", execution.actorId)
          .executeTakeFirst(),
      );
      // Two messages queued at once may take the same position: the unique constraint refuses the second (conflict).
      const record: ActorExecutionRecord = {
        ...execution,
        position: Number(last?.last ?? 0) + 1,
        status: "SUBMITTED",
        exitCode: null,
        error: null,
        startedAt: null,
        endedAt: null,
      };
      await guarded("queuing a message", () => db.insertInto("actor_executions").values(executionToRow(record)).execute());
      return record;
    },

    async getActorExecution(uuid) {
      const row = await guarded("reading an actor execution", () => db.selectFrom("actor_executions").selectAll().where("uuid", "=", uuid).executeTakeFirst());
      return row && executionFromRow(row);
    },

    async getActorExecutionOfTask(taskExecutionUuid) {
      const row = await guarded("reading an actor execution", () =>
        db.selectFrom("actor_executions").selectAll().where("task_execution_uuid", "=", taskExecutionUuid).orderBy("created_at", "desc").executeTakeFirst(),
      );
      return row && executionFromRow(row);
    },

    async listActorExecutions(groupId, actorId) {
      const rows = await guarded("listing actor executions", () =>
        db.selectFrom("actor_executions").selectAll().where("group_id", "=", groupId).where("actor_id", "=", actorId).orderBy("position").execute(),
      );
      return rows.map(executionFromRow);
    },

    async actorExecutionsToStart() {
      return guarded("finding actor executions to start", async () => {
        const busy = await db
          .selectFrom("actor_executions")
          .select(["group_id", "actor_id", (eb) => eb.fn.countAll().as("running")])
          .where("status", "=", "RUNNING")
          .groupBy(["group_id", "actor_id"])
          .execute();
        const queued = await db
          .selectFrom("actor_executions as e")
          .innerJoin("actors as a", (join) => join.onRef("a.group_id", "=", "e.group_id").onRef("a.id", "=", "e.actor_id"))
          .selectAll("e")
          .select("a.max_workers")
          .where("e.status", "=", "SUBMITTED")
          .orderBy("e.position")
          .execute();
        const room = new Map<string, number>();
        const key = (groupId: string, actorId: string) => JSON.stringify([groupId, actorId]);
        const running = new Map(busy.map((b) => [key(b.group_id, b.actor_id), Number(b.running)]));
        const chosen: ActorExecutionRecord[] = [];
        for (const row of queued) {
          const k = key(row.group_id, row.actor_id);
          const left = room.get(k) ?? Number(row.max_workers) - (running.get(k) ?? 0);
          room.set(k, left - 1);
          if (left > 0) chosen.push(executionFromRow(row));
        }
        // Across actors, oldest message first.
        return chosen.sort((a, b) => a.createdAt - b.createdAt || a.position - b.position);
      });
    },

    async claimActorExecution(uuid, holder, startedAt, leaseExpiresAt) {
      const result = await guarded("starting an actor execution", () =>
        db
          .updateTable("actor_executions")
          .set({ status: "RUNNING", started_at: startedAt, holder, lease_expires_at: leaseExpiresAt })
          .where("uuid", "=", uuid)
          .where("status", "=", "SUBMITTED")
          .executeTakeFirst(),
      );
      return Number(result.numUpdatedRows) === 1;
    },

    async renewActorExecutionLeases(holder, uuids, leaseExpiresAt) {
      if (uuids.length === 0) return;
      await guarded("renewing actor execution leases", () =>
        db
          .updateTable("actor_executions")
          .set({ lease_expires_at: leaseExpiresAt })
          .where("holder", "=", holder)
          .where("status", "=", "RUNNING")
          .where("uuid", "in", [...uuids])
          .execute(),
      );
    },

    async finishActorExecution(uuid, end) {
      const result = await guarded("ending an actor execution", () =>
        db
          .updateTable("actor_executions")
          .set({ status: end.status, exit_code: end.exitCode, error: end.error, ended_at: end.endedAt, holder: null, lease_expires_at: null })
          .where("uuid", "=", uuid)
          .where("status", "in", ["SUBMITTED", "RUNNING"])
          .executeTakeFirst(),
      );
      return Number(result.numUpdatedRows) === 1;
    },

    async failLapsedActorExecutions(now, error) {
      return guarded("ending lost actor executions", async () => {
        const lapsed = await db.selectFrom("actor_executions").selectAll().where("status", "=", "RUNNING").where("lease_expires_at", "<", now).execute();
        const failed: ActorExecutionRecord[] = [];
        for (const row of lapsed) {
          // Conditional on the lease read: a holder that renewed meanwhile keeps its execution.
          const result = await db
            .updateTable("actor_executions")
            .set({ status: "ERROR", error, ended_at: now, holder: null, lease_expires_at: null })
            .where("uuid", "=", row.uuid)
            .where("status", "=", "RUNNING")
            .where("lease_expires_at", "=", row.lease_expires_at)
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) === 1) failed.push({ ...executionFromRow(row), status: "ERROR", error, endedAt: now });
        }
        return failed;
      });
    },
  };
}

function actorToRow(a: ActorRecord): ActorsTable {
  return {
    uuid: a.uuid,
    group_id: a.groupId,
    id: a.id,
    owner: a.owner,
    image: a.image,
    command: a.command === null ? null : JSON.stringify(a.command),
    default_environment: JSON.stringify(a.defaultEnvironment),
    description: a.description,
    max_workers: a.maxWorkers,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

function actorFromRow(r: ActorsTable): ActorRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    image: r.image,
    command: r.command === null ? null : (JSON.parse(r.command) as string[]),
    defaultEnvironment: JSON.parse(r.default_environment) as Record<string, string>,
    description: r.description,
    maxWorkers: Number(r.max_workers),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function executionToRow(e: ActorExecutionRecord): ActorExecutionsTable {
  return {
    uuid: e.uuid,
    group_id: e.groupId,
    actor_id: e.actorId,
    position: e.position,
    message: e.message,
    status: e.status,
    exit_code: e.exitCode,
    error: e.error,
    created_at: e.createdAt,
    started_at: e.startedAt,
    ended_at: e.endedAt,
    task_execution_uuid: e.taskExecutionUuid,
    holder: null,
    lease_expires_at: null,
  };
}

function executionFromRow(r: ActorExecutionsTable): ActorExecutionRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    actorId: r.actor_id,
    position: Number(r.position),
    message: r.message,
    status: r.status as ActorExecutionStatus,
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    error: r.error,
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    taskExecutionUuid: r.task_execution_uuid,
  };
}
