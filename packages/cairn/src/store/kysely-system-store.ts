import type { Kysely } from "kysely";
import { GroupScopedRows } from "./group-scoped-rows.js";
import type { Database, SystemsTable } from "./schema.js";
import type { SystemRecord, SystemSettings, SystemStore } from "./service-store.js";

/** A group's systems (where archives write), by id. */
export class KyselySystemStore implements SystemStore {
  readonly #rows: GroupScopedRows<SystemRecord, SystemsTable>;

  constructor(db: Kysely<Database>) {
    this.#rows = new GroupScopedRows(db, { table: "systems", key: "id", noun: "system", one: "a system", many: "systems", toRow: systemToRow, fromRow: systemFromRow });
  }

  createSystem(system: SystemRecord): Promise<void> {
    return this.#rows.create(system);
  }

  getSystem(groupId: string, id: string): Promise<SystemRecord | undefined> {
    return this.#rows.get(groupId, id);
  }

  listSystems(groupId: string): Promise<SystemRecord[]> {
    return this.#rows.list(groupId);
  }

  deleteSystem(groupId: string, id: string): Promise<void> {
    return this.#rows.delete(groupId, id);
  }
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
