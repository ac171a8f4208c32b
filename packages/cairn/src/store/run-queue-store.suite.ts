import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunRecord, Store } from "./store.js";
import { makeExecution, makeRun } from "./store.suite.js";

/** The RunQueueStore (max_concurrent_runs), run once per database like describeStoreSuite. */
export function describeRunQueueStoreSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`RunQueueStore on ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    let clock = 1_700_000_000_000;
    const newRun = (overrides: Partial<RunRecord> = {}) => makeRun({ status: "running", createdAt: ++clock, startedAt: clock, ...overrides });
    const limitOne = () => 1;

    it("starts a run while its pipeline has a free slot and keeps the next ones pending, with their executions", async () => {
      const [a, b, c] = [newRun(), newRun(), newRun()];
      const admitted = [];
      for (const run of [a, b, c]) admitted.push(await store.runQueue.admitRun(run, [makeExecution(run.uuid)], 2));
      expect(admitted.map((r) => r.status)).toEqual(["running", "running", "pending"]);
      expect(admitted[2]!.startedAt).toBeNull();
      expect((await store.getRun(c.uuid))?.status).toBe("pending");
      expect((await store.listExecutions(c.uuid)).map((e) => e.status)).toEqual(["queued"]);
      // Another pipeline, or another group's pipeline of the same id, has its own slots.
      expect((await store.runQueue.admitRun(newRun({ pipelineId: "other" }), [], 2)).status).toBe("running");
      expect((await store.runQueue.admitRun(newRun({ groupId: "elsewhere" }), [], 2)).status).toBe("running");
      expect((await store.runQueue.listPendingRuns()).map((r) => r.uuid)).toEqual([c.uuid]);
    });

    it("never lets a new run overtake a pending one, even when a slot is free", async () => {
      const [a, b] = [newRun(), newRun()];
      await store.runQueue.admitRun(a, [], 1);
      await store.runQueue.admitRun(b, [], 1);
      await store.commit({ runUpdates: [{ uuid: a.uuid, patch: { status: "succeeded", endedAt: clock } }] });
      // a's slot is free, but b waited first: c queues behind it until b is started.
      expect((await store.runQueue.admitRun(newRun(), [], 1)).status).toBe("pending");
    });

    it("starts the oldest pending runs that fit when a slot frees, and only those", async () => {
      const runs = [newRun(), newRun(), newRun(), newRun()];
      for (const run of runs) await store.runQueue.admitRun(run, [], 1);
      expect(await store.runQueue.startPendingRuns("group", "pipeline", 5, limitOne)).toEqual([]);
      await store.commit({ runUpdates: [{ uuid: runs[0]!.uuid, patch: { status: "succeeded", endedAt: clock } }] });
      const started = await store.runQueue.startPendingRuns("group", "pipeline", 42, limitOne);
      expect(started.map((r) => [r.uuid, r.status, r.startedAt])).toEqual([[runs[1]!.uuid, "running", 42]]);
      expect((await store.getRun(runs[1]!.uuid))?.status).toBe("running");
      expect((await store.getRun(runs[2]!.uuid))?.status).toBe("pending");
      // A larger limit (read from each run's frozen pipeline) lets both the others start.
      const more = await store.runQueue.startPendingRuns("group", "pipeline", 43, () => 3);
      expect(more.map((r) => r.uuid)).toEqual([runs[2]!.uuid, runs[3]!.uuid]);
    });

    it("cancels a pending run with its tasks, and leaves a run that is not pending alone", async () => {
      const [a, b] = [newRun(), newRun()];
      await store.runQueue.admitRun(a, [makeExecution(a.uuid)], 1);
      await store.runQueue.admitRun(b, [makeExecution(b.uuid, { taskId: "x" }), makeExecution(b.uuid, { taskId: "y" })], 1);
      expect(await store.runQueue.cancelPendingRun(a.uuid, 50, "no")).toBeUndefined();
      const cancelled = await store.runQueue.cancelPendingRun(b.uuid, 50, "pending_timeout: too long");
      expect(cancelled).toMatchObject({ uuid: b.uuid, status: "cancelled", endedAt: 50, message: "pending_timeout: too long", startedAt: null });
      const executions = await store.listExecutions(b.uuid);
      expect(executions.map((e) => e.status)).toEqual(["cancelled", "cancelled"]);
      expect(executions[0]!.message).toContain("pending_timeout: too long");
      expect(await store.runQueue.cancelPendingRun(b.uuid, 51, "again")).toBeUndefined();
      expect(await store.runQueue.listPendingRuns()).toEqual([]);
      expect((await store.getRun(a.uuid))?.status).toBe("running");
    });

    it("inserts a run of many tasks in chunks", async () => {
      const run = newRun();
      const executions = Array.from({ length: 3000 }, (_, i) => makeExecution(run.uuid, { taskId: `t${i}` }));
      await store.runQueue.admitRun(run, executions, 1);
      expect(await store.listExecutions(run.uuid)).toHaveLength(3000);
    });
  });
}
