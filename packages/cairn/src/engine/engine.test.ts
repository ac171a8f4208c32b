import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig, type CairnConfig } from "../config.js";
import { TaskFailure } from "../errors.js";
import type { RunId } from "../ids.js";
import { parsePipeline } from "../spec/index.js";
import type { Pipeline, TaskType } from "../spec/types.js";
import { createStore } from "../store/create-store.js";
import type { ExecutionRecord, StateBatch, Store } from "../store/store.js";
import type { AttemptPaths, Runtimes, TaskExecutionContext, TaskHandler, TaskOutcome } from "../tasks/task-handler.js";
import { attemptResultsDir, runResultsDir } from "../workspace/result-files.js";
import { runDir } from "../workspace/run-dir.js";
import { FakeRuntime } from "../../../../test/support/fake-runtime.js";
import { Engine, type RunApiAccess } from "./engine.js";
import { generateDataKey } from "../secrets/key-ring.js";
import { open, seal } from "../secrets/sealed-box.js";
import type { ValueSealer } from "./log-masking.js";

/**
 * Engine behaviour with a real SQLite store and scripted task handlers: each task's
 * behaviour is a function of its context, looked up by task id.
 */

type Script = (ctx: TaskExecutionContext) => Promise<TaskOutcome | undefined>;

const noRuntimes: Runtimes = {
  container: () => Promise.reject(new Error("no container runtime in engine unit tests")),
  host: undefined as never,
};

let dataDir: string;
let store: Store;
let config: CairnConfig;
let scripts: Map<string, Script>;
let resumeScripts: Map<string, Script>;
let events: { taskId: string; what: "start" | "end"; at: number }[];
const engines: Engine[] = [];

function makeHandlers(withResume = true): Map<TaskType, TaskHandler> {
  const handler: TaskHandler = {
    type: "function",
    async run(ctx) {
      events.push({ taskId: ctx.task.id, what: "start", at: performance.now() });
      try {
        const script = scripts.get(ctx.task.id) ?? (async () => ({ exitCode: 0 }));
        return (await script(ctx))!;
      } finally {
        events.push({ taskId: ctx.task.id, what: "end", at: performance.now() });
      }
    },
    ...(withResume
      ? {
          async resume(ctx: TaskExecutionContext) {
            const script = resumeScripts.get(ctx.task.id);
            return script ? script(ctx) : undefined;
          },
        }
      : {}),
  };
  return new Map<TaskType, TaskHandler>([
    ["function", handler],
    ["container_run", { ...handler, type: "container_run" }],
    ["request", { ...handler, type: "request" }],
  ]);
}

const dataKey = generateDataKey();
const outputSealer: ValueSealer = { seal: (text, boundTo) => seal(dataKey, text, boundTo), open: (sealed, boundTo) => open(dataKey, sealed, boundTo) };

function newEngine(
  options: { maxParallelTasks?: number; withResume?: boolean; secrets?: Record<string, string>; apiAccess?: RunApiAccess; runtimes?: Runtimes; outputSealer?: ValueSealer; secretLookups?: string[][] } = {},
) {
  const engine = new Engine({
    store,
    config: { ...config, maxParallelTasks: options.maxParallelTasks ?? 4 },
    runtimes: options.runtimes ?? noRuntimes,
    handlers: makeHandlers(options.withResume ?? true),
    secrets: async (name, groupId, pipelineId) => {
      options.secretLookups?.push([name, groupId, pipelineId]);
      return options.secrets?.[name];
    },
    allowHostRuntime: true,
    ...(options.outputSealer ? { outputSealer: options.outputSealer } : {}),
    apiAccess: options.apiAccess,
  });
  engines.push(engine);
  return engine;
}

/** A pipeline of function tasks; `deps` like { d: ["b", "c"] }, `extra` merged into each task by id. */
function pipeline(ids: string[], deps: Record<string, (string | { id: string; can_fail: boolean })[]> = {}, extra: Record<string, object> = {}, top: object = {}): Pipeline {
  return parsePipeline({
    id: "test-pipeline",
    ...top,
    tasks: ids.map((id) => ({
      id,
      type: "function",
      runtime: "bash",
      code: Buffer.from("true").toString("base64"),
      depends_on: (deps[id] ?? []).map((d) => (typeof d === "string" ? { id: d } : d)),
      ...extra[id],
    })),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const untilAborted = (ctx: TaskExecutionContext) =>
  new Promise<never>((_, reject) => {
    if (ctx.signal.aborted) reject(ctx.signal.reason);
    ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
  });

async function attempts(runUuid: RunId, taskId: string): Promise<ExecutionRecord[]> {
  return (await store.listExecutions(runUuid)).filter((e) => e.taskId === taskId).sort((a, b) => a.attempt - b.attempt);
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-engine-"));
  config = loadConfig({ dataDir, keepWorkDirs: false }, {});
  store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
  scripts = new Map();
  resumeScripts = new Map();
  events = [];
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("runtimes", () => {
  it("prepares the host runtime when a run with host tasks starts, before its first task, and not for other runs", async () => {
    const host = new FakeRuntime("host");
    const engine = newEngine({ runtimes: { ...noRuntimes, host } });
    const preparedAtStart: number[] = [];
    scripts.set("h", async () => (preparedAtStart.push(host.prepared), { exitCode: 0 }));
    const other = await engine.startRun({ pipeline: pipeline(["c"]) });
    await engine.waitForRun(other.uuid);
    expect(host.prepared).toBe(0);
    const run = await engine.startRun({ pipeline: pipeline(["h"], {}, { h: { execution_profile: { runtime: "host" } } }) });
    expect(host.prepared).toBe(1);
    expect((await engine.waitForRun(run.uuid)).status).toBe("succeeded");
    expect(preparedAtStart).toEqual([1]);
  });
});

describe("ordering", () => {
  it("starts a join once when its dependencies end in the same write", async () => {
    // b and c end on the same promise, so their ends share one commit and both evaluate d.
    let release!: () => void;
    const together = new Promise<void>((r) => (release = r));
    let starts = 0;
    for (const id of ["b", "c"]) scripts.set(id, async () => (await together, { exitCode: 0 }));
    scripts.set("a", async () => (setTimeout(release, 30), { exitCode: 0 }));
    scripts.set("d", async () => (starts++, { exitCode: 0 }));
    // Both slots busy while b and c end, so d waits in the ready queue instead of starting at once.
    const engine = newEngine({ maxParallelTasks: 2 });
    const run = await engine.startRun({ pipeline: pipeline(["a", "b", "c", "d"], { b: ["a"], c: ["a"], d: ["b", "c"] }) });
    expect((await engine.waitForRun(run.uuid)).status).toBe("succeeded");
    expect(starts).toBe(1);
    expect(await attempts(run.uuid, "d")).toHaveLength(1);
  });

  it("starts roots first, runs independent tasks in parallel and joins after both", async () => {
    for (const id of ["b", "c"]) scripts.set(id, async () => (await sleep(80), { exitCode: 0 }));
    const engine = newEngine();
    const run = await engine.startRun({ pipeline: pipeline(["a", "b", "c", "d"], { b: ["a"], c: ["a"], d: ["b", "c"] }) });
    const final = await engine.waitForRun(run.uuid);
    expect(final.status).toBe("succeeded");
    const at = (id: string, what: "start" | "end") => events.find((e) => e.taskId === id && e.what === what)!.at;
    expect(at("b", "start")).toBeGreaterThanOrEqual(at("a", "end"));
    expect(at("c", "start")).toBeLessThan(at("b", "end")); // b and c overlapped
    expect(at("d", "start")).toBeGreaterThanOrEqual(Math.max(at("b", "end"), at("c", "end")));
    const stored = await store.getRun(run.uuid);
    expect(stored).toMatchObject({ status: "succeeded", pipelineId: "test-pipeline" });
    expect(stored!.endedAt).toBeGreaterThanOrEqual(stored!.startedAt!);
    for (const e of await store.listExecutions(run.uuid)) {
      expect(e).toMatchObject({ status: "succeeded", attempt: 1 });
      expect(e.startedAt).not.toBeNull();
      expect(e.endedAt).toBeGreaterThanOrEqual(e.startedAt!);
    }
  });

  it("commits a task's end and its dependent's start in one transaction, before the dependent runs", async () => {
    const batches: StateBatch[] = [];
    const commit = store.commit.bind(store);
    store.commit = async (batch) => {
      await commit(batch);
      batches.push(batch);
    };
    const statusesIn = (batch: StateBatch) => new Map((batch.executionUpdates ?? []).map((u) => [u.uuid, u.patch.status]));
    let committedBeforeStart: boolean | undefined;
    scripts.set("b", async (ctx) => {
      const a = (await attempts(ctx.runUuid, "a"))[0]!;
      committedBeforeStart = batches.some((batch) => statusesIn(batch).get(a.uuid) === "succeeded" && statusesIn(batch).get(ctx.executionUuid) === "running");
      return { exitCode: 0 };
    });
    const engine = newEngine({ maxParallelTasks: 1 });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["a", "b"], { b: ["a"] }) })).uuid);
    expect(final.status).toBe("succeeded");
    expect(committedBeforeStart).toBe(true);
  });

  it("never runs more tasks at once than the parallel limit", async () => {
    let now = 0;
    let peak = 0;
    const ids = ["t1", "t2", "t3", "t4", "t5", "t6"];
    for (const id of ids) {
      scripts.set(id, async () => {
        peak = Math.max(peak, ++now);
        await sleep(30);
        now--;
        return { exitCode: 0 };
      });
    }
    const engine = newEngine({ maxParallelTasks: 2 });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(ids) })).uuid);
    expect(final.status).toBe("succeeded");
    expect(peak).toBe(2);
  });
});

describe("failure, can_fail and skipping", () => {
  it("skips a dependent of a failed task, runs one that allows the failure, and fails the run", async () => {
    scripts.set("a", async () => {
      throw new TaskFailure("boom", { exitCode: 3, retryable: false });
    });
    const engine = newEngine();
    const p = pipeline(["a", "tolerant", "strict", "after-strict"], {
      tolerant: [{ id: "a", can_fail: true }],
      strict: ["a"],
      "after-strict": [{ id: "strict", can_fail: true }],
    });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    const [a] = await attempts(final.uuid, "a");
    expect(a).toMatchObject({ status: "failed", exitCode: 3, message: "boom" });
    expect((await attempts(final.uuid, "tolerant"))[0]!.status).toBe("succeeded");
    const [strict] = await attempts(final.uuid, "strict");
    expect(strict!.status).toBe("skipped");
    expect(strict!.message).toContain("dependency 'a' ended failed");
    // can_fail tolerates any non-success of the dependency, a skip included.
    expect((await attempts(final.uuid, "after-strict"))[0]!.status).toBe("succeeded");
    expect(final.status).toBe("failed");
    expect(final.message).toContain("strict (skipped)");
  });

  it("succeeds when every dependent of the failed task allows it to fail", async () => {
    scripts.set("a", async () => {
      throw new TaskFailure("expected", { retryable: false });
    });
    const engine = newEngine();
    const final = await engine.waitForRun(
      (await engine.startRun({ pipeline: pipeline(["a", "b"], { b: [{ id: "a", can_fail: true }] }) })).uuid,
    );
    expect(final.status).toBe("succeeded");
  });

  it("skips a dependent as soon as a dependency it needs fails, while its other dependencies still run", async () => {
    const engine = newEngine();
    let seen = "";
    const skipped = new Promise<string>((resolve) =>
      engine.on("execution", (e) => {
        if (e.taskId === "join" && e.status === "skipped") resolve("skipped while slow ran");
      }),
    );
    scripts.set("fails", async () => {
      throw new TaskFailure("broke", { retryable: false });
    });
    scripts.set("slow", async () => {
      seen = await Promise.race([skipped, sleep(3000).then(() => "not skipped while slow ran")]);
      return { exitCode: 0 };
    });
    // "slow" comes first in depends_on: the join must not wait for it to learn that it cannot run.
    const p = pipeline(["slow", "fails", "join"], { join: ["slow", "fails"] });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(seen).toBe("skipped while slow ran");
    expect((await attempts(final.uuid, "slow"))[0]!.status).toBe("succeeded");
    expect((await attempts(final.uuid, "join"))[0]).toMatchObject({ status: "skipped", message: "skipped: dependency 'fails' ended failed" });
    expect(final.status).toBe("failed");
  });

  it("fails the run when a leaf task fails", async () => {
    scripts.set("b", async () => {
      throw new TaskFailure("leaf broke", { retryable: false });
    });
    const engine = newEngine();
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["a", "b"], { b: ["a"] }) })).uuid);
    expect(final).toMatchObject({ status: "failed" });
    expect(final.message).toContain("b (failed)");
  });
});

describe("conditions", () => {
  const status = (o: Record<string, string>) => (async (ctx: TaskExecutionContext) => {
    for (const [name, value] of Object.entries(o)) await writeFile(join(ctx.paths.outputs, name), value);
    return { exitCode: 0 };
  }) as Script;

  it("skips a task whose conditions do not hold with 'conditions not met', skips its dependents, runs one that allows it, and succeeds", async () => {
    scripts.set("probe", status({ count: "3\n" }));
    const engine = newEngine();
    const p = pipeline(
      ["probe", "big", "after-big", "tolerant", "small"],
      { big: ["probe"], "after-big": ["big"], tolerant: [{ id: "big", can_fail: true }], small: ["probe"] },
      {
        probe: { output: { count: { type: "number" } } },
        big: { conditions: [{ gt: [{ task_output: { task_id: "probe", output_id: "count" } }, 10] }] },
        small: { conditions: [{ le: [{ task_output: { task_id: "probe", output_id: "count" } }, 10] }, { eq: [{ args: "mode" }, "full"] }] },
      },
    );
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p, params: { mode: "full" } })).uuid);
    expect((await attempts(final.uuid, "big"))[0]).toMatchObject({ status: "skipped", message: "skipped: conditions not met", startedAt: null });
    expect((await attempts(final.uuid, "after-big"))[0]).toMatchObject({ status: "skipped", message: "skipped: dependency 'big' ended skipped" });
    expect((await attempts(final.uuid, "tolerant"))[0]!.status).toBe("succeeded");
    expect((await attempts(final.uuid, "small"))[0]!.status).toBe("succeeded");
    expect(events.filter((e) => e.what === "start").map((e) => e.taskId).sort()).toEqual(["probe", "small", "tolerant"]);
    expect(final).toMatchObject({ status: "succeeded", message: null });
  });

  it("still fails a run where a task skipped by conditions sits beside a real failure", async () => {
    scripts.set("broken", async () => {
      throw new TaskFailure("broke", { retryable: false });
    });
    const engine = newEngine();
    const p = pipeline(["never", "broken", "join"], { join: ["never", "broken"] }, { never: { conditions: [{ eq: [1, 2] }] } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect((await attempts(final.uuid, "never"))[0]!.message).toBe("skipped: conditions not met");
    expect(final.status).toBe("failed");
    expect(final.message).toContain("broken (failed)");
    expect(final.message).not.toContain("never");
  });

  it("fails a task whose conditions cannot be evaluated, with the message naming both values, without running or retrying it", async () => {
    scripts.set("probe", status({ word: "ten" }));
    const engine = newEngine();
    const p = pipeline(["probe", "check", "after"], { check: ["probe"], after: ["check"] }, {
      probe: { output: { word: { type: "string" } } },
      check: { execution_profile: { max_retries: 3, retry_delay: 0 }, conditions: [{ gt: [{ task_output: { task_id: "probe", output_id: "word" } }, 5] }] },
    });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    const checks = await attempts(final.uuid, "check");
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: "failed", startedAt: null });
    expect(checks[0]!.message).toBe('conditions could not be evaluated: conditions[0].gt: cannot order string "ten" and number 5 (gt compares two numbers or two strings)');
    expect((await attempts(final.uuid, "after"))[0]!.status).toBe("skipped");
    expect(events.some((e) => e.taskId === "check")).toBe(false);
    expect(final.status).toBe("failed");
  });
});

describe("retry from failure", () => {
  it("reuses a succeeded task's sealed outputs, sealed again for the new execution, so a dependent that runs again gets the real value", async () => {
    const secret = "hunter2-very-secret";
    const received: (string | undefined)[] = [];
    let useFails = true;
    scripts.set("make", async (ctx) => ({ exitCode: 0, outputs: { auth: `Bearer ${ctx.inputs.PW}` } }));
    scripts.set("use", async (ctx) => {
      received.push(ctx.inputs.AUTH);
      if (useFails) throw new TaskFailure("not yet", { retryable: false });
      return { exitCode: 0 };
    });
    const engine = newEngine({ secrets: { pw: secret }, outputSealer });
    const p = pipeline(["make", "use"], { use: ["make"] }, {
      make: { input: { PW: { type: "string", value_from: { secret: "pw" } } }, output: { auth: { type: "string" } } },
      use: { input: { AUTH: { type: "string", value_from: { task_output: { task_id: "make", output_id: "auth" } } } } },
    });
    const failed = await engine.waitForRun((await engine.startRun({ pipeline: p, params: { x: "1" } })).uuid);
    expect(failed.status).toBe("failed");
    useFails = false;
    const retry = await engine.retryRun(failed, {});
    expect(retry).toMatchObject({ retryOf: failed.uuid, trigger: "retry", params: { x: "1" } });
    const final = await engine.waitForRun(retry.uuid);
    expect(final.status).toBe("succeeded");
    expect(events.filter((e) => e.what === "start").map((e) => e.taskId)).toEqual(["make", "use", "use"]);
    expect(received).toEqual([`Bearer ${secret}`, `Bearer ${secret}`]);
    const [made] = await attempts(failed.uuid, "make");
    const [reused] = await attempts(final.uuid, "make");
    expect(reused).toMatchObject({ status: "succeeded", reusedFrom: made!.uuid, outputs: { auth: "Bearer ***" } });
    expect(JSON.parse(open(dataKey, reused!.sealedOutputs!, `outputs:${reused!.uuid}`))).toEqual({ auth: `Bearer ${secret}` });
  });

  it("refuses to retry a run that has not ended or that succeeded", async () => {
    const engine = newEngine();
    scripts.set("slow", untilAborted);
    const running = await engine.startRun({ pipeline: pipeline(["slow"]) });
    await expect(engine.retryRun(running, {})).rejects.toThrow(/has not ended \(it is running\)/);
    await engine.cancelRun(running.uuid);
    const cancelled = await engine.waitForRun(running.uuid);
    expect(cancelled.status).toBe("cancelled");
    scripts.set("slow", async () => ({ exitCode: 0 }));
    const done = await engine.waitForRun((await engine.retryRun(cancelled, {})).uuid);
    expect(done.status).toBe("succeeded");
    await expect(engine.retryRun(done, {})).rejects.toThrow(/succeeded: there is nothing to retry/);
  });
});

describe("retries", () => {
  it("retries a failing task up to max_retries with a fixed delay, then succeeds", async () => {
    scripts.set("flaky", async (ctx) => {
      if (ctx.attempt < 3) throw new TaskFailure(`attempt ${ctx.attempt} failed`, { exitCode: 1 });
      return { exitCode: 0 };
    });
    const engine = newEngine();
    const p = pipeline(["flaky"], {}, {}, { execution_profile: { max_retries: 2, retry_policy: "fixed", retry_delay: 0.05 } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    const all = await attempts(final.uuid, "flaky");
    expect(all.map((e) => e.status)).toEqual(["failed", "failed", "succeeded"]);
    expect(all[1]!.startedAt! - all[0]!.endedAt!).toBeGreaterThanOrEqual(45);
  });

  it("stores each attempt's resource usage on that attempt, a failed one's too", async () => {
    const usage = (cpuSeconds: number) => ({ cpuSeconds, peakMemoryBytes: 1024, readBytes: 0, writtenBytes: 2048 });
    scripts.set("measured", async (ctx) => {
      await ctx.recordUsage(usage(ctx.attempt));
      if (ctx.attempt === 1) throw new TaskFailure("first attempt failed", { exitCode: 1 });
      return { exitCode: 0 };
    });
    const engine = newEngine();
    const p = pipeline(["measured", "unmeasured"], {}, {}, { execution_profile: { max_retries: 1, retry_policy: "fixed", retry_delay: 0.01 } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect((await attempts(final.uuid, "measured")).map((e) => e.usage)).toEqual([usage(1), usage(2)]);
    expect((await attempts(final.uuid, "unmeasured"))[0]!.usage).toBeNull();
  });

  it("doubles the delay with exponential_backoff and stops after max_retries", async () => {
    scripts.set("bad", async () => {
      throw new TaskFailure("always fails", { exitCode: 2 });
    });
    const engine = newEngine();
    const p = pipeline(["bad"], {}, { bad: { execution_profile: { max_retries: 2, retry_policy: "exponential_backoff", retry_delay: 0.05 } } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("failed");
    const all = await attempts(final.uuid, "bad");
    expect(all).toHaveLength(3);
    const firstGap = all[1]!.notBefore! - all[0]!.endedAt!;
    const secondGap = all[2]!.notBefore! - all[1]!.endedAt!;
    expect(firstGap).toBeGreaterThanOrEqual(45);
    expect(secondGap).toBeGreaterThanOrEqual(95);
  });

  it("does not retry with retry_policy none, nor a failure marked not retryable", async () => {
    scripts.set("once", async () => {
      throw new TaskFailure("no retry policy");
    });
    scripts.set("fatal", async () => {
      throw new TaskFailure("not retryable", { retryable: false });
    });
    const engine = newEngine();
    const p = pipeline(["once", "fatal"], {}, {
      once: { execution_profile: { max_retries: 3, retry_policy: "none" } },
      fatal: { execution_profile: { max_retries: 3, retry_policy: "fixed", retry_delay: 0 } },
    });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(await attempts(final.uuid, "once")).toHaveLength(1);
    expect(await attempts(final.uuid, "fatal")).toHaveLength(1);
  });
});

describe("timeouts and cancellation", () => {
  it("kills an attempt past max_exec_time and records timed_out, retrying it", async () => {
    let aborted = 0;
    scripts.set("slow", async (ctx) => {
      try {
        return await untilAborted(ctx);
      } finally {
        aborted++;
      }
    });
    const engine = newEngine();
    const p = pipeline(["slow"], {}, { slow: { execution_profile: { max_exec_time: 0.1, max_retries: 1, retry_policy: "fixed", retry_delay: 0 } } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("failed");
    const all = await attempts(final.uuid, "slow");
    expect(all.map((e) => e.status)).toEqual(["timed_out", "timed_out"]);
    expect(all[0]!.message).toContain("max_exec_time");
    expect(aborted).toBe(2);
  });

  it("cancels a run: running tasks are stopped, nothing new starts", async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    scripts.set("long", async (ctx) => {
      started();
      return untilAborted(ctx);
    });
    const engine = newEngine();
    const run = await engine.startRun({ pipeline: pipeline(["long", "next"], { next: ["long"] }) });
    await running;
    await engine.cancelRun(run.uuid);
    const final = await engine.waitForRun(run.uuid);
    expect(final.status).toBe("cancelled");
    expect((await attempts(run.uuid, "long"))[0]!.status).toBe("cancelled");
    expect((await attempts(run.uuid, "next"))[0]!.status).toBe("cancelled");
    expect(events.some((e) => e.taskId === "next")).toBe(false);
  });
});

describe("inputs and outputs", () => {
  it("keeps what an attempt left in its outbox as its results, and makes no results folder for one that left nothing", async () => {
    scripts.set("writes", async (ctx) => {
      await mkdir(join(ctx.paths.outbox, "sub"));
      await writeFile(join(ctx.paths.outbox, "sub", "r.txt"), "result\n");
      return { exitCode: 0 };
    });
    let inbox = "";
    let inputs = "";
    let mode = 0;
    scripts.set("quiet", async (ctx) => {
      inbox = ctx.paths.inbox;
      inputs = ctx.paths.inputs;
      mode = (await stat(inputs)).mode & 0o777;
      return { exitCode: 0 };
    });
    const engine = newEngine();
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["writes", "quiet"], { quiet: ["writes"] }) })).uuid);
    expect(final.status).toBe("succeeded");
    expect(await readFile(join(attemptResultsDir(dataDir, final.uuid, "writes", 1), "sub", "r.txt"), "utf8")).toBe("result\n");
    expect(await readdir(runResultsDir(dataDir, final.uuid))).toEqual(["writes"]);
    // Without attachments every task's inbox, and without inputs its inputs folder, is the run's one empty, read-only folder.
    const empty = join(runDir(dataDir, final.uuid), ".empty");
    expect([inbox, inputs]).toEqual([empty, empty]);
    expect(mode).toBe(0o555);
  });

  describe("a task's links are never followed", () => {
    const SECRET = "server-only-secret-key-material";
    let secretDir: string;
    beforeEach(async () => {
      // Outside the run's folders, as /etc or DATA_DIR/secret.key are.
      secretDir = join(dataDir, "server-secret");
      await mkdir(secretDir);
      await writeFile(join(secretDir, "secret.key"), SECRET);
    });

    /** Everything the store holds about a run: outputs, messages, logs. */
    async function everythingStored(runUuid: RunId): Promise<string> {
      const execs = await store.listExecutions(runUuid);
      const logs = await Promise.all(execs.map((e) => store.readLogs(e.uuid)));
      return JSON.stringify([await store.getRun(runUuid), execs, logs]);
    }

    const cases: { name: string; output: string; message: string; plant: (outputs: string) => Promise<void> }[] = [
      { name: "a link to a file", output: "x", message: "output 'x' is a symbolic link; outputs must be regular files", plant: (o) => symlink(join(secretDir, "secret.key"), join(o, "x")) },
      { name: "a relative link", output: "x", message: "output 'x' is a symbolic link; outputs must be regular files", plant: (o) => symlink("../../../../server-secret/secret.key", join(o, "x")) },
      { name: "a link to a folder", output: "x", message: "output 'x' is a symbolic link; outputs must be regular files", plant: (o) => symlink(secretDir, join(o, "x")) },
      { name: "a named pipe", output: "x", message: "output 'x' is a named pipe; outputs must be regular files", plant: async (o) => void execFileSync("mkfifo", [join(o, "x")]) },
      {
        name: "an outputs folder replaced by a link to a folder",
        output: "secret.key",
        message: "the outputs folder is a symbolic link, not a folder; outputs must be regular files in it",
        plant: async (o) => {
          await rm(o, { recursive: true });
          await symlink(secretDir, o);
        },
      },
    ];
    for (const { name, output, message, plant } of cases) {
      it(`fails an attempt that hands back ${name} as an output, naming it, and passes the target to no one`, async () => {
        scripts.set("produce", async (ctx) => {
          await writeFile(join(ctx.paths.outputs, "fine"), "a regular output");
          await plant(ctx.paths.outputs);
          return { exitCode: 0 };
        });
        let consumed = false;
        scripts.set("consume", async () => {
          consumed = true;
          return { exitCode: 0 };
        });
        const engine = newEngine();
        const p = pipeline(["produce", "consume"], { consume: ["produce"] }, {
          produce: { execution_profile: { max_retries: 2, retry_policy: "fixed", retry_delay: 0.01 }, output: { [output]: { type: "string" } } },
          consume: { input: { IN: { type: "string", value_from: { task_output: { task_id: "produce", output_id: output } } } } },
        });
        const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
        expect(final.status).toBe("failed");
        // Not retried: the task would hand back the same link.
        const tries = await attempts(final.uuid, "produce");
        expect(tries.map((e) => [e.status, e.message])).toEqual([["failed", message]]);
        expect(consumed).toBe(false);
        expect(await everythingStored(final.uuid)).not.toContain(SECRET);
      });
    }

    it("does not keep an outbox replaced by a link as results, and says why in the attempt's log", async () => {
      scripts.set("swap", async (ctx) => {
        await rm(ctx.paths.outbox, { recursive: true });
        await symlink(secretDir, ctx.paths.outbox);
        return { exitCode: 0 };
      });
      const engine = newEngine();
      const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["swap"]) })).uuid);
      expect(final.status).toBe("succeeded");
      expect(existsSync(runResultsDir(dataDir, final.uuid))).toBe(false);
      const [exec] = await attempts(final.uuid, "swap");
      const lines = (await store.readLogs(exec!.uuid)).map((l) => l.line);
      expect(lines).toContainEqual(expect.stringContaining("'outbox' is a symbolic link; links are never followed"));
      expect(await everythingStored(final.uuid)).not.toContain(SECRET);
      // The target was neither emptied into results nor changed.
      expect(await readFile(join(secretDir, "secret.key"), "utf8")).toBe(SECRET);
    });
  });

  it("has the next task's folders made while the task before it runs, and hands them to it", async () => {
    let madeWhileRunning: string[] = [];
    scripts.set("first", async (ctx) => {
      await ctx.started("pid-1");
      // The engine makes them while this one "runs" (in a later turn): it runs until they are there.
      await vi.waitFor(async () => {
        madeWhileRunning = await readdir(join(runDir(dataDir, ctx.runUuid), "second@1")).catch(() => []);
        expect(madeWhileRunning).toHaveLength(4);
      }, { timeout: 10_000, interval: 5 });
      return { exitCode: 0 };
    });
    let paths: AttemptPaths | undefined;
    scripts.set("second", async (ctx) => ((paths = ctx.paths), { exitCode: 0 }));
    const engine = newEngine();
    const p = pipeline(["first", "second"], { second: ["first"] }, { second: { input: { N: { type: "string", value: "7" } } } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    // A function attempt's folders, with those its handler makes.
    expect(madeWhileRunning.sort()).toEqual(["inputs", "outbox", "outputs", "work"]);
    const root = join(runDir(dataDir, final.uuid), "second@1");
    expect(paths).toEqual({ root, inputs: join(root, "inputs"), outputs: join(root, "outputs"), outbox: join(root, "outbox"), inbox: join(runDir(dataDir, final.uuid), ".empty") });
    expect(await readFile(join(root, "inputs", "N"), "utf8")).toBe("7");
  });

  it("hands the folders of an attempt that left them empty to a later attempt of the run, its outputs recorded first", async () => {
    const seen = new Map<string, { root: string; inode: number; outputs: string[] }>();
    const hostTask = (leave?: string) => async (ctx: TaskExecutionContext): Promise<TaskOutcome> => {
      seen.set(ctx.task.id, { root: ctx.paths.root, inode: (await stat(ctx.paths.root)).ino, outputs: await readdir(ctx.paths.outputs) });
      // As a process-based task does: the next task's folders are made ahead from here on,
      // and this one "runs" until they are there.
      await ctx.started(`pid-${ctx.task.id}`, { reattachable: false });
      const next = { a: "b", b: "c", c: "d" }[ctx.task.id];
      if (next !== undefined) await vi.waitFor(() => expect(existsSync(join(runDir(dataDir, ctx.runUuid), `${next}@1`))).toBe(true), { timeout: 10_000, interval: 5 });
      await writeFile(join(ctx.paths.outputs, "out"), `from ${ctx.task.id}`);
      if (leave !== undefined) await writeFile(join(ctx.paths.root, leave), "");
      return { exitCode: 0, leftNothingRunning: true };
    };
    for (const id of ["a", "b", "c", "d"]) scripts.set(id, hostTask(id === "b" ? "work/scratch.txt" : undefined));
    const host = { execution_profile: { runtime: "host" } };
    const engine = newEngine({ maxParallelTasks: 1, runtimes: { ...noRuntimes, host: new FakeRuntime("host") } });
    const p = pipeline(["a", "b", "c", "d"], { b: ["a"], c: ["b"], d: ["c"] }, { a: host, b: host, c: host, d: host });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    // c's folders were made while b ran, from a's; b left a file in its work folder, so d got new ones.
    expect(seen.get("c")!.inode).toBe(seen.get("a")!.inode);
    expect(seen.get("c")!.root).toBe(join(runDir(dataDir, final.uuid), "c@1"));
    expect(seen.get("c")!.outputs).toEqual([]);
    expect(new Set(["a", "b", "d"].map((id) => seen.get(id)!.inode)).size).toBe(3);
    for (const id of ["a", "b", "c", "d"]) expect((await attempts(final.uuid, id))[0]!.outputs).toEqual({ out: `from ${id}` });
  });

  it("hands on no folders of a task whose process may have left something running, of a container task, where working folders are kept, or with results or an unrecorded output", async () => {
    const inodes = new Map<string, number>();
    const record = (outcome: TaskOutcome, leave?: string, size = 0) => async (ctx: TaskExecutionContext): Promise<TaskOutcome> => {
      inodes.set(ctx.task.id, (await stat(ctx.paths.root)).ino);
      await ctx.started(`pid-${ctx.task.id}`, { reattachable: false });
      await sleep(20);
      if (leave !== undefined) await writeFile(join(ctx.paths.root, leave), Buffer.alloc(size));
      return outcome;
    };
    const chainOf = (extra: object) => pipeline(["a", "b", "c"], { b: ["a"], c: ["b"] }, { a: extra, b: extra, c: extra });
    const host = { execution_profile: { runtime: "host" } };
    const cases: { name: string; outcome: TaskOutcome; extra: object; keep?: boolean; leave?: string; size?: number }[] = [
      { name: "something running", outcome: { exitCode: 0 }, extra: host },
      { name: "container", outcome: { exitCode: 0, leftNothingRunning: true }, extra: {} },
      { name: "kept", outcome: { exitCode: 0, leftNothingRunning: true }, extra: host, keep: true },
      { name: "results in the outbox", outcome: { exitCode: 0, leftNothingRunning: true }, extra: host, leave: "outbox/result.txt" },
      { name: "an output too large to record", outcome: { exitCode: 0, leftNothingRunning: true }, extra: host, leave: "outputs/big", size: 1024 * 1024 + 1 },
    ];
    for (const { name, outcome, extra, keep, leave, size } of cases) {
      inodes.clear();
      for (const id of ["a", "b", "c"]) scripts.set(id, record(outcome, leave, size));
      config = { ...config, keepWorkDirs: keep ?? false };
      const engine = newEngine({ maxParallelTasks: 1, runtimes: { ...noRuntimes, host: new FakeRuntime("host") } });
      const final = await engine.waitForRun((await engine.startRun({ pipeline: chainOf(extra) })).uuid);
      expect(final.status, name).toBe("succeeded");
      expect(new Set(inodes.values()).size, name).toBe(3);
    }
  });

  it("resolves value, env, params, secrets and upstream outputs", async () => {
    scripts.set("produce", async (ctx) => {
      await writeFile(join(ctx.paths.outputs, "greeting"), "hello from produce");
      return { exitCode: 0, outputs: { extra: "42" } };
    });
    let seen: Record<string, string> = {};
    let fileInput = "";
    scripts.set("consume", async (ctx) => {
      seen = ctx.inputs;
      fileInput = await readFile(join(ctx.paths.inputs, "FROM_TASK"), "utf8");
      return { exitCode: 0 };
    });
    const engine = newEngine({ secrets: { db_password: "s3cret" } });
    const p = pipeline(["produce", "consume"], { consume: ["produce"] }, {
      produce: { output: { greeting: { type: "string" }, extra: { type: "string" } } },
      consume: {
        input: {
          LITERAL: { type: "string", value: "lit" },
          NUMBER: { type: "number", value: 7 },
          FROM_ENV: { type: "string", value_from: { env: "REGION" } },
          FROM_PARAM: { type: "string", value_from: { params: "size" } },
          FROM_SECRET: { type: "string", value_from: { secret: "db_password" } },
          FROM_TASK: { type: "string", value_from: { task_output: { task_id: "produce", output_id: "greeting" } } },
          FROM_EXTRA: { type: "string", value_from: { task_output: { task_id: "produce", output_id: "extra" } } },
        },
      },
    }, { env: { REGION: "eu-west" } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p, params: { size: "large" } })).uuid);
    expect(final.status).toBe("succeeded");
    expect(seen).toEqual({
      LITERAL: "lit",
      NUMBER: "7",
      FROM_ENV: "eu-west",
      FROM_PARAM: "large",
      FROM_SECRET: "s3cret",
      FROM_TASK: "hello from produce",
      FROM_EXTRA: "42",
    });
    expect(fileInput).toBe("hello from produce");
    expect((await attempts(final.uuid, "produce"))[0]!.outputs).toEqual({ greeting: "hello from produce", extra: "42" });
  });

  it("masks the secrets a task received in its logs and outputs, also split across lines or base64-encoded", async () => {
    const secret = "hunter2-very-secret";
    scripts.set("leak", async (ctx) => {
      ctx.log("stdout", `the password is ${ctx.inputs.PW}!`);
      ctx.log("stdout", `in base64: ${Buffer.from(ctx.inputs.PW!).toString("base64")}`);
      ctx.log("stderr", `split: ${ctx.inputs.PW!.slice(0, 9)}`);
      ctx.log("stderr", `${ctx.inputs.PW!.slice(9)} (end)`);
      return { exitCode: 0, outputs: { echo: `got ${ctx.inputs.PW}` } };
    });
    const engine = newEngine({ secrets: { pw: secret } });
    const p = pipeline(["leak"], {}, { leak: { input: { PW: { type: "string", value_from: { secret: "pw" } } } } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    const [exec] = await attempts(final.uuid, "leak");
    const lines = (await store.readLogs(exec!.uuid)).map((l) => `${l.stream}:${l.line}`);
    // Each stream is masked on its own, so only the order within a stream is fixed.
    expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual(["stdout:the password is ***!", "stdout:in base64: ***"]);
    expect(lines.filter((l) => l.startsWith("stderr:"))).toEqual([expect.stringMatching(/^stderr:split: /), expect.stringMatching(/^stderr:.*\(end\)$/)]);
    const everything = JSON.stringify(lines) + JSON.stringify(exec!.outputs);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(9));
    expect(everything).not.toContain(secret.slice(0, 9));
    expect(exec!.outputs).toEqual({ echo: "got ***" });
  });

  it("hands a dependent the output's real value while the output is shown and stored masked (sealed for a restart)", async () => {
    const secret = "hunter2-very-secret";
    let received: string | undefined;
    scripts.set("make", async (ctx) => ({ exitCode: 0, outputs: { auth: `Bearer ${ctx.inputs.PW}`, plain: "nothing secret" } }));
    scripts.set("use", async (ctx) => {
      received = ctx.inputs.AUTH;
      return { exitCode: 0 };
    });
    const lookups: string[][] = [];
    const engine = newEngine({ secrets: { pw: secret }, outputSealer, secretLookups: lookups });
    const p = pipeline(["make", "use"], { use: ["make"] }, {
      make: { input: { PW: { type: "string", value_from: { secret: "pw" } } }, output: { auth: { type: "string" } } },
      use: { input: { AUTH: { type: "string", value_from: { task_output: { task_id: "make", output_id: "auth" } } } } },
    });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    expect(received).toBe(`Bearer ${secret}`);
    expect(lookups).toEqual([["pw", "local", "test-pipeline"]]);
    const [made] = await attempts(final.uuid, "make");
    expect(made!.outputs).toEqual({ auth: "Bearer ***", plain: "nothing secret" });
    expect(made!.sealedOutputs).toMatch(/^v1\./);
    expect(made!.sealedOutputs).not.toContain(secret);
    // What a restarted engine hands the dependents (engine.activate reads it so)
    expect(JSON.parse(open(dataKey, made!.sealedOutputs!, `outputs:${made!.uuid}`))).toEqual({ auth: `Bearer ${secret}`, plain: "nothing secret" });
  });

  it("keeps no sealed copy when masking changed no output", async () => {
    scripts.set("make", async () => ({ exitCode: 0, outputs: { plain: "nothing secret" } }));
    const engine = newEngine({ secrets: { pw: "hunter2-very-secret" }, outputSealer });
    const p = pipeline(["make"], {}, { make: { input: { PW: { type: "string", value_from: { secret: "pw" } } } } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    const [made] = await attempts(final.uuid, "make");
    expect(made!.outputs).toEqual({ plain: "nothing secret" });
    expect(made!.sealedOutputs ?? null).toBeNull();
  });

  it("masks a secret in the results an attempt keeps from its outbox, in every form, leaving other files as they were", async () => {
    const secret = "hunter2-very-secret";
    const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    scripts.set("write", async (ctx) => {
      const pw = ctx.inputs.PW!;
      await mkdir(join(ctx.paths.outbox, "sub"), { recursive: true });
      await writeFile(join(ctx.paths.outbox, "report.txt"), `plain ${pw}\nhex ${Buffer.from(pw).toString("hex")}\nrev ${[...pw].reverse().join("")}\n`);
      await writeFile(join(ctx.paths.outbox, "sub", "b64.txt"), Buffer.from(`user:${pw}`).toString("base64"));
      await writeFile(join(ctx.paths.outbox, "data.bin"), binary);
      return { exitCode: 0 };
    });
    const engine = newEngine({ secrets: { pw: secret } });
    const p = pipeline(["write"], {}, { write: { input: { PW: { type: "string", value_from: { secret: "pw" } } } } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    const dir = attemptResultsDir(dataDir, final.uuid, "write", 1);
    expect(await readFile(join(dir, "report.txt"), "utf8")).toBe("plain ***\nhex ***\nrev ***\n");
    expect(await readFile(join(dir, "sub", "b64.txt"), "utf8")).toMatch(/^dXNlcj[A-Za-z0-9+/]?\*\*\*[A-Za-z0-9+/=]{0,3}$/); // "user:" and a boundary character stay
    expect((await readFile(join(dir, "data.bin"))).equals(binary)).toBe(true);
    expect(await readdir(dir)).toEqual(["data.bin", "report.txt", "sub"]);
  });

  it("gives a task that asks for it an API token for its run, masked in its logs", async () => {
    const granted: string[] = [];
    const apiAccess: RunApiAccess = {
      grant: async (run) => (granted.push(run.uuid), { url: "http://127.0.0.1:1/v3/workflows", token: "tok-for-this-run-only" }),
    };
    const seen: Record<string, string | undefined> = {};
    scripts.set("asks", async (ctx) => {
      seen.asks = ctx.api?.token;
      ctx.log("stdout", `token ${ctx.api?.token}`);
      return { exitCode: 0 };
    });
    scripts.set("plain", async (ctx) => ((seen.plain = ctx.api?.token ?? "none"), { exitCode: 0 }));
    const engine = newEngine({ apiAccess });
    const p = pipeline(["asks", "plain"], {}, { asks: { inject_api_token: true } });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    expect(final.status).toBe("succeeded");
    expect(granted).toEqual([final.uuid]);
    expect(seen).toEqual({ asks: "tok-for-this-run-only", plain: "none" });
    const [exec] = await attempts(final.uuid, "asks");
    expect((await store.readLogs(exec!.uuid)).map((l) => l.line)).toEqual(["token ***"]);
  });

  it("fails a task that asks for an API token where there is no API, saying why", async () => {
    scripts.set("asks", async () => ({ exitCode: 0 }));
    const engine = newEngine();
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["asks"], {}, { asks: { inject_api_token: true } }) })).uuid);
    expect(final.status).toBe("failed");
    expect((await attempts(final.uuid, "asks"))[0]!.message).toMatch(/inject_api_token needs `cairn server`/);
  });

  it("fails a task whose input refers to a missing parameter, naming it, without retrying", async () => {
    const engine = newEngine();
    const p = pipeline(["t"], {}, {
      t: {
        input: { SIZE: { type: "string", value_from: { params: "size" } } },
        execution_profile: { max_retries: 3, retry_delay: 0 },
      },
    });
    const final = await engine.waitForRun((await engine.startRun({ pipeline: p })).uuid);
    const all = await attempts(final.uuid, "t");
    expect(all).toHaveLength(1);
    expect(all[0]!.message).toBe("input 'SIZE': the run parameter 'size' was not given");
  });

  it("keeps each attempt's log lines in the store, in order", async () => {
    scripts.set("talk", async (ctx) => {
      for (let i = 0; i < 500; i++) ctx.log(i % 2 ? "stderr" : "stdout", `line ${i}`);
      return { exitCode: 0 };
    });
    const engine = newEngine();
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["talk"]) })).uuid);
    const [exec] = await attempts(final.uuid, "talk");
    const lines = await store.readLogs(exec!.uuid);
    expect(lines.map((l) => l.line)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i}`));
    expect(lines[1]!.stream).toBe("stderr");
  });
});

describe("restart safety", () => {
  it("writes the handle of a process no restart can follow with the attempt's end, without waiting for it", async () => {
    let storedWhenStarted: string | null | undefined;
    scripts.set("host", async (ctx) => {
      await ctx.started("4242", { reattachable: false });
      storedWhenStarted = (await store.getExecution(ctx.executionUuid))!.runtimeHandle;
      return { exitCode: 0 };
    });
    const engine = newEngine();
    const final = await engine.waitForRun((await engine.startRun({ pipeline: pipeline(["host"]) })).uuid);
    expect(storedWhenStarted).toBeNull();
    expect((await attempts(final.uuid, "host"))[0]).toMatchObject({ status: "succeeded", runtimeHandle: "4242" });
  });

  it("re-attaches to an attempt that was running when the engine stopped", async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    scripts.set("a", async (ctx) => {
      await ctx.started("fake:1");
      started();
      return new Promise(() => {}); // the first engine never sees it end
    });
    const first = newEngine();
    const run = await first.startRun({ pipeline: pipeline(["a", "b"], { b: ["a"] }) });
    await running;
    await first.close();

    resumeScripts.set("a", async (ctx) => {
      await writeFile(join(ctx.paths.outputs, "done"), "yes");
      return { exitCode: 0 };
    });
    const second = newEngine();
    const taken = await second.recover();
    expect(taken.map((r) => r.uuid)).toEqual([run.uuid]);
    const final = await second.waitForRun(run.uuid);
    expect(final.status).toBe("succeeded");
    const a = await attempts(run.uuid, "a");
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ status: "succeeded", runtimeHandle: "fake:1", outputs: { done: "yes" } });
  });

  it("follows an attempt started under the earlier folder layout (runs/RUN/TASK/ATTEMPT) in that folder", async () => {
    let started!: (outputs: string) => void;
    const running = new Promise<string>((r) => (started = r));
    scripts.set("a", async (ctx) => {
      await ctx.started("fake:1");
      started(ctx.paths.outputs);
      return new Promise(() => {});
    });
    const first = newEngine();
    const run = await first.startRun({ pipeline: pipeline(["a"]) });
    const outputs = await running;
    await first.close();
    // As an earlier Cairn had made it, with what its container wrote.
    const earlier = join(runDir(dataDir, run.uuid), "a", "1");
    await rm(join(outputs, ".."), { recursive: true });
    await mkdir(join(earlier, "outputs"), { recursive: true });
    await writeFile(join(earlier, "outputs", "done"), "from before");

    let resumedIn = "";
    resumeScripts.set("a", async (ctx) => ((resumedIn = ctx.paths.root), { exitCode: 0 }));
    const second = newEngine();
    await second.recover();
    expect((await second.waitForRun(run.uuid)).status).toBe("succeeded");
    expect(resumedIn).toBe(earlier);
    expect((await attempts(run.uuid, "a"))[0]).toMatchObject({ status: "succeeded", outputs: { done: "from before" } });
  });

  it("retries an attempt it cannot follow again, without spending a retry", async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    scripts.set("a", async () => {
      started();
      return new Promise(() => {});
    });
    const first = newEngine();
    const run = await first.startRun({ pipeline: pipeline(["a"]) });
    await running;
    await first.close();

    scripts.set("a", async () => ({ exitCode: 0 }));
    const second = newEngine({ withResume: false });
    await second.recover();
    const final = await second.waitForRun(run.uuid);
    expect(final.status).toBe("succeeded");
    const a = await attempts(run.uuid, "a");
    expect(a.map((e) => e.status)).toEqual(["failed", "succeeded"]);
    expect(a[0]!.message).toMatch(/^interrupted:/);
  });
});

describe("submission policies and directives", () => {
  it("denies a second run while one is in progress when the policy says deny", async () => {
    scripts.set("a", async (ctx) => untilAborted(ctx));
    const engine = newEngine();
    const p = pipeline(["a"], {}, {}, { execution_profile: { duplicate_submission_policy: "deny" } });
    const first = await engine.startRun({ pipeline: p });
    await expect(engine.startRun({ pipeline: p })).rejects.toThrow(/already has a run in progress/);
    await engine.cancelRun(first.uuid);
    await engine.waitForRun(first.uuid);
  });

  it("cancels the run in progress when the policy says terminate", async () => {
    let calls = 0;
    scripts.set("a", async (ctx) => (++calls === 1 ? untilAborted(ctx) : { exitCode: 0 }));
    const engine = newEngine();
    const p = pipeline(["a"], {}, {}, { execution_profile: { duplicate_submission_policy: "terminate" } });
    const first = await engine.startRun({ pipeline: p });
    while (calls === 0) await sleep(5);
    const second = await engine.startRun({ pipeline: p });
    expect((await engine.waitForRun(first.uuid)).status).toBe("cancelled");
    expect((await engine.waitForRun(second.uuid)).status).toBe("succeeded");
  });

  it("starts nothing for a dry_run directive", async () => {
    const engine = newEngine();
    const run = await engine.startRun({ pipeline: pipeline(["a"]), directives: { dry_run: true } });
    expect(run.status).toBe("succeeded");
    expect(events).toHaveLength(0);
    expect(await store.listExecutions(run.uuid)).toHaveLength(0);
  });
});
