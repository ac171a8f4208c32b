import type { Kysely } from "kysely";
import { GroupScopedRows } from "./group-scoped-rows.js";
import type { Database, SystemsTable } from "./schema.js";
import type { SystemRecord, SystemSettings, SystemStore } from "./service-store.js";

/** A group's systems (where archives write), by id. */
export function kyselySystemStore(db: Kysely<Database>): SystemStore {
  const rows = new GroupScopedRows(db, { table: "systems", key: "id", noun: "system", one: "a system", many: "systems", toRow: systemToRow, fromRow: systemFromRow });
  return {
    createSystem: (system) => rows.create(system),
    getSystem: (groupId, id) => rows.get(groupId, id),
    listSystems: (groupId) => rows.list(groupId),
    deleteSystem: (groupId, id) => rows.delete(groupId, id),
  };
}

function systemToRow(s: SystemRecord): SystemsTable {
  const { type, ...settings } = s.settings;
  return {
    uuid: s.uuid,
    group_id: s.groupId,
    id: s.id,
    type,
    owner: s.owner,
    description: s.description,
    settings: JSON.stringify(settings),
    created_at: s.createdAt,
  };
}

function systemFromRow(r: SystemsTable): SystemRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    description: r.description,
    settings: { ...(JSON.parse(r.settings) as object), type: r.type } as SystemSettings,
    createdAt: Number(r.created_at),
  };
}
