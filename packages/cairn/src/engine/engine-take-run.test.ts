import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { parsePipeline } from "../spec/index.js";
import type { TaskType } from "../spec/types.js";
import { createStore } from "../store/create-store.js";
import type { RunRecord, Store } from "../store/store.js";
import type { Runtimes, TaskHandler } from "../tasks/task-handler.js";
import { runDir } from "../workspace/attempt-files.js";
import { Engine } from "./engine.js";

/** The hand-over of an ended run to whoever archives it, with a real SQLite store. */

let dataDir: string;
let store: Store;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-engine-take-"));
  store = await createStore({ sqlitePath: join(dataDir, "cairn.db") });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

const writesAFile: TaskHandler = {
  type: "function",
  async run(ctx) {
    await writeFile(join(ctx.paths.outputs, "big"), "kept for the archiver");
    return { exitCode: 0 };
  },
};

function engine(takeRun?: (run: RunRecord) => void): Engine {
  return new Engine({
    store,
    config: loadConfig({ dataDir, keepWorkDirs: false }, {}),
    runtimes: { container: () => Promise.reject(new Error("none")), host: undefined as never },
    handlers: new Map<TaskType, TaskHandler>([["function", writesAFile]]),
    allowHostRuntime: true,
    ...(takeRun ? { takeRun } : {}),
  });
}

const pipeline = parsePipeline({ id: "p", archives: ["keep"], tasks: [{ id: "a", type: "function", runtime: "bash", code: Buffer.from("true").toString("base64") }] });

it("hands the ended run, already recorded, to takeRun and leaves its working folder", async () => {
  const taken: { run: RunRecord; stored: RunRecord | undefined; folder: boolean }[] = [];
  const e = engine((run) => {
    void (async () => taken.push({ run, stored: await store.getRun(run.uuid), folder: (await stat(runDir(dataDir, run.uuid))).isDirectory() }))();
  });
  const run = await e.startRun({ pipeline });
  expect((await e.waitForRun(run.uuid)).status).toBe("succeeded");
  await e.close();
  await new Promise((r) => setTimeout(r, 50));
  expect(taken).toHaveLength(1);
  expect(taken[0]!.run).toMatchObject({ uuid: run.uuid, status: "succeeded" });
  expect(taken[0]!.stored).toMatchObject({ status: "succeeded" });
  expect(taken[0]!.folder).toBe(true);
  expect((await stat(join(runDir(dataDir, run.uuid), "a@1", "outputs", "big"))).isFile()).toBe(true);
});

it("deletes the working folder itself when nobody takes the run", async () => {
  const e = engine();
  const run = await e.startRun({ pipeline });
  await e.waitForRun(run.uuid);
  await e.close();
  await expect(stat(runDir(dataDir, run.uuid))).rejects.toMatchObject({ code: "ENOENT" });
});
