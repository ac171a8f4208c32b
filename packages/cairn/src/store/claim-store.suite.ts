import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkerRecord } from "./claim-store.js";
import type { Store } from "./store.js";
import { makeExecution, makeRun } from "./store.suite.js";

/** Workers, claims with leases and wake-ups, on every database (sqlite-store.test.ts, postgres-store.int.test.ts). */
export function describeClaimStoreSuite(name: string, makeStores: () => Promise<{ a: Store; b: Store }>): void {
  describe(`ClaimStore on ${name}`, () => {
    let a: Store;
    let b: Store;
    beforeEach(async () => {
      ({ a, b } = await makeStores());
    });
    afterEach(async () => {
      await a.close();
      if (b !== a) await b.close();
    });

    const worker = (id: string, overrides: Partial<WorkerRecord> = {}): WorkerRecord => ({
      id,
      role: "all",
      slotsTotal: 4,
      slotsUsed: 0,
      startedAt: 1_000,
      heartbeatAt: 1_000,
      ...overrides,
    });

    it("registers workers, renews their heartbeat and lists the live ones", async () => {
      await a.claims.heartbeat(worker("h:1:1"), 10_000);
      await a.claims.heartbeat(worker("h:2:1", { role: "api", slotsTotal: 0, heartbeatAt: 5_000 }), 10_000);
      await a.claims.heartbeat(worker("h:1:1", { slotsUsed: 3, heartbeatAt: 6_000 }), 16_000);
      expect(await a.claims.listWorkers(5_000)).toEqual([
        worker("h:1:1", { slotsUsed: 3, heartbeatAt: 6_000 }),
        worker("h:2:1", { role: "api", slotsTotal: 0, heartbeatAt: 5_000 }),
      ]);
      expect(await a.claims.listWorkers(5_500)).toEqual([worker("h:1:1", { slotsUsed: 3, heartbeatAt: 6_000 })]);
      await a.claims.retire("h:1:1");
      expect((await a.claims.listWorkers(0)).map((w) => w.id)).toEqual(["h:2:1"]);
    });

    it("gives an unclaimed run to one worker, and takes it over only once its lease passed", async () => {
      const run = makeRun({ status: "running" });
      const ended = makeRun({ status: "succeeded", createdAt: 1 });
      await a.commit({ newRuns: [run, ended] });
      expect(await a.claims.claimRuns("w1", 1_000, 11_000, 10)).toEqual([run.uuid]);
      // Held: nobody else gets it, not even the same worker again.
      expect(await b.claims.claimRuns("w2", 5_000, 15_000, 10)).toEqual([]);
      // Renewed by its holder's heartbeat.
      expect(await a.claims.heartbeat(worker("w1"), 20_000)).toEqual([run.uuid]);
      expect(await b.claims.claimRuns("w2", 15_000, 25_000, 10)).toEqual([]);
      // The next lease to pass, as others see it.
      expect(await b.claims.nextLeaseEnd("w2", 15_000)).toBe(20_000);
      expect(await b.claims.nextLeaseEnd("w1", 15_000)).toBeUndefined();
      expect(await b.claims.nextLeaseEnd("w2", 20_001)).toBeUndefined();
      // Past its lease: taken over, and the old holder learns it at its next heartbeat.
      expect(await b.claims.claimRuns("w2", 20_001, 30_000, 10)).toEqual([run.uuid]);
      expect(await b.claims.getClaim(run.uuid)).toEqual({ runUuid: run.uuid, workerId: "w2", leaseUntil: 30_000 });
      expect(await a.claims.heartbeat(worker("w1"), 40_000)).toEqual([]);
      expect((await a.claims.getClaim(run.uuid))?.leaseUntil).toBe(30_000);
    });

    it("claims one named run unless another worker holds a live lease on it", async () => {
      const run = makeRun({ status: "running" });
      await a.commit({ newRuns: [run] });
      expect(await a.claims.claimRun("w1", run.uuid, 1_000, 11_000)).toBe(true);
      expect(await b.claims.claimRun("w2", run.uuid, 5_000, 15_000)).toBe(false);
      // Its own claim, renewed.
      expect(await a.claims.claimRun("w1", run.uuid, 6_000, 16_000)).toBe(true);
      expect(await b.claims.claimRun("w2", run.uuid, 16_001, 26_000)).toBe(true);
      expect((await a.claims.getClaim(run.uuid))?.workerId).toBe("w2");
    });

    it("records a run with its claim in one batch, and drops the claim once the run ended", async () => {
      const run = makeRun({ status: "running" });
      await a.commit({ newRuns: [run], claims: [{ runUuid: run.uuid, workerId: "w1", leaseUntil: 10_000 }] });
      expect(await b.claims.claimRuns("w2", 5_000, 15_000, 10)).toEqual([]);
      await a.commit({ runUpdates: [{ uuid: run.uuid, patch: { status: "succeeded", endedAt: 6_000 } }] });
      expect(await a.claims.heartbeat(worker("w1"), 20_000)).toEqual([]);
      expect(await a.claims.getClaim(run.uuid)).toBeUndefined();
    });

    it("gives each run to one of two workers claiming at the same moment", async () => {
      const runs = Array.from({ length: 20 }, (_, i) => makeRun({ createdAt: i }));
      await a.commit({ newRuns: runs });
      const [one, two] = await Promise.all([a.claims.claimRuns("w1", 1_000, 11_000, 20), b.claims.claimRuns("w2", 1_000, 11_000, 20)]);
      const all = [...one, ...two].sort();
      expect(all).toEqual(runs.map((r) => r.uuid).sort());
    });

    it("never lets two attempts of one task be running at once", async () => {
      const run = makeRun({ status: "running" });
      const first = makeExecution(run.uuid, { taskId: "t", status: "running", startedAt: 1 });
      const second = makeExecution(run.uuid, { taskId: "t", attempt: 2 });
      await a.commit({ newRuns: [run], newExecutions: [first, second] });
      await expect(b.commit({ executionUpdates: [{ uuid: second.uuid, patch: { status: "running", startedAt: 2, worker: "w2" } }] })).rejects.toMatchObject({ code: "conflict" });
      await a.commit({ executionUpdates: [{ uuid: first.uuid, patch: { status: "failed", endedAt: 2 } }] });
      await b.commit({ executionUpdates: [{ uuid: second.uuid, patch: { status: "running", startedAt: 3, worker: "w2" } }] });
      expect((await a.getExecution(second.uuid))?.worker).toBe("w2");
      expect(await a.getExecution(first.uuid)).not.toHaveProperty("worker");
    });

    it("wakes the listeners of a topic, in this process and the other", async () => {
      const heardA: string[] = [];
      const heardB: string[] = [];
      const stopA = await a.claims.listen("cancel", (p) => heardA.push(p));
      const stopB = await b.claims.listen("cancel", (p) => heardB.push(p));
      await a.claims.notify("cancel", "run-1");
      await expect.poll(() => heardB, { timeout: 5_000 }).toEqual(["run-1"]);
      await expect.poll(() => heardA, { timeout: 5_000 }).toEqual(["run-1"]);
      stopA();
      stopB();
    });
  });
}
