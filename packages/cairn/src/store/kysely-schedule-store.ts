import type { Kysely } from "kysely";
import { changed, guarded } from "./group-scoped-rows.js";
import { NotFoundError } from "../errors.js";
import type { Database, SchedulesTable } from "./schema.js";
import type { SchedulePatch, ScheduleRecord, ScheduleStore } from "./schedule-store.js";

const DEFAULT_DUE_LIMIT = 100;

/** The ScheduleStore over the same Kysely instance as the run store. */
export class KyselyScheduleStore implements ScheduleStore {
  constructor(private readonly db: Kysely<Database>) {}

  createSchedule(schedule: ScheduleRecord): Promise<void> {
    return changed("creating a schedule", () => this.db.insertInto("schedules").values(scheduleToRow(schedule)).execute());
  }

  async getSchedule(uuid: string): Promise<ScheduleRecord | undefined> {
    const row = await guarded("reading a schedule", () => this.db.selectFrom("schedules").selectAll().where("uuid", "=", uuid).executeTakeFirst());
    return row && scheduleFromRow(row);
  }

  async listSchedules(groupId: string, pipelineId: string): Promise<ScheduleRecord[]> {
    const rows = await guarded("listing schedules", () =>
      this.db.selectFrom("schedules").selectAll().where("group_id", "=", groupId).where("pipeline_id", "=", pipelineId).orderBy("created_at").orderBy("uuid").execute(),
    );
    return rows.map(scheduleFromRow);
  }

  updateSchedule(groupId: string, pipelineId: string, uuid: string, patch: SchedulePatch): Promise<void> {
    return guarded("changing a schedule", async () => {
      const row: Partial<SchedulesTable> = {};
      if (patch.cron !== undefined) row.cron = patch.cron;
      if (patch.timezone !== undefined) row.timezone = patch.timezone;
      if (patch.params !== undefined) row.params = JSON.stringify(patch.params);
      if (patch.enabled !== undefined) row.enabled = patch.enabled ? 1 : 0;
      if (patch.catchUp !== undefined) row.catch_up = patch.catchUp ? 1 : 0;
      if (patch.nextRunAt !== undefined) row.next_run_at = patch.nextRunAt;
      if (patch.updatedAt !== undefined) row.updated_at = patch.updatedAt;
      const result = await this.db.updateTable("schedules").set(row).where("uuid", "=", uuid).where("group_id", "=", groupId).where("pipeline_id", "=", pipelineId).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("schedule", uuid);
    });
  }

  deleteSchedule(groupId: string, pipelineId: string, uuid: string): Promise<void> {
    return guarded("deleting a schedule", async () => {
      const result = await this.db.deleteFrom("schedules").where("uuid", "=", uuid).where("group_id", "=", groupId).where("pipeline_id", "=", pipelineId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("schedule", uuid);
    });
  }

  async listDueSchedules(now: number, limit = DEFAULT_DUE_LIMIT): Promise<ScheduleRecord[]> {
    const rows = await guarded("listing due schedules", () =>
      this.db.selectFrom("schedules").selectAll().where("enabled", "=", 1).where("next_run_at", "<=", now).orderBy("next_run_at").limit(limit).execute(),
    );
    return rows.map(scheduleFromRow);
  }

  async nextDueTime(): Promise<number | undefined> {
    const row = await guarded("reading the next schedule", () =>
      this.db.selectFrom("schedules").select((eb) => eb.fn.min("next_run_at").as("next")).where("enabled", "=", 1).executeTakeFirst(),
    );
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  claimFire(uuid: string, due: number, next: number | null): Promise<boolean> {
    return guarded("claiming a schedule's fire", async () => {
      const result = await this.db.updateTable("schedules").set({ next_run_at: next }).where("uuid", "=", uuid).where("next_run_at", "=", due).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  recordFire(uuid: string, fire: { firedAt: number; runUuid: string | null; outcome: string }): Promise<void> {
    return changed("recording a schedule's fire", () =>
      this.db.updateTable("schedules").set({ last_fired_at: fire.firedAt, last_run_uuid: fire.runUuid, last_outcome: fire.outcome }).where("uuid", "=", uuid).execute(),
    );
  }

}

function scheduleToRow(s: ScheduleRecord): SchedulesTable {
  return {
    uuid: s.uuid,
    pipeline_uuid: s.pipelineUuid,
    group_id: s.groupId,
    pipeline_id: s.pipelineId,
    cron: s.cron,
    timezone: s.timezone,
    params: JSON.stringify(s.params),
    enabled: s.enabled ? 1 : 0,
    catch_up: s.catchUp ? 1 : 0,
    created_by: s.createdBy,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    next_run_at: s.nextRunAt,
    last_fired_at: s.lastFiredAt,
    last_run_uuid: s.lastRunUuid,
    last_outcome: s.lastOutcome,
  };
}

function scheduleFromRow(r: SchedulesTable): ScheduleRecord {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    uuid: r.uuid,
    pipelineUuid: r.pipeline_uuid,
    groupId: r.group_id,
    pipelineId: r.pipeline_id,
    cron: r.cron,
    timezone: r.timezone,
    params: JSON.parse(r.params) as Record<string, string>,
    enabled: Number(r.enabled) === 1,
    catchUp: Number(r.catch_up) === 1,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    nextRunAt: num(r.next_run_at),
    lastFiredAt: num(r.last_fired_at),
    lastRunUuid: r.last_run_uuid,
    lastOutcome: r.last_outcome,
  };
}
