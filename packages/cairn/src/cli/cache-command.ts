import { join } from "node:path";
import type { CairnConfig } from "../config.js";
import type { CacheEntry } from "../store/task-cache-store.js";
import type { CommandIo } from "./command-io.js";
import { EXIT } from "./exit-codes.js";

/**
 * `cairn cache ls` and `cairn cache clear`: the task cache of this machine's data dir (or
 * of the PostgreSQL database CAIRN_DATABASE_URL names), docs/task-cache.md. Local
 * commands, like `cairn resume`: whoever can read the data dir sees every group's entries.
 */

export interface CacheFilterOptions {
  group?: string;
  pipeline?: string;
}

/** `cairn cache ls`: entries, least recently used first (the next to be evicted on top). */
export async function cacheListCommand(options: CacheFilterOptions, config: CairnConfig, io: CommandIo): Promise<number> {
  const { store, cache } = await openTaskCache(config);
  try {
    const entries = await cache.list(filterOf(options));
    if (io.json) {
      for (const e of entries) io.out.write(JSON.stringify(present(e)) + "\n");
      return EXIT.ok;
    }
    if (entries.length === 0) {
      io.out.write("the task cache is empty\n");
      return EXIT.ok;
    }
    const total = entries.reduce((sum, e) => sum + e.sizeBytes, 0);
    io.out.write(`${"GROUP/PIPELINE/TASK".padEnd(32)} ${"BYTES".padStart(10)} ${"FILES".padStart(5)}  ${"LAST USED".padEnd(24)} KEY\n`);
    for (const e of entries) {
      io.out.write(`${`${e.groupId}/${e.pipelineId}/${e.taskId}`.padEnd(32)} ${String(e.sizeBytes).padStart(10)} ${String(e.files.length).padStart(5)}  ${new Date(e.lastUsedAt).toISOString().padEnd(24)} ${e.key}\n`);
    }
    io.out.write(`${entries.length} entr${entries.length === 1 ? "y" : "ies"}, ${total} bytes (bound: CAIRN_CACHE_MAX_BYTES = ${config.cacheMaxBytes})\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `cairn cache clear [--pipeline P]`: deletes the entries and the objects no other entry names. */
export async function cacheClearCommand(options: CacheFilterOptions, config: CairnConfig, io: CommandIo): Promise<number> {
  // With SQLite, not beside a running `cairn server` or `cairn run`: one process per data dir (data-dir-lock.ts).
  const { lockDataDir } = await import("../store/data-dir-lock.js");
  const lock = config.databaseUrl === undefined ? lockDataDir(config.dataDir) : undefined;
  try {
    const { store, cache } = await openTaskCache(config);
    try {
      const removed = await cache.clear(filterOf(options));
      const scope = [options.group && `group '${options.group}'`, options.pipeline && `pipeline '${options.pipeline}'`].filter(Boolean).join(", ");
      io.out.write(io.json ? JSON.stringify({ removed }) + "\n" : `removed ${removed} cache entr${removed === 1 ? "y" : "ies"}${scope ? ` of ${scope}` : ""}\n`);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  } finally {
    lock?.release();
  }
}

async function openTaskCache(config: CairnConfig) {
  const [{ createStore }, { TaskCache }] = await Promise.all([import("../store/create-store.js"), import("../engine/task-cache/task-cache.js")]);
  const store = await createStore({ databaseUrl: config.databaseUrl, sqlitePath: join(config.dataDir, "cairn.db") });
  return { store, cache: new TaskCache({ store: store.taskCache, dataDir: config.dataDir, maxBytes: config.cacheMaxBytes }) };
}

function filterOf(options: CacheFilterOptions) {
  return { ...(options.group !== undefined ? { groupId: options.group } : {}), ...(options.pipeline !== undefined ? { pipelineId: options.pipeline } : {}) };
}

function present(e: CacheEntry) {
  return {
    key: e.key,
    group: e.groupId,
    pipeline: e.pipelineId,
    task: e.taskId,
    execution: e.executionUuid,
    run: e.runUuid,
    image_digest: e.imageDigest,
    size_bytes: e.sizeBytes,
    files: e.files.length,
    created_at: new Date(e.createdAt).toISOString(),
    last_used_at: new Date(e.lastUsedAt).toISOString(),
  };
}
