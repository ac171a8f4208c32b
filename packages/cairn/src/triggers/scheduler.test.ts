import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StartRunRequest } from "../engine/engine.js";
import { newRunId } from "../ids.js";
import { createStore } from "../store/create-store.js";
import type { ScheduleRecord } from "../store/schedule-store.js";
import type { RunRecord, Store } from "../store/store.js";
import { Scheduler, type Clock } from "./scheduler.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");

/** A clock the test moves; sleeping only lets timers and I/O run. */
function fakeClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: () => new Promise((r) => setImmediate(r)), set: (ms) => (now = ms) };
}

describe("Scheduler", () => {
  let dir: string;
  let store: Store;
  let started: StartRunRequest[];
  const engine = {
    startRun: async (request: StartRunRequest): Promise<RunRecord> => {
      started.push(request);
      return { uuid: newRunId(), pipelineId: request.pipeline.id, groupId: request.groupId!, status: "running", pipeline: request.pipeline, params: request.params ?? {}, directives: {}, createdAt: 0, startedAt: 0, endedAt: null, message: null, startedBy: request.startedBy ?? null };
    },
  };
  let pipelineUuid: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-scheduler-"));
    store = await createStore({ sqlitePath: join(dir, "cairn.db") });
    started = [];
    await store.service.createGroup({ id: "lab", uuid: randomUUID(), owner: "ada", createdAt: 1 }, [
      { uuid: randomUUID(), groupId: "lab", username: "ada", role: "owner" },
      { uuid: randomUUID(), groupId: "lab", username: "bob", role: "member" },
    ]);
    pipelineUuid = randomUUID();
    const definition = { id: "nightly", execution_profile: { runtime: "host" }, tasks: [{ id: "a", type: "function", runtime: "bash", code: Buffer.from("true").toString("base64") }] };
    await store.service.createPipeline({ uuid: pipelineUuid, groupId: "lab", id: "nightly", owner: "ada", definition, createdAt: 1, updatedAt: 1, updatedBy: "ada" });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function schedule(overrides: Partial<ScheduleRecord>): Promise<ScheduleRecord> {
    const s: ScheduleRecord = {
      uuid: randomUUID(),
      pipelineUuid,
      groupId: "lab",
      pipelineId: "nightly",
      cron: "*/10 * * * * *",
      timezone: "UTC",
      params: { who: "cron" },
      enabled: true,
      catchUp: false,
      createdBy: "bob",
      createdAt: T0,
      updatedAt: T0,
      nextRunAt: T0 + 10_000,
      lastFiredAt: null,
      lastRunUuid: null,
      lastOutcome: null,
      ...overrides,
    };
    await store.schedules.createSchedule(s);
    return s;
  }

  it("fires each due time once, as the creator, even with two schedulers on one database", async () => {
    const s = await schedule({});
    const clock = fakeClock(T0 + 5_000);
    const a = new Scheduler({ store, engine, clock });
    const b = new Scheduler({ store, engine, clock });
    expect(await a.tick()).toEqual([]);
    clock.set(T0 + 10_200);
    const passes = await Promise.all([a.tick(), b.tick(), a.tick()]);
    expect(passes.flat()).toHaveLength(1);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ groupId: "lab", startedBy: "bob", params: { who: "cron" }, trigger: "schedule" });
    expect(await store.schedules.getSchedule(s.uuid)).toMatchObject({ nextRunAt: T0 + 20_000, lastFiredAt: T0 + 10_200, lastOutcome: expect.stringContaining("started run") });
    clock.set(T0 + 20_000);
    await b.tick();
    expect(started).toHaveLength(2);
  });

  it("after a time with no process, skips the missed fires, or with catch_up fires the latest one once", async () => {
    const skipped = await schedule({ catchUp: false });
    const caught = await schedule({ catchUp: true });
    const clock = fakeClock(T0 + 3_600_000 + 5_000);
    const outcomes = await new Scheduler({ store, engine, clock }).tick();
    expect(outcomes.find((o) => o.scheduleUuid === skipped.uuid)).toMatchObject({ fireTime: null, runUuid: null, outcome: expect.stringContaining("skipped") });
    expect(outcomes.find((o) => o.scheduleUuid === caught.uuid)).toMatchObject({ fireTime: T0 + 3_600_000, runUuid: expect.any(String) });
    expect(started).toHaveLength(1);
    for (const s of [skipped, caught]) expect((await store.schedules.getSchedule(s.uuid))?.nextRunAt).toBe(T0 + 3_610_000);
  });

  it("records a refused fire when the creator has left the group, and starts nothing", async () => {
    const s = await schedule({});
    await store.service.removeMember("lab", "bob");
    const clock = fakeClock(T0 + 10_000);
    const [outcome] = await new Scheduler({ store, engine, clock }).tick();
    expect(outcome).toMatchObject({ runUuid: null, outcome: expect.stringContaining("'bob' is not a member of group 'lab'") });
    expect(started).toEqual([]);
    expect((await store.schedules.getSchedule(s.uuid))?.lastOutcome).toMatch(/^refused/);
  });

  it("runs its loop until stopped, firing what falls due", async () => {
    await schedule({ nextRunAt: T0 });
    const clock = fakeClock(T0);
    const scheduler = new Scheduler({ store, engine, clock, pollMs: 10 }).start();
    for (let i = 0; i < 100 && started.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await scheduler.stop();
    expect(started).toHaveLength(1);
  });
});
