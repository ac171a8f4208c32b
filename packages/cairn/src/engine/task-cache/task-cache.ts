import { describeError } from "../../errors.js";
import type { ExecutionId, RunId } from "../../ids.js";
import { rm } from "node:fs/promises";
import type { ExecutionProfile, Pipeline, Task } from "../../spec/types.js";
import type { CacheEntry, CacheEntryFilter, TaskCacheStore } from "../../store/task-cache-store.js";
import type { LogStream } from "../../store/store.js";
import type { TaskHandler } from "../../tasks/task-handler.js";
import {
  CacheObjectMissing,
  listCacheObjects,
  removeCacheObjects,
  removeStaleCacheTemps,
  keepResultFiles,
  restoreResultFiles,
} from "../../workspace/cache-objects.js";
import { attemptResultsDir } from "../../workspace/result-files.js";
import { cacheRefusal, taskCacheKey } from "./cache-key.js";
import { inputFileDigests } from "./input-file-digests.js";

const TOUCH_DELAY_MS = 1_000;

export interface TaskCacheOptions {
  store: TaskCacheStore;
  dataDir: string;
  /** CAIRN_CACHE_MAX_BYTES: the sum of the entries' sizes is kept at or under it. */
  maxBytes: number;
}

/** What a hit gives the execution instead of running it. */
export interface CacheHit {
  outputs: Record<string, string>;
  exitCode: number | null;
  imageDigest: string | null;
  /** The execution that made the entry. */
  cachedFrom: ExecutionId;
  /** The execution's message, naming where its outputs and results come from. */
  message: string;
}

/** A miss: what the attempt's result is kept under if it succeeds. */
export interface CacheMiss {
  key: string;
  imageDigest: string | null;
}

export type CacheLookup = { hit: CacheHit; miss?: undefined } | { hit?: undefined; miss: CacheMiss } | { hit?: undefined; miss?: undefined };

/** What a look-up needs to know of the attempt. */
export interface CacheLookupRequest {
  groupId: string;
  pipeline: Pipeline;
  task: Task;
  profile: ExecutionProfile;
  /** The resolved input values. */
  inputs: Record<string, string>;
  /** The task's /inbox, made on demand, when the run has attachments; undefined when it has none. */
  inbox: (() => Promise<string>) | undefined;
  /** Where a hit's result files go: the attempt's results folder, which must not exist yet. */
  resultsDir: string;
  /** The id of the image the task will run in; null when it runs none; undefined when that cannot be known before it runs. */
  imageId(): Promise<string | null | undefined>;
  log(stream: LogStream, line: string): void;
}

/** Whether the task's key needs its image's id, which only its handler, given the attempt's context, can find. */
export function runsImage(handler: Pick<TaskHandler, "imageId">, profile: Pick<ExecutionProfile, "runtime">): boolean {
  return handler.imageId !== undefined && profile.runtime !== "host";
}

/** The attempt whose result `keep` stores. */
export interface FinishedAttempt {
  groupId: string;
  pipelineId: string;
  taskId: string;
  runUuid: RunId;
  executionUuid: ExecutionId;
  attempt: number;
  exitCode: number | null;
  /** The image the attempt ran in, as recorded (usedImage). */
  imageDigest: string | null;
  outputs: Record<string, string>;
  log(stream: LogStream, line: string): void;
}

/**
 * The content-addressed task cache (docs/task-cache.md). Before a task with
 * `execution_profile.cache` runs, `lookup` hashes what determines its result; on a hit it
 * restores the entry's result files and hands back its outputs, and nothing runs. After
 * an attempt that missed succeeds, `keep` stores its outputs and result files. Entries
 * are bounded by CAIRN_CACHE_MAX_BYTES, the least recently used evicted first.
 */
export class TaskCache {
  private readonly store: TaskCacheStore;
  private readonly dataDir: string;
  private readonly maxBytes: number;
  /**
   * Stores and evictions of this process, one at a time: an eviction decides which objects
   * no entry names, and a store between that decision and the deletion would lose one.
   * (Between processes sharing PostgreSQL the same can happen; a hit then finds an object
   * missing, drops the entry and runs the task: a miss, never a wrong result.)
   */
  private writes: Promise<unknown> = Promise.resolve();
  private swept = false;
  /**
   * Hits not yet recorded as uses, by key: written together within TOUCH_DELAY_MS, and
   * before any eviction, instead of one write per hit (a write transaction per hit was
   * most of a hit's cost). Between processes, a use is seen that much later.
   */
  private readonly touches = new Map<string, number>();
  private touchTimer: NodeJS.Timeout | undefined;

  constructor(options: TaskCacheOptions) {
    this.store = options.store;
    this.dataDir = options.dataDir;
    this.maxBytes = options.maxBytes;
  }

  /**
   * Looks the attempt up. Answers neither hit nor miss when the task is not to be cached
   * (it reads a secret, its image's id cannot be known before it runs): it then just runs.
   * On a hit, the entry's result files are restored into `resultsDir`.
   */
  async lookup(request: CacheLookupRequest): Promise<CacheLookup> {
    const { task, log } = request;
    const refusal = cacheRefusal(task, request.pipeline);
    if (refusal !== undefined) {
      log("system", `task cache: not used, ${refusal}`);
      return {};
    }
    const imageDigest = await request.imageId();
    if (imageDigest === undefined) {
      log("system", "task cache: not used, the id of the task's image cannot be known before it runs");
      return {};
    }
    const key = taskCacheKey({
      groupId: request.groupId,
      pipelineId: request.pipeline.id,
      task,
      profile: request.profile,
      inputs: request.inputs,
      inputFiles: request.inbox === undefined ? {} : await inputFileDigests(await request.inbox()),
      imageDigest,
    });
    const now = Date.now();
    const ttl = request.profile.cache_ttl;
    const entry = await this.store.findCacheEntry(request.groupId, key, ttl !== undefined ? { madeSince: now - ttl * 1000 } : {});
    if (entry !== undefined) {
      try {
        await restoreResultFiles(this.dataDir, entry.files, request.resultsDir);
        this.touch(entry.key, now);
        const made = `execution ${entry.executionUuid} of run ${entry.runUuid}`;
        log("system", `task cache: hit ${key}, the outputs and ${entry.files.length} result file(s) of ${made}; not run`);
        return {
          hit: {
            outputs: entry.outputs,
            exitCode: entry.exitCode,
            imageDigest: entry.imageDigest,
            cachedFrom: entry.executionUuid,
            message: `cached: the outputs and results of ${made} (made ${new Date(entry.createdAt).toISOString()}); not run again`,
          },
        };
      } catch (err) {
        if (!(err instanceof CacheObjectMissing)) throw err;
        log("system", `task cache: entry ${key} lost the object ${err.digest}; dropped, the task runs`);
        await rm(request.resultsDir, { recursive: true, force: true });
        await this.forget([entry.key]);
      }
    } else {
      log("system", `task cache: miss ${key}${ttl !== undefined ? ` (or older than cache_ttl ${ttl} s)` : ""}, the task runs`);
    }
    return { miss: { key, imageDigest } };
  }

  /**
   * Stores what a missed attempt left: its outputs, and its result files as objects.
   * Never fails the attempt: a problem is logged and the entry left out.
   */
  async keep(miss: CacheMiss, attempt: FinishedAttempt): Promise<void> {
    const done = this.writes.then(() => this.keepNow(miss, attempt));
    this.writes = done.catch(() => undefined);
    try {
      await done;
    } catch (err) {
      attempt.log("system", `task cache: the result could not be kept: ${describeError(err)}`);
    }
  }

  private async keepNow(miss: CacheMiss, attempt: FinishedAttempt): Promise<void> {
    // The image may have changed between the look-up and the start (a tag moved): the result is not that key's.
    if (miss.imageDigest !== null && attempt.imageDigest !== miss.imageDigest) {
      attempt.log("system", `task cache: not kept, the task ran image ${attempt.imageDigest ?? "(unknown)"} and not ${miss.imageDigest}`);
      return;
    }
    if (!this.swept) await this.sweep();
    const files = await keepResultFiles(this.dataDir, attemptResultsDir(this.dataDir, attempt.runUuid, attempt.taskId, attempt.attempt));
    const sizeBytes = files.reduce((sum, f) => sum + f.size, 0) + Buffer.byteLength(JSON.stringify(attempt.outputs));
    if (sizeBytes > this.maxBytes) {
      attempt.log("system", `task cache: not kept, its ${sizeBytes} bytes exceed CAIRN_CACHE_MAX_BYTES (${this.maxBytes})`);
      await this.removeUnused(files.map((f) => f.digest));
      return;
    }
    const now = Date.now();
    const entry: CacheEntry = {
      key: miss.key,
      groupId: attempt.groupId,
      pipelineId: attempt.pipelineId,
      taskId: attempt.taskId,
      executionUuid: attempt.executionUuid,
      runUuid: attempt.runUuid,
      imageDigest: miss.imageDigest,
      outputs: attempt.outputs,
      files,
      exitCode: attempt.exitCode,
      sizeBytes,
      createdAt: now,
      lastUsedAt: now,
    };
    await this.store.putCacheEntry(entry);
    attempt.log("system", `task cache: kept as ${miss.key} (${files.length} result file(s), ${sizeBytes} bytes)`);
    await this.evict(miss.key);
  }

  private touch(key: string, at: number): void {
    this.touches.set(key, at);
    this.touchTimer ??= setTimeout(() => void this.flushUses().catch(() => undefined), TOUCH_DELAY_MS).unref();
  }

  /** Writes the uses of hits not recorded yet. */
  async flushUses(): Promise<void> {
    clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    if (this.touches.size === 0) return;
    const uses = [...this.touches].map(([key, at]) => ({ key, at }));
    this.touches.clear();
    await this.store.touchCacheEntries(uses);
  }

  /** Evicts the least recently used entries (never `spare`, just stored) until the cache fits. */
  private async evict(spare: string): Promise<void> {
    await this.flushUses();
    let total = await this.store.cacheBytes();
    if (total <= this.maxBytes) return;
    const victims: string[] = [];
    // Pages of the oldest: a cache over its bound by one entry reads a few rows, not all of them.
    for (let offset = 0; total > this.maxBytes; offset += 100) {
      const page = await this.store.listCacheEntries({ limit: offset + 100 });
      const fresh = page.slice(offset);
      if (fresh.length === 0) break;
      for (const e of fresh) {
        if (total <= this.maxBytes) break;
        if (e.key === spare) continue;
        victims.push(e.key);
        total -= e.sizeBytes;
      }
      if (page.length < offset + 100) break;
    }
    await this.forget(victims);
  }

  /** Deletes entries and the objects no other entry names. */
  private async forget(keys: readonly string[]): Promise<void> {
    const unused = await this.store.deleteCacheEntries(keys);
    await removeCacheObjects(this.dataDir, unused);
  }

  private async removeUnused(digests: readonly string[]): Promise<void> {
    const used = await this.store.cacheObjectsInUse(digests);
    await removeCacheObjects(this.dataDir, digests.filter((d) => !used.has(d)));
  }

  /**
   * Deletes the objects no entry names: those of entries invalidated by marking their
   * image bad (the store deletes the rows, in the same transaction as the mark), and
   * those a killed process left. Run before this process first stores, and by `clear`.
   */
  async sweep(): Promise<void> {
    this.swept = true;
    await removeStaleCacheTemps(this.dataDir);
    await this.removeUnused(await listCacheObjects(this.dataDir));
  }

  list(filter: CacheEntryFilter = {}): Promise<CacheEntry[]> {
    return this.store.listCacheEntries(filter);
  }

  /** Deletes the entries the filter selects (every entry without one); answers how many. */
  async clear(filter: Omit<CacheEntryFilter, "limit"> = {}): Promise<number> {
    const done = this.writes.then(async () => {
      const entries = await this.store.listCacheEntries(filter);
      await this.forget(entries.map((e) => e.key));
      await this.sweep();
      return entries.length;
    });
    this.writes = done.catch(() => undefined);
    return done;
  }
}
