import { mkdir, mkdtemp, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newRunId, type RunId } from "../ids.js";
import { createStore } from "../store/create-store.js";
import type { RunRecord, RunStatus, Store } from "../store/store.js";
import { runDir } from "../workspace/run-dir.js";
import { stagingRoot } from "../workspace/run-inbox.js";
import { WorkDirCleaner } from "./work-dir-cleaner.js";

/** The grace period and the start-up sweep, over a real SQLite store and real folders. */
describe("WorkDirCleaner", () => {
  let dir: string;
  let dataDir: string;
  let store: Store;
  const cleaners: WorkDirCleaner[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-work-dirs-"));
    dataDir = join(dir, "data");
    store = await createStore({ sqlitePath: join(dir, "cairn.db") });
  });
  afterEach(async () => {
    for (const c of cleaners.splice(0)) c.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cleaner = (graceMs: number, keep = false) => {
    const c = new WorkDirCleaner({ dataDir, graceMs, keep });
    cleaners.push(c);
    return c;
  };
  const present = (uuid: string) => stat(runDir(dataDir, uuid)).then(() => true, () => false);

  async function run(status: RunStatus, endedAt: number | null): Promise<RunRecord> {
    const record: RunRecord = {
      uuid: newRunId(),
      pipelineId: "p",
      groupId: "lab",
      status,
      pipeline: { id: "p", tasks: [] },
      params: {},
      directives: {},
      createdAt: 1,
      startedAt: 1,
      endedAt,
      message: null,
      startedBy: null,
    };
    await store.commit({ newRuns: [record] });
    await mkdir(join(runDir(dataDir, record.uuid), "t@1", "outputs"), { recursive: true });
    return record;
  }

  it("deletes an ended run's folder at once without a grace period, and after it with one", async () => {
    const now = await run("succeeded", Date.now());
    await cleaner(0).release(now);
    expect(await present(now.uuid)).toBe(false);

    const later = await run("failed", Date.now());
    await cleaner(300).release(later);
    expect(await present(later.uuid)).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    expect(await present(later.uuid)).toBe(false);
  });

  it("keeps every folder with CAIRN_KEEP_WORK_DIRS", async () => {
    const ended = await run("succeeded", Date.now() - 60_000);
    const keeper = cleaner(0, true);
    await keeper.release(ended);
    await keeper.sweep(store);
    expect(await present(ended.uuid)).toBe(true);
  });

  it("at start-up deletes what a stopped process left once its grace passed, and only that", async () => {
    const old = await run("succeeded", Date.now() - 20 * 60_000);
    const recent = await run("cancelled", Date.now() - 100);
    const running = await run("running", null);
    const archiving = await run("failed", Date.now() - 20 * 60_000);
    await store.service.putRunArchive({ runUuid: archiving.uuid, archiveId: "a", status: "pending", attempts: 0, message: null, location: null, updatedAt: 1 });
    // A folder no run owns: one just made (another process may be about to record its run), one long abandoned.
    const fresh = newRunId();
    const abandoned = newRunId();
    await mkdir(runDir(dataDir, fresh), { recursive: true });
    await mkdir(runDir(dataDir, abandoned), { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(runDir(dataDir, abandoned), twoHoursAgo, twoHoursAgo);

    await cleaner(10 * 60_000).sweep(store);
    expect(await present(old.uuid)).toBe(false);
    expect(await present(abandoned)).toBe(false);
    for (const kept of [recent.uuid, running.uuid, archiving.uuid, fresh] as RunId[]) expect(await present(kept), kept).toBe(true);

    // The recent run's timer was scheduled by the sweep: with a short grace, it goes.
    await cleaner(50).sweep(store);
    await new Promise((r) => setTimeout(r, 150));
    expect(await present(recent.uuid)).toBe(false);
  });

  it("removes uploads a dead process left, and leaves a live one's alone", async () => {
    const root = stagingRoot(dataDir);
    // PID 2^22 + 1 is above Linux's pid_max: no process has it.
    const dead = join(root, `${2 ** 22 + 1}-x`);
    const live = join(root, `${process.ppid}-y`);
    await mkdir(dead, { recursive: true });
    await mkdir(live, { recursive: true });
    await cleaner(0).sweep(store);
    await expect(stat(dead)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await stat(live)).isDirectory()).toBe(true);
  });
});
