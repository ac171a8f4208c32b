import type { ExecutionId, RunId } from "../ids.js";
import type { CachedFile } from "../workspace/cache-objects.js";

export type { CachedFile };

/**
 * The task cache's entries (docs/task-cache.md): what one successful execution left,
 * found by the hash of everything that determined it. The result files themselves are
 * content-addressed objects on disk (workspace/cache-objects.ts); an entry names them.
 * Every read is scoped to a group: one group never sees another's entries.
 */

export interface CacheEntry {
  key: string;
  groupId: string;
  pipelineId: string;
  taskId: string;
  /** The execution that made it, which a hit names. */
  executionUuid: ExecutionId;
  runUuid: RunId;
  /** The image the task ran in; null for a host process or a request. */
  imageDigest: string | null;
  outputs: Record<string, string>;
  files: CachedFile[];
  exitCode: number | null;
  /** The files' sizes and the outputs' lengths: what the entry counts against CAIRN_CACHE_MAX_BYTES. */
  sizeBytes: number;
  createdAt: number;
  lastUsedAt: number;
}

export interface CacheEntryFilter {
  groupId?: string;
  pipelineId?: string;
  imageDigest?: string;
  limit?: number;
}

export interface TaskCacheStore {
  /**
   * The group's entry by key, made at or after `madeSince`, and not made with an image the
   * group marked bad. A read only: the use is recorded by touchCacheEntries.
   */
  findCacheEntry(groupId: string, key: string, options?: { madeSince?: number }): Promise<CacheEntry | undefined>;
  /** Records when entries were last used (least recently used is evicted first), in one transaction. */
  touchCacheEntries(uses: readonly { key: string; at: number }[]): Promise<void>;
  /** Adds the entry, replacing one by the same key (a miss past its cache_ttl makes a new one). */
  putCacheEntry(entry: CacheEntry): Promise<void>;
  /** The sum of every entry's sizeBytes. */
  cacheBytes(): Promise<number>;
  /** Entries, least recently used first. */
  listCacheEntries(filter?: CacheEntryFilter): Promise<CacheEntry[]>;
  /** Deletes entries by key; answers the object digests that no remaining entry names. */
  deleteCacheEntries(keys: readonly string[]): Promise<string[]>;
  /** Of these object digests, those some entry names. */
  cacheObjectsInUse(digests: readonly string[]): Promise<Set<string>>;
}
