import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newExecutionId, newRunId } from "../ids.js";
import type { Store } from "./store.js";
import type { CacheEntry } from "./task-cache-store.js";

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function entry(key: string, overrides: Partial<CacheEntry> = {}): CacheEntry {
  return {
    key: digest(key),
    groupId: "lab",
    pipelineId: "p1",
    taskId: "make",
    executionUuid: newExecutionId(),
    runUuid: newRunId(),
    imageDigest: null,
    outputs: { n: "42" },
    files: [{ path: "sub/a.txt", digest: digest("f"), size: 10 }],
    exitCode: 0,
    sizeBytes: 20,
    createdAt: 1_000,
    lastUsedAt: 1_000,
    ...overrides,
  };
}

/** The TaskCacheStore's behaviour, run once per database like describeStoreSuite. */
export function describeTaskCacheStoreSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`TaskCacheStore on ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it("finds an entry only in its own group, and records its uses", async () => {
      const e = entry("a");
      await store.taskCache.putCacheEntry(e);
      expect(await store.taskCache.findCacheEntry("other", e.key)).toBeUndefined();
      expect(await store.taskCache.findCacheEntry("lab", e.key)).toEqual(e);
      await store.taskCache.touchCacheEntries([{ key: e.key, at: 5_000 }, { key: digest("9"), at: 5_000 }]);
      // A use recorded late never moves an entry back.
      await store.taskCache.touchCacheEntries([{ key: e.key, at: 4_000 }]);
      expect((await store.taskCache.listCacheEntries())[0]!.lastUsedAt).toBe(5_000);
    });

    it("leaves out entries made before madeSince, and those made with an image the group marked bad", async () => {
      const bad = digest("b");
      await store.taskCache.putCacheEntry(entry("a", { createdAt: 1_000 }));
      await store.taskCache.putCacheEntry(entry("c", { imageDigest: bad }));
      expect(await store.taskCache.findCacheEntry("lab", digest("a"), { madeSince: 1_001 })).toBeUndefined();
      expect(await store.taskCache.findCacheEntry("lab", digest("a"), { madeSince: 1_000 })).toBeDefined();
      await store.images.recordImage({
        groupId: "lab", digest: bad, names: ["tool:v1"], origin: "pulled", createdAt: 1, recordedAt: 1, architecture: null, os: null, sizeBytes: null, builder: null, engine: null, recipe: null, runUuid: null, taskId: null,
      });
      expect(await store.taskCache.findCacheEntry("lab", digest("c"))).toBeDefined();
      await store.images.markBad("lab", bad, { reason: "CVE", at: 2, by: "ada" });
      // Marking deletes the entry; one stored after the mark is not used either.
      expect(await store.taskCache.listCacheEntries({ imageDigest: bad })).toEqual([]);
      await store.taskCache.putCacheEntry(entry("c", { imageDigest: bad }));
      expect(await store.taskCache.findCacheEntry("lab", digest("c"))).toBeUndefined();
    });

    it("replaces an entry by the same key, sums sizes and lists the least recently used first", async () => {
      await store.taskCache.putCacheEntry(entry("a", { lastUsedAt: 30, sizeBytes: 5 }));
      await store.taskCache.putCacheEntry(entry("b", { lastUsedAt: 10, sizeBytes: 7, pipelineId: "p2" }));
      await store.taskCache.putCacheEntry(entry("a", { lastUsedAt: 20, sizeBytes: 100, files: [] }));
      expect(await store.taskCache.cacheBytes()).toBe(107);
      expect((await store.taskCache.listCacheEntries()).map((e) => e.key)).toEqual([digest("b"), digest("a")]);
      expect((await store.taskCache.listCacheEntries({ pipelineId: "p2" })).map((e) => e.key)).toEqual([digest("b")]);
      expect((await store.taskCache.listCacheEntries({ limit: 1 })).map((e) => e.key)).toEqual([digest("b")]);
      expect(await store.taskCache.cacheObjectsInUse([digest("f"), digest("9")])).toEqual(new Set([digest("f")]));
    });

    it("answers, on delete, the objects no remaining entry names", async () => {
      const shared = { path: "s", digest: digest("5"), size: 1 };
      await store.taskCache.putCacheEntry(entry("a", { files: [shared, { path: "own", digest: digest("6"), size: 1 }] }));
      await store.taskCache.putCacheEntry(entry("b", { files: [shared] }));
      expect(await store.taskCache.deleteCacheEntries([digest("a")])).toEqual([digest("6")]);
      expect((await store.taskCache.deleteCacheEntries([digest("b")])).sort()).toEqual([digest("5")]);
      expect(await store.taskCache.cacheBytes()).toBe(0);
      expect(await store.taskCache.deleteCacheEntries([])).toEqual([]);
    });
  });
}
