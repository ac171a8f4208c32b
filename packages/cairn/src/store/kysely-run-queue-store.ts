import type { Kysely, Transaction } from "kysely";
import type { RunId } from "../ids.js";
import { guarded } from "./group-scoped-rows.js";
import { executionToRow, runFromRow, runToRow } from "./row-mappers.js";
import type { Database } from "./schema.js";
import type { ExecutionRecord, RunQueueStore, RunRecord, RunStatus } from "./store.js";

/** Statuses that hold one of a pipeline's `max_concurrent_runs` slots. */
const HOLDS_A_SLOT: RunStatus[] = ["queued", "running"];

/** The RunQueueStore over the same Kysely instance as the run store. */
export class KyselyRunQueueStore implements RunQueueStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** Most bind parameters one statement may carry: a run of many tasks is inserted in chunks. */
    private readonly maxParameters: number,
  ) {}

  admitRun(run: RunRecord, executions: readonly ExecutionRecord[], limit: number): Promise<RunRecord> {
    return guarded("admitting a run", () =>
      this.db.transaction().execute(async (trx) => {
        await takeAdmissionLock(trx, run.groupId, run.pipelineId, run.createdAt);
        const counts = await trx
          .selectFrom("runs")
          .select((eb) => ["status", eb.fn.countAll<number | string>().as("n")])
          .where("group_id", "=", run.groupId)
          .where("pipeline_id", "=", run.pipelineId)
          .where("status", "in", [...HOLDS_A_SLOT, "pending"])
          .groupBy("status")
          .execute();
        const count = (statuses: string[]) => counts.filter((c) => statuses.includes(c.status)).reduce((n, c) => n + Number(c.n), 0);
        // A run never overtakes one that waits, even when a slot is free this instant.
        const starts = count(["pending"]) === 0 && count(HOLDS_A_SLOT) < limit;
        // "First in" is the order in which the queue took runs, not the order their requests were
        // made in: concurrent submits reach this lock in any order, so the run is stamped here,
        // after every run of the pipeline the queue took before it.
        const latest = await trx
          .selectFrom("runs")
          .select((eb) => eb.fn.max("created_at").as("at"))
          .where("group_id", "=", run.groupId)
          .where("pipeline_id", "=", run.pipelineId)
          .executeTakeFirst();
        const createdAt = Math.max(run.createdAt, Date.now(), Number(latest?.at ?? 0) + 1);
        const admitted: RunRecord = starts ? { ...run, createdAt, startedAt: createdAt, status: "running" } : { ...run, createdAt, status: "pending", startedAt: null };
        await trx.insertInto("runs").values(runToRow(admitted)).execute();
        const rows = executions.map(executionToRow);
        const perStatement = Math.max(1, Math.floor(this.maxParameters / Math.max(1, Object.keys(rows[0] ?? {}).length)));
        for (let i = 0; i < rows.length; i += perStatement) await trx.insertInto("task_executions").values(rows.slice(i, i + perStatement)).execute();
        return admitted;
      }),
    );
  }

  startPendingRuns(groupId: string, pipelineId: string, now: number, limitOf: (run: RunRecord) => number): Promise<RunRecord[]> {
    return guarded("starting pending runs", () =>
      this.db.transaction().execute(async (trx) => {
        await takeAdmissionLock(trx, groupId, pipelineId, now);
        const holding = await trx
          .selectFrom("runs")
          .select((eb) => eb.fn.countAll<number | string>().as("n"))
          .where("group_id", "=", groupId)
          .where("pipeline_id", "=", pipelineId)
          .where("status", "in", HOLDS_A_SLOT)
          .executeTakeFirstOrThrow();
        let active = Number(holding.n);
        const pending = await trx
          .selectFrom("runs")
          .selectAll()
          .where("group_id", "=", groupId)
          .where("pipeline_id", "=", pipelineId)
          .where("status", "=", "pending")
          .orderBy("created_at")
          .orderBy("uuid")
          .execute();
        const started: RunRecord[] = [];
        for (const row of pending) {
          const run = runFromRow(row);
          if (active >= limitOf(run)) break;
          const result = await trx
            .updateTable("runs")
            .set({ status: "running", started_at: now })
            .where("uuid", "=", run.uuid)
            .where("status", "=", "pending")
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) === 0) continue;
          active++;
          started.push({ ...run, status: "running", startedAt: now });
        }
        return started;
      }),
    );
  }

  cancelPendingRun(uuid: RunId, now: number, message: string): Promise<RunRecord | undefined> {
    return guarded("cancelling a pending run", () =>
      this.db.transaction().execute(async (trx) => {
        // Compare-and-set on the status: a run that started meanwhile is left to the engine running it.
        const result = await trx
          .updateTable("runs")
          .set({ status: "cancelled", ended_at: now, message })
          .where("uuid", "=", uuid)
          .where("status", "=", "pending")
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return undefined;
        await trx
          .updateTable("task_executions")
          .set({ status: "cancelled", ended_at: now, message: `the run was cancelled before it started: ${message}` })
          .where("run_uuid", "=", uuid)
          .where("status", "=", "queued")
          .execute();
        const row = await trx.selectFrom("runs").selectAll().where("uuid", "=", uuid).executeTakeFirstOrThrow();
        return runFromRow(row);
      }),
    );
  }

  async listPendingRuns(): Promise<RunRecord[]> {
    const rows = await guarded("listing pending runs", () =>
      this.db.selectFrom("runs").selectAll().where("status", "=", "pending").orderBy("created_at").orderBy("uuid").execute(),
    );
    return rows.map(runFromRow);
  }
}

/**
 * Upserts the pipeline's row of run_admission_locks: on PostgreSQL the upsert holds that
 * row's lock until the transaction ends, so a second process deciding for the same
 * pipeline waits here and then counts the runs this one recorded. SQLite has one writer.
 */
async function takeAdmissionLock(trx: Transaction<Database>, groupId: string, pipelineId: string, now: number): Promise<void> {
  await trx
    .insertInto("run_admission_locks")
    .values({ group_id: groupId, pipeline_id: pipelineId, locked_at: now })
    .onConflict((oc) => oc.columns(["group_id", "pipeline_id"]).doUpdateSet({ locked_at: now }))
    .execute();
}
