import type { Kysely } from "kysely";
import { CairnError, NotFoundError } from "../errors.js";
import { changed, guarded } from "./group-scoped-rows.js";
import type { AppsTable, Database } from "./schema.js";
import type { AppDefinition, AppRecord, AppStore } from "./service-store.js";

/** A group's apps, by id and version (what tapis_job tasks run). */
export function kyselyAppStore(db: Kysely<Database>): AppStore {
  return {
    createApp: (app) =>
      changed("creating an app", () => db.insertInto("apps").values(appToRow(app)).execute()),

    async getApp(groupId, id, version) {
      const row = await guarded("reading an app", () => {
        let query = db.selectFrom("apps").selectAll().where("group_id", "=", groupId).where("id", "=", id);
        // The latest version: the one created last (versions are names, not numbers to compare).
        query = version === undefined ? query.orderBy("created_at", "desc").orderBy("version", "desc") : query.where("version", "=", version);
        return query.limit(1).executeTakeFirst();
      });
      return row && appFromRow(row);
    },

    async listApps(groupId) {
      const rows = await guarded("listing apps", () => db.selectFrom("apps").selectAll().where("group_id", "=", groupId).orderBy("id").orderBy("created_at").execute());
      return rows.map(appFromRow);
    },

    deleteApp: (groupId, id, version) =>
      guarded("deleting an app", async () => {
        // Only an unused version goes: a run that used it must keep meaning what it ran.
        const result = await db.deleteFrom("apps").where("group_id", "=", groupId).where("id", "=", id).where("version", "=", version).where("used_at", "is", null).executeTakeFirst();
        if (Number(result.numDeletedRows) > 0) return;
        const row = await db.selectFrom("apps").select("used_at").where("group_id", "=", groupId).where("id", "=", id).where("version", "=", version).executeTakeFirst();
        if (!row) throw new NotFoundError("app", `${id}@${version}`);
        throw new CairnError("conflict", `app '${id}' version '${version}' was used by a run and is kept; create a new version instead`);
      }),

    markAppUsed: (groupId, id, version, at) =>
      changed("recording an app's use", () =>
        db.updateTable("apps").set({ used_at: at }).where("group_id", "=", groupId).where("id", "=", id).where("version", "=", version).where("used_at", "is", null).execute(),
      ),
  };
}

function appToRow(a: AppRecord): AppsTable {
  return {
    uuid: a.uuid,
    group_id: a.groupId,
    id: a.id,
    version: a.version,
    owner: a.owner,
    description: a.description,
    definition: JSON.stringify(a.definition),
    created_at: a.createdAt,
    used_at: a.usedAt,
  };
}

function appFromRow(r: AppsTable): AppRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    version: r.version,
    owner: r.owner,
    description: r.description,
    definition: JSON.parse(r.definition) as AppDefinition,
    createdAt: Number(r.created_at),
    usedAt: r.used_at === null ? null : Number(r.used_at),
  };
}
