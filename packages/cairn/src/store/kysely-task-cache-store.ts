import type { Kysely } from "kysely";
import type { ExecutionId, RunId } from "../ids.js";
import { changed, guarded } from "./group-scoped-rows.js";
import type { CacheEntriesTable, Database } from "./schema.js";
import type { CacheEntry, CacheEntryFilter, TaskCacheStore } from "./task-cache-store.js";

/** SQLite takes at most 32,766 parameters per statement, PostgreSQL 65,535: lists go in chunks well under both. */
const CHUNK = 1_000;

/** The task cache's entries over the run store's Kysely instance. */
export function kyselyTaskCacheStore(db: Kysely<Database>): TaskCacheStore {
  return {
    async findCacheEntry(groupId, key, { madeSince } = {}) {
      const row = await guarded("reading a cache entry", () => {
        let query = db
          .selectFrom("cache_entries")
          .selectAll()
          .where("key", "=", key)
          .where("group_id", "=", groupId)
          // An entry made with an image the group marked bad is never used, even one stored
          // after the mark by an attempt that started before it.
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom("images")
                  .select("images.digest")
                  .whereRef("images.group_id", "=", "cache_entries.group_id")
                  .whereRef("images.digest", "=", "cache_entries.image_digest")
                  .where("images.bad_reason", "is not", null),
              ),
            ),
          );
        if (madeSince !== undefined) query = query.where("created_at", ">=", madeSince);
        return query.executeTakeFirst();
      });
      return row && entryFromRow(row);
    },

    async touchCacheEntries(uses) {
      if (uses.length === 0) return;
      await changed("recording cache entries' use", () =>
        db.transaction().execute(async (trx) => {
          for (const use of uses) await trx.updateTable("cache_entries").set({ last_used_at: use.at }).where("key", "=", use.key).where("last_used_at", "<", use.at).execute();
        }),
      );
    },

    async putCacheEntry(entry) {
      await changed("storing a cache entry", () =>
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom("cache_entry_objects").where("entry_key", "=", entry.key).execute();
          await trx.deleteFrom("cache_entries").where("key", "=", entry.key).execute();
          await trx.insertInto("cache_entries").values(entryToRow(entry)).execute();
          const digests = [...new Set(entry.files.map((f) => f.digest))];
          for (let i = 0; i < digests.length; i += CHUNK) {
            await trx
              .insertInto("cache_entry_objects")
              .values(digests.slice(i, i + CHUNK).map((digest) => ({ entry_key: entry.key, digest })))
              .execute();
          }
        }),
      );
    },

    async cacheBytes() {
      const row = await guarded("summing the cache's size", () =>
        db
          .selectFrom("cache_entries")
          .select((eb) => eb.fn.sum<number | string | null>("size_bytes").as("total"))
          .executeTakeFirst(),
      );
      return Number(row?.total ?? 0);
    },

    async listCacheEntries(filter: CacheEntryFilter = {}) {
      const rows = await guarded("listing cache entries", () => {
        let query = db.selectFrom("cache_entries").selectAll().orderBy("last_used_at").orderBy("key");
        if (filter.groupId !== undefined) query = query.where("group_id", "=", filter.groupId);
        if (filter.pipelineId !== undefined) query = query.where("pipeline_id", "=", filter.pipelineId);
        if (filter.imageDigest !== undefined) query = query.where("image_digest", "=", filter.imageDigest);
        if (filter.limit !== undefined) query = query.limit(filter.limit);
        return query.execute();
      });
      return rows.map(entryFromRow);
    },

    async deleteCacheEntries(keys) {
      if (keys.length === 0) return [];
      return guarded("deleting cache entries", () =>
        db.transaction().execute(async (trx) => {
          const named = new Set<string>();
          for (let i = 0; i < keys.length; i += CHUNK) {
            const chunk = keys.slice(i, i + CHUNK);
            for (const r of await trx.selectFrom("cache_entry_objects").select("digest").where("entry_key", "in", chunk).execute()) named.add(r.digest);
            await trx.deleteFrom("cache_entry_objects").where("entry_key", "in", chunk).execute();
            await trx.deleteFrom("cache_entries").where("key", "in", chunk).execute();
          }
          const stillNamed = await objectsInUse(trx, [...named]);
          return [...named].filter((d) => !stillNamed.has(d));
        }),
      );
    },

    cacheObjectsInUse(digests) {
      return guarded("reading which cache objects are in use", () => objectsInUse(db, digests));
    },
  };
}

async function objectsInUse(db: Kysely<Database>, digests: readonly string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (let i = 0; i < digests.length; i += CHUNK) {
    const rows = await db.selectFrom("cache_entry_objects").select("digest").distinct().where("digest", "in", digests.slice(i, i + CHUNK)).execute();
    for (const r of rows) used.add(r.digest);
  }
  return used;
}

function entryToRow(e: CacheEntry): CacheEntriesTable {
  return {
    key: e.key,
    group_id: e.groupId,
    pipeline_id: e.pipelineId,
    task_id: e.taskId,
    execution_uuid: e.executionUuid,
    run_uuid: e.runUuid,
    image_digest: e.imageDigest,
    outputs: JSON.stringify(e.outputs),
    files: JSON.stringify(e.files),
    exit_code: e.exitCode,
    size_bytes: e.sizeBytes,
    created_at: e.createdAt,
    last_used_at: e.lastUsedAt,
  };
}

function entryFromRow(r: CacheEntriesTable): CacheEntry {
  return {
    key: r.key,
    groupId: r.group_id,
    pipelineId: r.pipeline_id,
    taskId: r.task_id,
    executionUuid: r.execution_uuid as ExecutionId,
    runUuid: r.run_uuid as RunId,
    imageDigest: r.image_digest,
    outputs: JSON.parse(r.outputs) as Record<string, string>,
    files: JSON.parse(r.files) as CacheEntry["files"],
    exitCode: r.exit_code === null ? null : Number(r.exit_code),
    sizeBytes: Number(r.size_bytes),
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
  };
}
