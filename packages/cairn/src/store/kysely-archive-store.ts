import type { Kysely } from "kysely";
import { GroupScopedRows, guarded } from "./group-scoped-rows.js";
import type { ArchivesTable, Database, RunArchivesTable } from "./schema.js";
import type { ArchiveRecord, ArchiveSettings, ArchiveStore, RunArchiveRecord, RunArchiveStatus } from "./service-store.js";

/** A group's archives, by id, and what became of each run's archiving. */
export function kyselyArchiveStore(db: Kysely<Database>): ArchiveStore {
  const rows = new GroupScopedRows(db, { table: "archives", key: "id", noun: "archive", one: "an archive", many: "archives", toRow: archiveToRow, fromRow: archiveFromRow });
  return {
    createArchive: (archive) => rows.create(archive),
    getArchive: (groupId, id) => rows.get(groupId, id),
    listArchives: (groupId) => rows.list(groupId),
    deleteArchive: (groupId, id) => rows.delete(groupId, id),
    putRunArchive(record: RunArchiveRecord): Promise<void> {
      const row = runArchiveToRow(record);
      return guarded("recording an archiving", async () => {
        await db
          .insertInto("run_archives")
          .values(row)
          .onConflict((oc) =>
            oc.columns(["run_uuid", "archive_id"]).doUpdateSet({ status: row.status, attempts: row.attempts, message: row.message, location: row.location, updated_at: row.updated_at }),
          )
          .execute();
      });
    },

    async listRunArchives(runUuid: string): Promise<RunArchiveRecord[]> {
      const rows = await guarded("listing a run's archives", () =>
        db.selectFrom("run_archives").selectAll().where("run_uuid", "=", runUuid).orderBy("archive_id").execute(),
      );
      return rows.map(runArchiveFromRow);
    },

    async listPendingRunArchives(): Promise<RunArchiveRecord[]> {
      const rows = await guarded("listing pending archivings", () =>
        db.selectFrom("run_archives").selectAll().where("status", "=", "pending").orderBy("updated_at").execute(),
      );
      return rows.map(runArchiveFromRow);
    },
  };
}

function archiveToRow(a: ArchiveRecord): ArchivesTable {
  const { type, ...settings } = a.settings;
  return { uuid: a.uuid, group_id: a.groupId, id: a.id, type, owner: a.owner, settings: JSON.stringify(settings), created_at: a.createdAt };
}

function archiveFromRow(r: ArchivesTable): ArchiveRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    settings: { ...(JSON.parse(r.settings) as object), type: r.type } as ArchiveSettings,
    createdAt: Number(r.created_at),
  };
}

function runArchiveToRow(r: RunArchiveRecord): RunArchivesTable {
  return {
    run_uuid: r.runUuid,
    archive_id: r.archiveId,
    status: r.status,
    attempts: r.attempts,
    message: r.message,
    location: r.location,
    updated_at: r.updatedAt,
  };
}

function runArchiveFromRow(r: RunArchivesTable): RunArchiveRecord {
  return {
    runUuid: r.run_uuid,
    archiveId: r.archive_id,
    status: r.status as RunArchiveStatus,
    attempts: Number(r.attempts),
    message: r.message,
    location: r.location,
    updatedAt: Number(r.updated_at),
  };
}
