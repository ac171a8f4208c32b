import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newExecutionId, newRunId, type ExecutionId, type RunId } from "../ids.js";
import type { ExecutionRecord, NewLogLine, RunRecord, Store } from "./store.js";

/**
 * The behaviour every Store must show, run once per database (BullMQ's and
 * Kysely's lesson): sqlite-store.test.ts and postgres-store.int.test.ts call this.
 * `makeStore` must return a fresh, migrated, empty store each time.
 */
export function describeStoreSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store on ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe("round trips", () => {
      it("keeps every field of a run, JSON included", async () => {
        const run = makeRun({
          pipeline: { id: "p", tasks: [{ id: "a", depends_on: [] }], nested: { n: 1.5, t: true, z: null } },
          params: { greeting: "héllo ✓", empty: "" },
          directives: { DRY_RUN: true, TAG: "x" },
          startedAt: 1_700_000_000_123,
          endedAt: 1_700_000_009_999,
          message: "all done",
          startedBy: "ada",
          definedBy: "cy",
        });
        await store.commit({ newRuns: [run] });
        expect(await store.getRun(run.uuid)).toEqual(run);
      });

      it("keeps nulls and empty JSON objects of a run", async () => {
        const run = makeRun({ pipeline: null, params: {}, directives: {}, startedAt: null, endedAt: null, message: null });
        await store.commit({ newRuns: [run] });
        expect(await store.getRun(run.uuid)).toEqual(run);
        expect(await store.getRun(run.uuid)).not.toHaveProperty("definedBy");
      });

      it("keeps every field of an execution, and its nulls", async () => {
        const run = makeRun();
        const full = makeExecution(run.uuid, {
          status: "failed",
          notBefore: 1_700_000_000_500,
          startedAt: 1_700_000_000_600,
          endedAt: 1_700_000_000_700,
          exitCode: 137,
          message: "killed",
          outputs: { result: "42", multi: "line\nvalue" },
          runtimeHandle: "container:abc123",
          // Above 2^32 and with a fraction of a second, as a long task's figures are.
          usage: { cpuSeconds: 12.345678, peakMemoryBytes: 6 * 2 ** 30, readBytes: 5_000_000_123, writtenBytes: 0 },
          imageDigest: `sha256:${"ab".repeat(32)}`,
          sealedOutputs: "v1.sealed-outputs",
        });
        const bare = makeExecution(run.uuid, { taskId: "b" });
        await store.commit({ newRuns: [run], newExecutions: [full, bare] });
        expect(await store.getExecution(full.uuid)).toEqual(full);
        expect(await store.getExecution(bare.uuid)).toEqual(bare);
      });

      it("returns undefined for unknown ids", async () => {
        expect(await store.getRun(newRunId())).toBeUndefined();
        expect(await store.getExecution(newExecutionId())).toBeUndefined();
      });

      it("treats an empty batch as a no-op", async () => {
        await store.commit({});
        await store.commit({ newRuns: [], logs: [] });
        expect(await store.listRuns()).toEqual([]);
      });
    });

    describe("updates", () => {
      it("touch only the fields in the patch, and can set null", async () => {
        const run = makeRun({ message: "queued by test" });
        const execution = makeExecution(run.uuid, { runtimeHandle: "host:1", outputs: { a: "1" } });
        await store.commit({ newRuns: [run], newExecutions: [execution] });

        await store.commit({
          runUpdates: [{ uuid: run.uuid, patch: { status: "running", startedAt: 5 } }],
          executionUpdates: [{ uuid: execution.uuid, patch: { status: "succeeded", exitCode: 0, runtimeHandle: null } }],
        });
        expect(await store.getRun(run.uuid)).toEqual({ ...run, status: "running", startedAt: 5 });
        expect(await store.getExecution(execution.uuid)).toEqual({
          ...execution,
          status: "succeeded",
          exitCode: 0,
          runtimeHandle: null,
        });

        await store.commit({ executionUpdates: [{ uuid: execution.uuid, patch: { outputs: { b: "2" } } }] });
        expect((await store.getExecution(execution.uuid))?.outputs).toEqual({ b: "2" });
      });

      it("record an attempt's resource usage, and leave it alone when a patch does not name it", async () => {
        const run = makeRun();
        const execution = makeExecution(run.uuid);
        await store.commit({ newRuns: [run], newExecutions: [execution] });
        const usage = { cpuSeconds: 1.5, peakMemoryBytes: 64 * 2 ** 20, readBytes: 4096, writtenBytes: 8 * 2 ** 20 };
        await store.commit({ executionUpdates: [{ uuid: execution.uuid, patch: { usage } }] });
        await store.commit({ executionUpdates: [{ uuid: execution.uuid, patch: { status: "succeeded" } }] });
        expect(await store.getExecution(execution.uuid)).toMatchObject({ status: "succeeded", usage });
      });

      it("apply in batch order, also when neighbouring patches are equal", async () => {
        const run = makeRun();
        const executions = Array.from({ length: 5 }, (_, i) => makeExecution(run.uuid, { taskId: `t${i}` }));
        await store.commit({ newRuns: [run], newExecutions: executions });
        const [first, second] = executions as [ExecutionRecord, ExecutionRecord];
        await store.commit({
          executionUpdates: [
            ...executions.map((e) => ({ uuid: e.uuid, patch: { status: "skipped" as const, endedAt: 9 } })),
            { uuid: first.uuid, patch: { status: "cancelled" } },
            { uuid: second.uuid, patch: {} },
          ],
        });
        const statuses = (await store.listExecutions(run.uuid)).map((e) => [e.taskId, e.status, e.endedAt]);
        expect(statuses).toEqual([
          ["t0", "cancelled", 9],
          ["t1", "skipped", 9],
          ["t2", "skipped", 9],
          ["t3", "skipped", 9],
          ["t4", "skipped", 9],
        ]);
      });
    });

    describe("the updates of a task's life", () => {
      it("apply neighbouring patches of one row in order, later fields winning", async () => {
        const run = makeRun();
        const [a, b] = [makeExecution(run.uuid, { taskId: "a" }), makeExecution(run.uuid, { taskId: "b" })];
        await store.commit({ newRuns: [run], newExecutions: [a, b] });
        await store.commit({
          executionUpdates: [
            { uuid: a.uuid, patch: { runtimeHandle: "4242", message: "first" } },
            { uuid: a.uuid, patch: { status: "succeeded", endedAt: 7, exitCode: 0, message: null, outputs: { out: "x" } } },
            { uuid: b.uuid, patch: { status: "running", startedAt: 7 } },
          ],
        });
        expect(await store.getExecution(a.uuid)).toMatchObject({ runtimeHandle: "4242", status: "succeeded", endedAt: 7, exitCode: 0, message: null, outputs: { out: "x" } });
        expect(await store.getExecution(b.uuid)).toMatchObject({ status: "running", startedAt: 7, runtimeHandle: null });
      });

      it("give every row its own values when the same kind of update repeats, nulls included", async () => {
        const run = makeRun();
        const executions = Array.from({ length: 4 }, (_, i) => makeExecution(run.uuid, { taskId: `t${i}` }));
        await store.commit({ newRuns: [run], newExecutions: executions });
        for (const [i, e] of executions.entries()) {
          const patch = { status: "failed" as const, exitCode: i % 2 === 0 ? i : null, message: i % 2 === 0 ? null : `m${i}` };
          await store.commit({ executionUpdates: [{ uuid: e.uuid, patch }] });
        }
        const stored = (await store.listExecutions(run.uuid)).map((e) => [e.taskId, e.status, e.exitCode, e.message]);
        expect(stored).toEqual([
          ["t0", "failed", 0, null],
          ["t1", "failed", null, "m1"],
          ["t2", "failed", 2, null],
          ["t3", "failed", null, "m3"],
        ]);
      });
    });

    describe("atomic batches", () => {
      it("roll back the new runs of a batch whose run update names an unknown run", async () => {
        const run = makeRun();
        const missing = newRunId();
        await expect(
          store.commit({ newRuns: [run], runUpdates: [{ uuid: missing, patch: { status: "failed" } }] }),
        ).rejects.toMatchObject({ name: "NotFoundError", code: "not_found", message: expect.stringContaining(missing) });
        expect(await store.getRun(run.uuid)).toBeUndefined();
      });

      it("roll back everything when one of many equal execution updates names an unknown execution", async () => {
        const run = makeRun();
        const known = Array.from({ length: 3 }, (_, i) => makeExecution(run.uuid, { taskId: `t${i}` }));
        await store.commit({ newRuns: [run], newExecutions: known });
        const missing = newExecutionId();
        const newRun = makeRun();
        await expect(
          store.commit({
            newRuns: [newRun],
            runUpdates: [{ uuid: run.uuid, patch: { status: "cancelled" } }],
            executionUpdates: [...known.map((e) => e.uuid), missing].map((uuid) => ({
              uuid,
              patch: { status: "cancelled" as const },
            })),
            logs: [logLine(known[0]!.uuid, "never stored")],
          }),
        ).rejects.toMatchObject({ name: "NotFoundError", message: expect.stringContaining(missing) });
        expect(await store.getRun(newRun.uuid)).toBeUndefined();
        expect((await store.getRun(run.uuid))?.status).toBe("queued");
        expect((await store.listExecutions(run.uuid)).map((e) => e.status)).toEqual(["queued", "queued", "queued"]);
        expect(await store.readLogs(known[0]!.uuid)).toEqual([]);
      });

      it("refuse a second run with the same uuid as a conflict, and keep the first", async () => {
        const run = makeRun({ message: "first" });
        await store.commit({ newRuns: [run] });
        const other = makeRun();
        await expect(store.commit({ newRuns: [other, { ...run, message: "second" }] })).rejects.toMatchObject({
          code: "conflict",
        });
        expect((await store.getRun(run.uuid))?.message).toBe("first");
        expect(await store.getRun(other.uuid)).toBeUndefined();
      });

      it("refuse an execution of an unknown run", async () => {
        const execution = makeExecution(newRunId());
        await expect(store.commit({ newExecutions: [execution] })).rejects.toMatchObject({ code: "not_found" });
        expect(await store.getExecution(execution.uuid)).toBeUndefined();
      });
    });

    describe("listings", () => {
      it("listRuns filters by group, pipeline and status, newest first, with a limit", async () => {
        const runs = [
          makeRun({ groupId: "g1", pipelineId: "p1", status: "succeeded", createdAt: 100 }),
          makeRun({ groupId: "g1", pipelineId: "p1", status: "running", createdAt: 300 }),
          makeRun({ groupId: "g1", pipelineId: "p2", status: "failed", createdAt: 200 }),
          makeRun({ groupId: "g2", pipelineId: "p1", status: "queued", createdAt: 400 }),
        ] as const;
        await store.commit({ newRuns: [...runs] });
        const uuids = (list: RunRecord[]) => list.map((r) => r.uuid);

        expect(uuids(await store.listRuns())).toEqual([runs[3].uuid, runs[1].uuid, runs[2].uuid, runs[0].uuid]);
        expect(uuids(await store.listRuns({ groupId: "g1" }))).toEqual([runs[1].uuid, runs[2].uuid, runs[0].uuid]);
        expect(uuids(await store.listRuns({ groupId: "g1", pipelineId: "p1" }))).toEqual([runs[1].uuid, runs[0].uuid]);
        expect(uuids(await store.listRuns({ pipelineId: "p1" }))).toEqual([runs[3].uuid, runs[1].uuid, runs[0].uuid]);
        expect(uuids(await store.listRuns({ statuses: ["failed", "succeeded"] }))).toEqual([
          runs[2].uuid,
          runs[0].uuid,
        ]);
        expect(await store.listRuns({ statuses: [] })).toEqual([]);
        expect(uuids(await store.listRuns({ limit: 2 }))).toEqual([runs[3].uuid, runs[1].uuid]);
        expect(await store.listRuns({ groupId: "nobody" })).toEqual([]);
        expect((await store.listRuns({ groupId: "g2" }))[0]).toEqual(runs[3]);
      });

      it("listRuns filters by trigger and creation time, and pages with an offset", async () => {
        const runs = [
          makeRun({ createdAt: 100, trigger: "webhook" }),
          makeRun({ createdAt: 200, trigger: "schedule" }),
          makeRun({ createdAt: 300, trigger: "webhook" }),
          makeRun({ createdAt: 400 }),
        ] as const;
        await store.commit({ newRuns: [...runs] });
        const uuids = (list: RunRecord[]) => list.map((r) => r.uuid);
        expect(uuids(await store.listRuns({ trigger: "webhook" }))).toEqual([runs[2].uuid, runs[0].uuid]);
        expect((await store.listRuns({ trigger: "schedule" }))[0]).toEqual(runs[1]);
        expect(uuids(await store.listRuns({ since: 200 }))).toEqual([runs[3].uuid, runs[2].uuid, runs[1].uuid]);
        expect(uuids(await store.listRuns({ limit: 2, offset: 1 }))).toEqual([runs[2].uuid, runs[1].uuid]);
        expect((await store.getRun(runs[3].uuid))?.trigger).toBeUndefined();
      });

      it("keeps a retry's link to the run it retries and each reused execution's link to the one it reuses", async () => {
        const original = makeRun({ status: "failed" });
        const done = makeExecution(original.uuid, { taskId: "a", status: "succeeded" });
        const retry = makeRun({ retryOf: original.uuid, trigger: "retry" });
        const reused = makeExecution(retry.uuid, { taskId: "a", status: "succeeded", reusedFrom: done.uuid });
        const fresh = makeExecution(retry.uuid, { taskId: "b" });
        await store.commit({ newRuns: [original, retry], newExecutions: [done, reused, fresh] });
        expect(await store.getRun(retry.uuid)).toEqual(retry);
        expect((await store.getRun(original.uuid))?.retryOf).toBeUndefined();
        expect((await store.listRuns({ trigger: "retry" }))[0]?.retryOf).toBe(original.uuid);
        const executions = await store.listExecutions(retry.uuid);
        expect(executions.find((e) => e.taskId === "a")?.reusedFrom).toBe(done.uuid);
        expect(executions.find((e) => e.taskId === "b")?.reusedFrom).toBeUndefined();
      });

      it("findRunsByPrefix finds the runs whose uuid starts with a prefix, in uuid order, up to a limit", async () => {
        const runs = [makeRun(), makeRun(), makeRun()];
        await store.commit({ newRuns: runs });
        const [first] = runs;
        expect((await store.findRunsByPrefix(first!.uuid.slice(0, 13), 2)).map((r) => r.uuid)).toEqual([first!.uuid]);
        expect(await store.findRunsByPrefix(first!.uuid, 2)).toEqual([first]);
        const sorted = runs.map((r) => r.uuid).sort();
        expect((await store.findRunsByPrefix("", 2)).map((r) => r.uuid)).toEqual(sorted.slice(0, 2));
        expect(await store.findRunsByPrefix("%", 2)).toEqual([]);
        expect(await store.findRunsByPrefix("_", 2)).toEqual([]);
        expect(await store.findRunsByPrefix("ffffffff-ffff", 2)).toEqual([]);
      });

      it("listUnfinishedRuns returns the queued and running runs only", async () => {
        const statuses = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
        const runs = statuses.map((status, i) => makeRun({ status, createdAt: i }));
        await store.commit({ newRuns: runs });
        const unfinished = await store.listUnfinishedRuns();
        expect(unfinished.map((r) => r.status).sort()).toEqual(["queued", "running"]);
        expect(unfinished).toContainEqual(runs[0]);

        await store.commit({ runUpdates: [{ uuid: runs[0]!.uuid, patch: { status: "cancelled" } }] });
        expect((await store.listUnfinishedRuns()).map((r) => r.uuid)).toEqual([runs[1]!.uuid]);
      });

      it("listExecutions returns one run's attempts ordered by task id then attempt", async () => {
        const run = makeRun();
        const otherRun = makeRun();
        const executions = [
          makeExecution(run.uuid, { taskId: "b", attempt: 2 }),
          makeExecution(run.uuid, { taskId: "a", attempt: 1 }),
          makeExecution(run.uuid, { taskId: "b", attempt: 1 }),
          makeExecution(otherRun.uuid, { taskId: "a", attempt: 1 }),
        ];
        await store.commit({ newRuns: [run, otherRun], newExecutions: executions });
        expect((await store.listExecutions(run.uuid)).map((e) => `${e.taskId}#${e.attempt}`)).toEqual([
          "a#1",
          "b#1",
          "b#2",
        ]);
        expect(await store.listExecutions(newRunId())).toEqual([]);
      });

      it("refuses a second execution with the same task and attempt in a run", async () => {
        const run = makeRun();
        await store.commit({ newRuns: [run], newExecutions: [makeExecution(run.uuid, { taskId: "a" })] });
        await expect(
          store.commit({ newExecutions: [makeExecution(run.uuid, { taskId: "a" })] }),
        ).rejects.toMatchObject({ code: "conflict" });
      });
    });

    describe("logs", () => {
      it("readLogs returns one execution's lines after sinceId, oldest first, up to the limit", async () => {
        const run = makeRun();
        const a = makeExecution(run.uuid, { taskId: "a" });
        const b = makeExecution(run.uuid, { taskId: "b" });
        await store.commit({
          newRuns: [run],
          newExecutions: [a, b],
          logs: [logLine(a.uuid, "a1"), logLine(b.uuid, "b1"), logLine(a.uuid, "a2", "stderr")],
        });
        await store.commit({ logs: [logLine(a.uuid, "a3", "system"), logLine(a.uuid, "a4")] });

        const all = await store.readLogs(a.uuid);
        expect(all.map((l) => l.line)).toEqual(["a1", "a2", "a3", "a4"]);
        expect(all.map((l) => l.stream)).toEqual(["stdout", "stderr", "system", "stdout"]);
        expect(all[0]).toEqual({ id: expect.any(Number), executionUuid: a.uuid, stream: "stdout", ts: 1_000, line: "a1" });
        const ids = all.map((l) => l.id);
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        expect(new Set(ids).size).toBe(4);

        expect((await store.readLogs(a.uuid, { sinceId: ids[1]! })).map((l) => l.line)).toEqual(["a3", "a4"]);
        expect((await store.readLogs(a.uuid, { sinceId: ids[0]!, limit: 2 })).map((l) => l.line)).toEqual(["a2", "a3"]);
        expect(await store.readLogs(a.uuid, { sinceId: ids[3]! })).toEqual([]);
        expect((await store.readLogs(b.uuid)).map((l) => l.line)).toEqual(["b1"]);
      });

      it("allLogs gives every line of one execution, oldest first, across pages", async () => {
        const run = makeRun();
        const a = makeExecution(run.uuid, { taskId: "a" });
        const b = makeExecution(run.uuid, { taskId: "b" });
        await store.commit({
          newRuns: [run],
          newExecutions: [a, b],
          logs: [logLine(a.uuid, "a1"), logLine(b.uuid, "b1"), logLine(a.uuid, "a2", "stderr"), logLine(a.uuid, "a3", "system")],
        });
        await store.commit({ logs: [logLine(a.uuid, "a4"), logLine(a.uuid, "a5")] });

        const read = async (uuid: typeof a.uuid, pageSize?: number) => {
          const lines: string[] = [];
          for await (const l of store.allLogs(uuid, pageSize === undefined ? {} : { pageSize })) lines.push(`${l.stream}:${l.line}`);
          return lines;
        };
        const expected = ["stdout:a1", "stderr:a2", "system:a3", "stdout:a4", "stdout:a5"];
        expect(await read(a.uuid)).toEqual(expected);
        expect(await read(a.uuid, 2)).toEqual(expected);
        expect(await read(a.uuid, 1)).toEqual(expected);
        expect(await read(b.uuid, 2)).toEqual(["stdout:b1"]);
        expect(await read(makeExecution(run.uuid, { taskId: "none" }).uuid)).toEqual([]);
      });

      it("commits a 10,001-line batch in order, and reads 10,000 lines by default", async () => {
        const run = makeRun();
        const execution = makeExecution(run.uuid);
        const lines = Array.from({ length: 10_001 }, (_, i) => logLine(execution.uuid, `line ${i}`));
        await store.commit({ newRuns: [run], newExecutions: [execution], logs: lines });

        const page = await store.readLogs(execution.uuid);
        expect(page).toHaveLength(10_000);
        expect(page[0]?.line).toBe("line 0");
        expect(page[9_999]?.line).toBe("line 9999");
        const rest = await store.readLogs(execution.uuid, { sinceId: page[9_999]!.id });
        expect(rest.map((l) => l.line)).toEqual(["line 10000"]);
      });
    });

    describe("migrations and concurrency", () => {
      it("migrate() again, and twice at once, changes nothing", async () => {
        const run = makeRun();
        await store.commit({ newRuns: [run] });
        await store.migrate();
        await Promise.all([store.migrate(), store.migrate()]);
        expect(await store.getRun(run.uuid)).toEqual(run);
      });

      it("loses no write when commits run concurrently", async () => {
        const run = makeRun();
        const executions = Array.from({ length: 20 }, (_, i) => makeExecution(run.uuid, { taskId: `t${i}` }));
        await store.commit({ newRuns: [run], newExecutions: executions });

        // Each execution gets two commits in flight at once that patch different fields of
        // the same row, plus log lines: every field and every line must survive.
        await Promise.all(
          executions.flatMap((e, i) => [
            store.commit({
              executionUpdates: [{ uuid: e.uuid, patch: { status: "running", startedAt: i } }],
              logs: [logLine(e.uuid, `from first ${i}`)],
            }),
            store.commit({
              executionUpdates: [{ uuid: e.uuid, patch: { runtimeHandle: `host:${i}` } }],
              runUpdates: [{ uuid: run.uuid, patch: { message: "busy" } }],
              logs: [logLine(e.uuid, `from second ${i}`)],
            }),
          ]),
        );

        const stored = await store.listExecutions(run.uuid);
        expect(stored).toHaveLength(20);
        for (const e of stored) {
          const i = Number(e.taskId.slice(1));
          expect(e).toMatchObject({ status: "running", startedAt: i, runtimeHandle: `host:${i}` });
          expect((await store.readLogs(e.uuid)).map((l) => l.line).sort()).toEqual([
            `from first ${i}`,
            `from second ${i}`,
          ]);
        }
        expect((await store.getRun(run.uuid))?.message).toBe("busy");
      });
    });
  });
}

/** A run and an attempt as the engine would write them; shared with the other store suites. */
export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    uuid: newRunId(),
    pipelineId: "pipeline",
    groupId: "group",
    status: "queued",
    pipeline: { id: "pipeline", tasks: [] },
    params: {},
    directives: {},
    createdAt: 1_700_000_000_000,
    startedAt: null,
    endedAt: null,
    message: null,
    startedBy: null,
    ...overrides,
  };
}

export function makeExecution(runUuid: RunId, overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    uuid: newExecutionId(),
    runUuid,
    taskId: "task",
    attempt: 1,
    status: "queued",
    createdAt: 1_700_000_000_001,
    notBefore: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    message: null,
    outputs: {},
    runtimeHandle: null,
    usage: null,
    imageDigest: null,
    ...overrides,
  };
}

function logLine(executionUuid: ExecutionId, line: string, stream: NewLogLine["stream"] = "stdout"): NewLogLine {
  return { executionUuid, stream, ts: 1_000, line };
}
