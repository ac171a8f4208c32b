import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type CairnConfig } from "../config.js";
import type { RunId } from "../ids.js";
import { parsePipeline } from "../spec/index.js";
import type { TaskType } from "../spec/types.js";
import { createStore } from "../store/create-store.js";
import type { ExecutionRecord, Store } from "../store/store.js";
import type { Runtimes, TaskExecutionContext, TaskHandler, TaskOutcome } from "../tasks/task-handler.js";
import { Engine } from "./engine.js";
import { existsSync } from "node:fs";
import { attemptRoot } from "../workspace/attempt-files.js";

/**
 * A fan-out across a restart and a cancel, on a real SQLite store with a scripted handler
 * (the engine's own tests do the same): what a previous process left (items done, one
 * running, others queued) is taken over with max_parallel kept, and a cancel ends every item.
 */

type Script = (ctx: TaskExecutionContext) => Promise<TaskOutcome | undefined>;
const noRuntimes: Runtimes = { container: () => Promise.reject(new Error("no containers here")), host: undefined as never };

let dataDir: string;
let store: Store;
let config: CairnConfig;
let run: Script;
let resume: Script | undefined;
let running: number;
let mostAtOnce: number;
const engines: Engine[] = [];

function newEngine(): Engine {
  const counted = (script: () => Script) => async (ctx: TaskExecutionContext) => {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    try {
      return await script()(ctx);
    } finally {
      running--;
    }
  };
  // run() of a real handler never answers undefined (only resume may: "cannot follow it").
  const handler: TaskHandler = { type: "function", run: counted(() => run) as TaskHandler["run"], resume: counted(() => resume ?? (async () => undefined)) };
  const engine = new Engine({ store, config, runtimes: noRuntimes, handlers: new Map<TaskType, TaskHandler>([["function", handler]]), allowHostRuntime: true });
  engines.push(engine);
  return engine;
}

const pipeline = (items: unknown[], maxParallel: number) =>
  parsePipeline({
    id: "fan",
    tasks: [
      { id: "each", type: "function", runtime: "bash", code: Buffer.from("true").toString("base64"), for_each: { value: items, max_parallel: maxParallel }, output: { o: { type: "string" } } },
      { id: "after", type: "function", runtime: "bash", code: Buffer.from("true").toString("base64"), depends_on: [{ id: "each" }] },
    ],
  });

async function latest(runUuid: RunId): Promise<Map<string, ExecutionRecord>> {
  const found = new Map<string, ExecutionRecord>();
  for (const e of await store.listExecutions(runUuid)) if ((found.get(e.taskId)?.attempt ?? 0) < e.attempt) found.set(e.taskId, e);
  return found;
}

const untilAborted = (ctx: TaskExecutionContext) =>
  new Promise<never>((_, reject) => {
    if (ctx.signal.aborted) reject(ctx.signal.reason);
    ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
  });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-fan-out-life-"));
  config = { ...loadConfig({ dataDir, keepWorkDirs: false }, {}), maxParallelTasks: 4 };
  store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
  running = 0;
  mostAtOnce = 0;
  resume = undefined;
});
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("fan-out across a restart", () => {
  it("takes over the items a stopped process left: follows the running one, starts the queued ones, keeps the finished ones", async () => {
    let third!: () => void;
    const thirdRunning = new Promise<void>((r) => (third = r));
    run = async (ctx) => {
      if (ctx.inputs.ITEM === "c") {
        await ctx.started("fake:c");
        third();
        return new Promise(() => {}); // the first engine never sees it end
      }
      await writeFile(join(ctx.paths.outputs, "o"), `${ctx.inputs.ITEM}${ctx.inputs.ITEM_INDEX}`);
      return { exitCode: 0 };
    };
    const first = newEngine();
    const started = await first.startRun({ pipeline: pipeline(["a", "b", "c", "d", "e"], 1) });
    await thirdRunning;
    await first.close();
    const before = await latest(started.uuid);
    expect(["each", "each[0]", "each[1]", "each[2]", "each[3]", "each[4]"].map((id) => before.get(id)?.status)).toEqual(["running", "succeeded", "succeeded", "running", "queued", "queued"]);

    resume = async (ctx) => {
      await writeFile(join(ctx.paths.outputs, "o"), "c2 (resumed)");
      return { exitCode: 0 };
    };
    // The first engine's item "c" never ended in its eyes.
    running = 0;
    mostAtOnce = 0;
    const second = newEngine();
    await second.recover();
    const ended = await second.waitForRun(started.uuid);
    expect(ended.status, ended.message ?? "").toBe("succeeded");
    const after = await latest(started.uuid);
    expect(JSON.parse(after.get("each")!.outputs.o!)).toEqual(["a0", "b1", "c2 (resumed)", "d3", "e4"]);
    // Every item ran once (attempt 1), and max_parallel 1 held after the restart too.
    expect([...after.values()].filter((e) => e.taskId.startsWith("each[")).map((e) => e.attempt)).toEqual([1, 1, 1, 1, 1]);
    expect(mostAtOnce).toBe(1);
    expect(after.get("after")?.status).toBe("succeeded");
  });
});

describe("folders ahead", () => {
  it("makes the next items' folders while an item runs, as for the next tasks of a DAG", async () => {
    const seen: boolean[] = [];
    run = async (ctx) => {
      await ctx.started("fake:1");
      // The item's process "runs" a little, as a real one would: folders ahead are made meanwhile.
      await new Promise((r) => setTimeout(r, 30));
      if (ctx.task.id.startsWith("each[")) seen.push(existsSync(attemptRoot(dataDir, ctx.runUuid, `each[${Number(ctx.inputs.ITEM_INDEX) + 1}]`, 1)));
      return { exitCode: 0 };
    };
    const engine = newEngine();
    const started = await engine.startRun({ pipeline: pipeline(["a", "b", "c"], 1) });
    expect((await engine.waitForRun(started.uuid)).status).toBe("succeeded");
    // While items 0 and 1 ran, the folders of items 1 and 2 were there; item 2 has no next.
    expect(seen).toEqual([true, true, false]);
  });
});

describe("cancelling a fan-out", () => {
  it("cancels queued items, stops running ones, and ends the task and the run cancelled", async () => {
    let startedCount = 0;
    run = async (ctx) => {
      startedCount++;
      return untilAborted(ctx);
    };
    const engine = newEngine();
    const started = await engine.startRun({ pipeline: pipeline(Array.from({ length: 50 }, (_, i) => i), 3) });
    while (startedCount < 3) await new Promise((r) => setTimeout(r, 5));
    await engine.cancelRun(started.uuid);
    const ended = await engine.waitForRun(started.uuid);
    expect(ended.status).toBe("cancelled");
    const after = await latest(started.uuid);
    expect(after.get("each")?.status).toBe("cancelled");
    const items = [...after.values()].filter((e) => e.taskId.startsWith("each["));
    expect(items).toHaveLength(50);
    expect(items.every((e) => e.status === "cancelled")).toBe(true);
    expect(startedCount).toBe(3);
    expect(after.get("after")?.status).toBe("cancelled");
  });
});
