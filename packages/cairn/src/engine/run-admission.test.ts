import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type CairnConfig } from "../config.js";
import type { RunId } from "../ids.js";
import { parsePipeline } from "../spec/index.js";
import type { Pipeline, TaskType } from "../spec/types.js";
import { createStore } from "../store/create-store.js";
import type { RunRecord, Store } from "../store/store.js";
import type { Runtimes, TaskExecutionContext, TaskHandler, TaskOutcome } from "../tasks/task-handler.js";
import { Engine } from "./engine.js";
import { pendingTimeoutMessage } from "./run-admission.js";

/**
 * max_concurrent_runs, pending_timeout and a group's max_parallel_tasks (issue 17), with a
 * real SQLite store and scripted tasks that record when each starts and ends.
 */

type Script = (ctx: TaskExecutionContext) => Promise<TaskOutcome | undefined>;
interface Span {
  run: RunId;
  task: string;
  start: number;
  end?: number;
}

const noRuntimes: Runtimes = { container: () => Promise.reject(new Error("no container runtime here")), host: undefined as never };

let dataDir: string;
let store: Store;
let config: CairnConfig;
let spans: Span[];
let script: Script;
let resumeScript: Script | undefined;
const engines: Engine[] = [];

function newEngine(maxParallelTasks = 8): Engine {
  const handler: TaskHandler = {
    type: "function",
    async run(ctx) {
      const span: Span = { run: ctx.runUuid, task: ctx.task.id, start: Date.now() };
      spans.push(span);
      try {
        return (await script(ctx))!;
      } finally {
        span.end = Date.now();
      }
    },
    resume: (ctx) => (resumeScript ? resumeScript(ctx) : Promise.resolve(undefined)),
  };
  const engine = new Engine({
    store,
    config: { ...config, maxParallelTasks },
    runtimes: noRuntimes,
    handlers: new Map<TaskType, TaskHandler>([["function", handler]]),
    allowHostRuntime: true,
  });
  engines.push(engine);
  return engine;
}

function pipeline(profile: object, taskIds = ["t"], id = "limited"): Pipeline {
  return parsePipeline({
    id,
    execution_profile: profile,
    tasks: taskIds.map((t) => ({ id: t, type: "function", runtime: "bash", code: Buffer.from("true").toString("base64") })),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (check: () => boolean | Promise<boolean>, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await sleep(10);
  }
};
/** A task that runs until `release()` is called. */
function gate(): { wait: () => Promise<void>; release: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  return { wait: () => opened, release };
}
const status = async (uuid: RunId) => (await store.getRun(uuid))?.status;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-admission-"));
  config = loadConfig({ dataDir, keepWorkDirs: false }, {});
  store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
  spans = [];
  script = async () => ({ exitCode: 0 });
  resumeScript = undefined;
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("max_concurrent_runs", () => {
  it("runs three runs submitted at once against a limit of 1 one after another, first in first out, all succeeding", async () => {
    const engine = newEngine();
    script = async () => (await sleep(150), { exitCode: 0 });
    const p = pipeline({ max_concurrent_runs: 1 });
    const submitted = await Promise.all([0, 1, 2].map(() => engine.startRun({ pipeline: p, groupId: "lab" })));
    expect(submitted.map((r) => r.status).sort()).toEqual(["pending", "pending", "running"]);
    const ended = await Promise.all(submitted.map((r) => engine.waitForRun(r.uuid)));
    expect(ended.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);

    // Never two running together: each task starts after the one before it ended, as the store recorded too.
    const byStart = [...spans].sort((a, b) => a.start - b.start);
    expect(byStart).toHaveLength(3);
    for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.start).toBeGreaterThanOrEqual(byStart[i - 1]!.end!);
    const stored = await Promise.all(submitted.map((r) => store.getRun(r.uuid)));
    const runsByStart = [...stored].sort((a, b) => a!.startedAt! - b!.startedAt!);
    for (let i = 1; i < runsByStart.length; i++) expect(runsByStart[i]!.startedAt!).toBeGreaterThanOrEqual(runsByStart[i - 1]!.endedAt!);
    // In the order they were recorded.
    const byCreation = [...stored].sort((a, b) => a!.createdAt - b!.createdAt || (a!.uuid < b!.uuid ? -1 : 1));
    expect(runsByStart.map((r) => r!.uuid)).toEqual(byCreation.map((r) => r!.uuid));
  });

  it("lets up to the limit run together and leaves pipelines without one alone", async () => {
    const engine = newEngine();
    const g = gate();
    script = async () => (await g.wait(), { exitCode: 0 });
    const limited = await Promise.all([0, 1, 2].map(() => engine.startRun({ pipeline: pipeline({ max_concurrent_runs: 2 }), groupId: "lab" })));
    const free = await Promise.all([0, 1, 2].map(() => engine.startRun({ pipeline: pipeline({}, ["t"], "free"), groupId: "lab" })));
    expect(limited.filter((r) => r.status === "running")).toHaveLength(2);
    expect(free.map((r) => r.status)).toEqual(["running", "running", "running"]);
    await waitFor(() => spans.length === 5);
    g.release();
    for (const r of [...limited, ...free]) expect((await engine.waitForRun(r.uuid)).status).toBe("succeeded");
  });

  it("cancels a run that waited longer than pending_timeout, with that reason, and it never starts", async () => {
    const engine = newEngine();
    const g = gate();
    script = async () => (await g.wait(), { exitCode: 0 });
    const p = pipeline({ max_concurrent_runs: 1, pending_timeout: 0.3 });
    const first = await engine.startRun({ pipeline: p, groupId: "lab" });
    const second = await engine.startRun({ pipeline: p, groupId: "lab" });
    expect(second.status).toBe("pending");
    const ended = await engine.waitForRun(second.uuid);
    expect(ended).toMatchObject({ status: "cancelled", message: pendingTimeoutMessage(0.3), startedAt: null });
    expect(ended.endedAt! - ended.createdAt).toBeGreaterThanOrEqual(290);
    expect((await store.listExecutions(second.uuid)).map((e) => e.status)).toEqual(["cancelled"]);
    g.release();
    expect((await engine.waitForRun(first.uuid)).status).toBe("succeeded");
    await sleep(50);
    expect(spans.map((s) => s.run)).toEqual([first.uuid]);
  });

  it("cancels a pending run on request; the next one waiting takes the slot", async () => {
    const engine = newEngine();
    const g = gate();
    script = async () => (await g.wait(), { exitCode: 0 });
    const p = pipeline({ max_concurrent_runs: 1 });
    const [first, second, third] = [await engine.startRun({ pipeline: p }), await engine.startRun({ pipeline: p }), await engine.startRun({ pipeline: p })];
    const events: RunRecord[] = [];
    engine.on("run", (r) => events.push({ ...r }));
    await engine.cancelRun(second.uuid);
    expect(await status(second.uuid)).toBe("cancelled");
    expect((await engine.waitForRun(second.uuid)).message).toBe("the run was cancelled while it was pending");
    expect(events.map((e) => [e.uuid, e.status])).toEqual([[second.uuid, "cancelled"]]);
    g.release();
    expect((await engine.waitForRun(third.uuid)).status).toBe("succeeded");
    expect(spans.map((s) => s.run)).toEqual([first.uuid, third.uuid]);
  });

  it("counts pending runs for duplicate_submission_policy deny and cancels them for terminate", async () => {
    const engine = newEngine();
    const g = gate();
    script = async () => (await g.wait(), { exitCode: 0 });
    const deny = pipeline({ max_concurrent_runs: 1, duplicate_submission_policy: "deny" });
    await engine.startRun({ pipeline: deny });
    await expect(engine.startRun({ pipeline: deny })).rejects.toMatchObject({ code: "conflict" });
    const terminate = pipeline({ max_concurrent_runs: 1, duplicate_submission_policy: "terminate" }, ["t"], "t2");
    const a = await engine.startRun({ pipeline: terminate });
    const b = await engine.startRun({ pipeline: pipeline({ max_concurrent_runs: 1 }, ["t"], "t2") });
    expect(b.status).toBe("pending");
    // terminate cancels both the running run and the pending one; the new run then starts.
    const c = await engine.startRun({ pipeline: terminate });
    expect(await status(a.uuid)).toBe("cancelled");
    expect(await status(b.uuid)).toBe("cancelled");
    expect(c.status).toBe("running");
    g.release();
    expect((await engine.waitForRun(c.uuid)).status).toBe("succeeded");
  });

  it("keeps pending runs across a restart and starts them, in order, once the slot frees", async () => {
    const first = newEngine();
    const g = gate();
    script = async (ctx) => (await Promise.race([g.wait(), new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)))]), { exitCode: 0 });
    const p = pipeline({ max_concurrent_runs: 1 });
    const runs = [await first.startRun({ pipeline: p }), await first.startRun({ pipeline: p }), await first.startRun({ pipeline: p })];
    await waitFor(() => spans.length === 1);
    await first.close();
    expect(await Promise.all(runs.map((r) => status(r.uuid)))).toEqual(["running", "pending", "pending"]);

    // The new process follows the running attempt again (it ends now), then starts the pending runs one by one.
    const second = newEngine();
    resumeScript = async () => (await sleep(100), { exitCode: 0 });
    script = async () => (await sleep(100), { exitCode: 0 });
    await second.recover();
    for (const r of runs) await waitFor(async () => (await status(r.uuid)) === "succeeded");
    const stored = await Promise.all(runs.map((r) => store.getRun(r.uuid)));
    expect(stored[1]!.startedAt!).toBeGreaterThanOrEqual(stored[0]!.endedAt!);
    expect(stored[2]!.startedAt!).toBeGreaterThanOrEqual(stored[1]!.endedAt!);
  });

  it("after a restart, cancels a pending run whose pending_timeout passed while no process ran", async () => {
    const first = newEngine();
    script = (ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
    const p = pipeline({ max_concurrent_runs: 1, pending_timeout: 0.2 });
    await first.startRun({ pipeline: p });
    const waiting = await first.startRun({ pipeline: p });
    await first.close();
    await sleep(300);
    const second = newEngine();
    resumeScript = (ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
    await second.recover();
    await waitFor(async () => (await status(waiting.uuid)) === "cancelled");
    expect((await store.getRun(waiting.uuid))?.message).toBe(pendingTimeoutMessage(0.2));
  });
});

describe("a group's max_parallel_tasks", () => {
  async function makeGroup(id: string, maxParallelTasks: number | null) {
    await store.service.createGroup({ id, uuid: randomUUID(), owner: "ada", createdAt: 1, maxParallelTasks }, []);
  }

  it("caps the running tasks of all the group's runs, while other groups' tasks go past", async () => {
    await makeGroup("capped", 2);
    await makeGroup("other", null);
    const engine = newEngine(8);
    let running = 0;
    let most = 0;
    script = async (ctx) => {
      const capped = ctx.task.id.startsWith("c");
      if (capped) most = Math.max(most, ++running);
      await sleep(ctx.task.id.startsWith("c") ? 80 : 20);
      if (capped) running--;
      return { exitCode: 0 };
    };
    const fan = ["c1", "c2", "c3", "c4", "c5"];
    const capped = await Promise.all([0, 1].map(() => engine.startRun({ pipeline: pipeline({}, fan, "fan"), groupId: "capped" })));
    const other = await engine.startRun({ pipeline: pipeline({}, ["o1", "o2", "o3"], "other"), groupId: "other" });
    for (const r of [...capped, other]) expect((await engine.waitForRun(r.uuid)).status).toBe("succeeded");
    expect(most).toBe(2);
    // The other group's tasks did not wait behind the capped group's ten.
    const lastOther = Math.max(...spans.filter((s) => s.run === other.uuid).map((s) => s.end!));
    const lastCapped = Math.max(...spans.filter((s) => s.run !== other.uuid).map((s) => s.end!));
    expect(lastOther).toBeLessThan(lastCapped);
  });

  it("applies a new cap to the tasks that start from then on", async () => {
    await makeGroup("lab", 1);
    const engine = newEngine(8);
    let running = 0;
    const seen: number[] = [];
    script = async () => {
      seen.push(++running);
      await sleep(60);
      running--;
      return { exitCode: 0 };
    };
    const run = await engine.startRun({ pipeline: pipeline({}, ["a", "b", "c", "d", "e", "f"], "fan"), groupId: "lab" });
    await waitFor(() => spans.length >= 1);
    engine.setGroupTaskCap("lab", 3);
    expect((await engine.waitForRun(run.uuid)).status).toBe("succeeded");
    expect(Math.max(...seen)).toBe(3);
  });
});
