import type { Kysely } from "kysely";
import { guarded } from "./group-scoped-rows.js";
import type { Database, KabutoJobsTable } from "./schema.js";
import type { KabutoJobRecord, KabutoJobStore } from "./service-store.js";

/** Kabuto jobs: queued per pipeline, taken by a run when submitted. */
export function kyselyKabutoJobStore(db: Kysely<Database>): KabutoJobStore {
  return {
    async addKabutoJob(job: Omit<KabutoJobRecord, "position" | "runUuid">): Promise<KabutoJobRecord> {
      const last = await guarded("adding a job", () =>
        db
          .selectFrom("kabuto_jobs")
          .select((eb) => eb.fn.max("position").as("last"))
          .where("group_id", "=", job.groupId)
          .where("pipeline_id", "=", job.pipelineId)
          .executeTakeFirst(),
      );
      // Two jobs added at once may take the same position: the unique constraint refuses the second (conflict).
      const record: KabutoJobRecord = { ...job, position: Number(last?.last ?? 0) + 1, runUuid: null };
      await guarded("adding a job", () => db.insertInto("kabuto_jobs").values(kabutoJobToRow(record)).execute());
      return record;
    },

    async getKabutoJob(uuid: string): Promise<KabutoJobRecord | undefined> {
      const row = await guarded("reading a job", () => db.selectFrom("kabuto_jobs").selectAll().where("uuid", "=", uuid).executeTakeFirst());
      return row && kabutoJobFromRow(row);
    },

    async listKabutoJobs(groupId: string, pipelineId: string): Promise<KabutoJobRecord[]> {
      const rows = await guarded("listing jobs", () =>
        db.selectFrom("kabuto_jobs").selectAll().where("group_id", "=", groupId).where("pipeline_id", "=", pipelineId).orderBy("position").execute(),
      );
      return rows.map(kabutoJobFromRow);
    },

    async markKabutoJobsSubmitted(uuids: readonly string[], runUuid: string): Promise<number> {
      if (uuids.length === 0) return 0;
      const result = await guarded("submitting jobs", () =>
        db.updateTable("kabuto_jobs").set({ run_uuid: runUuid }).where("uuid", "in", [...uuids]).where("run_uuid", "is", null).executeTakeFirst(),
      );
      return Number(result.numUpdatedRows);
    },
  };
}

function kabutoJobToRow(j: KabutoJobRecord): KabutoJobsTable {
  return {
    uuid: j.uuid,
    group_id: j.groupId,
    pipeline_id: j.pipelineId,
    position: j.position,
    command: j.command,
    image_digest: j.imageDigest,
    has_attachments: j.hasAttachments ? 1 : 0,
    created_at: j.createdAt,
    run_uuid: j.runUuid,
  };
}

function kabutoJobFromRow(r: KabutoJobsTable): KabutoJobRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    pipelineId: r.pipeline_id,
    position: Number(r.position),
    command: r.command,
    imageDigest: r.image_digest,
    hasAttachments: Number(r.has_attachments) === 1,
    createdAt: Number(r.created_at),
    runUuid: r.run_uuid,
  };
}
