import type { Kysely } from "kysely";
import type { RunId } from "../ids.js";
import type { ClaimStore, RunClaim, WorkerRecord, WorkerRole } from "./claim-store.js";
import type { Database, WorkersTable } from "./schema.js";
import { toStorageError } from "./storage-error.js";
import type { RunStatus } from "./store.js";
import type { Wakeups } from "./wakeups.js";

const UNFINISHED: RunStatus[] = ["queued", "running"];

export interface ClaimStoreOptions {
  /** Several processes write (PostgreSQL): runs are picked with `FOR UPDATE SKIP LOCKED`, so claimers do not queue behind each other. */
  multipleWriters: boolean;
  wakeups: Wakeups;
}

/** The ClaimStore over the same Kysely instance as the run store. */
export class KyselyClaimStore implements ClaimStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: ClaimStoreOptions,
  ) {}

  heartbeat(worker: WorkerRecord, leaseUntil: number): Promise<RunId[]> {
    return guarded("renewing a worker's heartbeat and leases", () =>
      this.db.transaction().execute(async (trx) => {
        const row = workerToRow(worker);
        await trx
          .insertInto("workers")
          .values(row)
          .onConflict((oc) => oc.column("id").doUpdateSet({ role: row.role, slots_total: row.slots_total, slots_used: row.slots_used, heartbeat_at: row.heartbeat_at }))
          .execute();
        // A claim taken over by another worker names that worker now, so it is not renewed here.
        await trx.updateTable("run_claims").set({ lease_until: leaseUntil }).where("worker_id", "=", worker.id).execute();
        // Its claims of ended runs are no one's business any more. Only its own: deleting
        // another worker's rows here would lock them in another order than that worker's
        // own heartbeat does (a deadlock). Per claim, a lookup of its run by key.
        await trx
          .deleteFrom("run_claims")
          .where("worker_id", "=", worker.id)
          .where((eb) =>
            eb.exists(eb.selectFrom("runs").select("runs.uuid").whereRef("runs.uuid", "=", "run_claims.run_uuid").where("runs.status", "not in", UNFINISHED)),
          )
          .execute();
        const held = await trx.selectFrom("run_claims").select("run_uuid").where("worker_id", "=", worker.id).execute();
        return held.map((r) => r.run_uuid as RunId);
      }),
    );
  }

  async listWorkers(aliveSince: number): Promise<WorkerRecord[]> {
    const rows = await guarded("listing workers", () =>
      this.db.selectFrom("workers").selectAll().where("heartbeat_at", ">=", aliveSince).orderBy("started_at").orderBy("id").execute(),
    );
    return rows.map(workerFromRow);
  }

  retire(workerId: string): Promise<void> {
    return guarded("retiring a worker", () =>
      this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom("run_claims").where("worker_id", "=", workerId).execute();
        await trx.deleteFrom("workers").where("id", "=", workerId).execute();
      }),
    );
  }

  claimRuns(workerId: string, now: number, leaseUntil: number, limit: number): Promise<RunId[]> {
    return guarded("claiming runs", () =>
      this.db.transaction().execute(async (trx) => {
        let candidates = trx
          .selectFrom("runs")
          .leftJoin("run_claims", "run_claims.run_uuid", "runs.uuid")
          .select("runs.uuid")
          .where("runs.status", "in", UNFINISHED)
          .where((eb) => eb.or([eb("run_claims.run_uuid", "is", null), eb("run_claims.lease_until", "<", now)]))
          .orderBy("runs.created_at")
          .orderBy("runs.uuid")
          .limit(limit);
        // Locks the runs' rows only (the claims' side of the join may be null); another claimer skips them.
        if (this.options.multipleWriters) candidates = candidates.forUpdate("runs").skipLocked();
        const uuids = (await candidates.execute()).map((r) => r.uuid);
        if (uuids.length === 0) return [];
        // The arbiter: the upsert takes an expired lease only if it is still expired when the
        // row is locked, so of two workers that both saw it expired, one wins.
        const won = await trx
          .insertInto("run_claims")
          .values(uuids.map((run_uuid) => ({ run_uuid, worker_id: workerId, lease_until: leaseUntil })))
          .onConflict((oc) =>
            oc
              .column("run_uuid")
              .doUpdateSet({ worker_id: workerId, lease_until: leaseUntil })
              .where("run_claims.lease_until", "<", now),
          )
          .returning("run_uuid")
          .execute();
        const wonSet = new Set(won.map((r) => r.run_uuid));
        return uuids.filter((uuid) => wonSet.has(uuid)) as RunId[];
      }),
    );
  }

  async claimRun(workerId: string, runUuid: RunId, now: number, leaseUntil: number): Promise<boolean> {
    const won = await guarded("claiming a run", () =>
      this.db
        .insertInto("run_claims")
        .values({ run_uuid: runUuid, worker_id: workerId, lease_until: leaseUntil })
        .onConflict((oc) =>
          oc
            .column("run_uuid")
            .doUpdateSet({ worker_id: workerId, lease_until: leaseUntil })
            .where((eb) => eb.or([eb("run_claims.lease_until", "<", now), eb("run_claims.worker_id", "=", workerId)])),
        )
        .returning("run_uuid")
        .execute(),
    );
    return won.length > 0;
  }

  async flagRun(runUuid: RunId, message: string): Promise<boolean> {
    const result = await guarded("flagging a run", () =>
      this.db.updateTable("runs").set({ message }).where("uuid", "=", runUuid).where("status", "in", UNFINISHED).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  async nextLeaseEnd(workerId: string, now: number): Promise<number | undefined> {
    const row = await guarded("reading the next lease end", () =>
      this.db
        .selectFrom("run_claims")
        .innerJoin("runs", "runs.uuid", "run_claims.run_uuid")
        .select((eb) => eb.fn.min("run_claims.lease_until").as("next"))
        .where("runs.status", "in", UNFINISHED)
        .where("run_claims.lease_until", ">=", now)
        .where("run_claims.worker_id", "!=", workerId)
        .executeTakeFirst(),
    );
    const next = row?.next;
    return next === null || next === undefined ? undefined : Number(next);
  }

  async getClaim(runUuid: RunId): Promise<RunClaim | undefined> {
    const row = await guarded("reading a run's claim", () => this.db.selectFrom("run_claims").selectAll().where("run_uuid", "=", runUuid).executeTakeFirst());
    return row && { runUuid: row.run_uuid as RunId, workerId: row.worker_id, leaseUntil: row.lease_until };
  }

  notify(topic: Parameters<ClaimStore["notify"]>[0], payload: string): Promise<void> {
    return guarded("waking the other processes", () => this.options.wakeups.notify(topic, payload));
  }

  listen(topic: Parameters<ClaimStore["listen"]>[0], handler: (payload: string) => void): Promise<() => void> {
    return guarded("listening for wake-ups", () => this.options.wakeups.listen(topic, handler));
  }
}

async function guarded<T>(action: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    throw toStorageError(err, action);
  }
}

function workerToRow(w: WorkerRecord): WorkersTable {
  return { id: w.id, role: w.role, slots_total: w.slotsTotal, slots_used: w.slotsUsed, started_at: w.startedAt, heartbeat_at: w.heartbeatAt };
}

function workerFromRow(r: WorkersTable): WorkerRecord {
  return { id: r.id, role: r.role as WorkerRole, slotsTotal: r.slots_total, slotsUsed: r.slots_used, startedAt: r.started_at, heartbeatAt: r.heartbeat_at };
}
