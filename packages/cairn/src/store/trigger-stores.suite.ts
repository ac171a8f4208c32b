import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScheduleRecord } from "./schedule-store.js";
import type { PipelineRecord } from "./service-store.js";
import type { Store } from "./store.js";
import { KEPT_DELIVERIES, type NewDelivery, type WebhookRecord } from "./webhook-store.js";

/** The WebhookStore and ScheduleStore, run once per database like describeStoreSuite. */
export function describeTriggerStoresSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`WebhookStore and ScheduleStore on ${name}`, () => {
    let store: Store;
    let pipe: PipelineRecord;
    beforeEach(async () => {
      store = await makeStore();
      await store.service.createGroup({ id: "lab", uuid: randomUUID(), owner: "ada", createdAt: 1 }, [{ uuid: randomUUID(), groupId: "lab", username: "ada", role: "owner" }]);
      pipe = { uuid: randomUUID(), groupId: "lab", id: "build", owner: "ada", definition: { id: "build", tasks: [] }, createdAt: 1, updatedAt: 1, updatedBy: "ada" };
      await store.service.createPipeline(pipe);
    });
    afterEach(async () => {
      await store.close();
    });

    const webhook = (overrides: Partial<WebhookRecord> = {}): WebhookRecord => ({
      uuid: randomUUID(),
      pipelineUuid: pipe.uuid,
      groupId: "lab",
      pipelineId: "build",
      type: "github",
      sealedSecret: "sealed",
      branches: ["main", "release/*"],
      events: ["push"],
      createdBy: "ada",
      createdAt: 5,
      ...overrides,
    });
    const delivery = (webhookUuid: string, overrides: Partial<NewDelivery> = {}): NewDelivery => ({
      webhookUuid,
      receivedAt: 10,
      deliveryId: null,
      event: "push",
      status: 401,
      reason: "bad signature",
      runUuid: null,
      ...overrides,
    });

    it("keeps webhooks per pipeline and deletes them with it", async () => {
      const w = webhook();
      await store.webhooks.createWebhook(w);
      expect(await store.webhooks.getWebhook(w.uuid)).toEqual(w);
      expect(await store.webhooks.listWebhooks("lab", "build")).toEqual([w]);
      await expect(store.webhooks.deleteWebhook("lab", "other", w.uuid)).rejects.toMatchObject({ code: "not_found" });
      await store.service.deletePipeline("lab", "build");
      expect(await store.webhooks.getWebhook(w.uuid)).toBeUndefined();
    });

    it("lets one delivery of an id claim it, frees it when no run started, and keeps the last deliveries", async () => {
      const w = webhook();
      await store.webhooks.createWebhook(w);
      const first = await store.webhooks.claimDelivery(delivery(w.uuid, { deliveryId: "d-1", status: 202, reason: "starting" }));
      expect(first.claimed).toBe(true);
      if (!first.claimed) return;
      await store.webhooks.settleDelivery(first.id, { status: 201, reason: "run started", runUuid: "run-1" });
      const again = await store.webhooks.claimDelivery(delivery(w.uuid, { deliveryId: "d-1", status: 202, reason: "starting" }));
      expect(again).toMatchObject({ claimed: false, earlier: { runUuid: "run-1", status: 201 } });

      const failed = await store.webhooks.claimDelivery(delivery(w.uuid, { deliveryId: "d-2", status: 202, reason: "starting" }));
      if (!failed.claimed) throw new Error("d-2 should be claimed");
      await store.webhooks.settleDelivery(failed.id, { status: 409, reason: "duplicate run", runUuid: null });
      expect((await store.webhooks.claimDelivery(delivery(w.uuid, { deliveryId: "d-2" }))).claimed).toBe(true);

      for (let i = 0; i < KEPT_DELIVERIES + 5; i++) await store.webhooks.recordDelivery(delivery(w.uuid, { receivedAt: 100 + i }));
      const listed = await store.webhooks.listDeliveries(w.uuid);
      expect(listed).toHaveLength(KEPT_DELIVERIES);
      expect(listed[0]!.receivedAt).toBe(100 + KEPT_DELIVERIES + 4);
      // The accepted delivery was pushed out of the list but still stops its replay.
      expect(await store.webhooks.claimDelivery(delivery(w.uuid, { deliveryId: "d-1" }))).toMatchObject({ claimed: false });
    });

    const schedule = (overrides: Partial<ScheduleRecord> = {}): ScheduleRecord => ({
      uuid: randomUUID(),
      pipelineUuid: pipe.uuid,
      groupId: "lab",
      pipelineId: "build",
      cron: "0 * * * *",
      timezone: "UTC",
      params: { a: "1" },
      enabled: true,
      catchUp: false,
      createdBy: "ada",
      createdAt: 1,
      updatedAt: 1,
      nextRunAt: 1_000,
      lastFiredAt: null,
      lastRunUuid: null,
      lastOutcome: null,
      ...overrides,
    });

    it("keeps schedules, lists the due ones, and lets one claim of a fire win", async () => {
      const s = schedule();
      const later = schedule({ nextRunAt: 5_000 });
      const off = schedule({ enabled: false, nextRunAt: 500 });
      for (const x of [s, later, off]) await store.schedules.createSchedule(x);
      expect(await store.schedules.getSchedule(s.uuid)).toEqual(s);
      expect((await store.schedules.listSchedules("lab", "build")).length).toBe(3);
      expect((await store.schedules.listDueSchedules(1_000)).map((x) => x.uuid)).toEqual([s.uuid]);
      expect(await store.schedules.nextDueTime()).toBe(1_000);

      const claims = await Promise.all([store.schedules.claimFire(s.uuid, 1_000, 2_000), store.schedules.claimFire(s.uuid, 1_000, 2_000)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      await store.schedules.recordFire(s.uuid, { firedAt: 1_001, runUuid: "run-1", outcome: "started" });
      expect(await store.schedules.getSchedule(s.uuid)).toMatchObject({ nextRunAt: 2_000, lastFiredAt: 1_001, lastRunUuid: "run-1", lastOutcome: "started" });

      await store.schedules.updateSchedule("lab", "build", s.uuid, { cron: "*/5 * * * *", params: {}, enabled: false, catchUp: true, nextRunAt: null, updatedAt: 9 });
      expect(await store.schedules.getSchedule(s.uuid)).toMatchObject({ cron: "*/5 * * * *", params: {}, enabled: false, catchUp: true, nextRunAt: null, updatedAt: 9 });
      await expect(store.schedules.updateSchedule("lab", "nope", s.uuid, { enabled: true })).rejects.toMatchObject({ code: "not_found" });
      await store.schedules.deleteSchedule("lab", "build", s.uuid);
      await expect(store.schedules.deleteSchedule("lab", "build", s.uuid)).rejects.toMatchObject({ code: "not_found" });
      await store.service.deleteGroup("lab");
      expect(await store.schedules.getSchedule(later.uuid)).toBeUndefined();
    });
  });
}
