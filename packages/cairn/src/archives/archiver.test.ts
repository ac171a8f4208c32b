import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attemptRoot, runDir } from "../workspace/attempt-files.js";
import { attemptResultsDir } from "../workspace/result-files.js";
import { newExecutionId, newRunId, type RunId } from "../ids.js";
import { createStore } from "../store/create-store.js";
import type { SystemRecord } from "../store/service-store.js";
import type { ExecutionRecord, RunRecord, Store } from "../store/store.js";
import { ArchivingError, type ArchiveTarget } from "./archive-target.js";
import { Archiver } from "./archiver.js";
import { systemConnector, type SystemConnector } from "./system-connector.js";

/** The archiver over a real SQLite store and a real local system; flaky systems are fakes wrapping the real one. */
describe("Archiver", () => {
  let dir: string;
  let store: Store;
  let systemsRoot: string;
  let dataDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-archiver-"));
    store = await createStore({ sqlitePath: join(dir, "cairn.db") });
    systemsRoot = join(dir, "systems");
    dataDir = join(dir, "data");
    const now = Date.now();
    await store.service.createGroup({ id: "lab", uuid: "g-uuid", owner: "ada", createdAt: now }, []);
    const system: SystemRecord = { uuid: "s-uuid", groupId: "lab", id: "disk", owner: "ada", description: null, settings: { type: "local", rootDir: "lab" }, createdAt: now };
    await store.service.createSystem(system);
    await store.service.createArchive({ uuid: "a-uuid", groupId: "lab", id: "keep", owner: "ada", settings: { type: "system", systemId: "disk", archiveDir: "/workflows/archive/" }, createdAt: now });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const local = (): SystemConnector => systemConnector({ localSystemsRoot: systemsRoot, sshCredentials: async () => undefined });
  const archiver = (systems: SystemConnector, retryDelaysMs = [1, 1]) => new Archiver({ store, config: { dataDir, keepWorkDirs: false }, systems, retryDelaysMs });

  /** A finished run of two tasks: `greet` retried once with an output, a large output file and results, `later` skipped. */
  async function finishedRun(archives: string[]): Promise<RunRecord> {
    const uuid = newRunId();
    const run: RunRecord = {
      uuid,
      pipelineId: "p",
      groupId: "lab",
      status: "failed",
      pipeline: { id: "p", archives, tasks: [] },
      params: {},
      directives: {},
      createdAt: 1,
      startedAt: 1,
      endedAt: 2,
      message: "task 'later' was skipped",
      startedBy: "ada",
    };
    const exec = (taskId: string, attempt: number, status: ExecutionRecord["status"], outputs: Record<string, string>): ExecutionRecord => ({
      uuid: newExecutionId(), runUuid: uuid, taskId, attempt, status, createdAt: 1, notBefore: null, startedAt: 1, endedAt: 2, exitCode: null, message: null, outputs, runtimeHandle: null,
    });
    const first = exec("greet", 1, "failed", {});
    const second = exec("greet", 2, "succeeded", { message: "hello\n" });
    const skipped = exec("later", 1, "skipped", {});
    await store.commit({
      newRuns: [run],
      newExecutions: [first, second, skipped],
      logs: [
        { executionUuid: first.uuid, stream: "stdout", ts: 1, line: "first try" },
        { executionUuid: second.uuid, stream: "stdout", ts: 2, line: "hello" },
        { executionUuid: second.uuid, stream: "stderr", ts: 3, line: "warning" },
        { executionUuid: second.uuid, stream: "system", ts: 4, line: "cairn's own note" },
        { executionUuid: second.uuid, stream: "stdout", ts: 5, line: "bye" },
      ],
    });
    const outputs = join(attemptRoot(dataDir, uuid, "greet", 2), "outputs");
    await mkdir(outputs, { recursive: true });
    await writeFile(join(outputs, "message"), "hello\n");
    await writeFile(join(outputs, "huge"), Buffer.alloc(2 * 1024 * 1024, "z"));
    const outbox = attemptResultsDir(dataDir, uuid, "greet", 2);
    await mkdir(join(outbox, "sub"), { recursive: true });
    await writeFile(join(outbox, "r.txt"), "result\n");
    await writeFile(join(outbox, "sub", "s.txt"), "nested\n");
    // Links are never followed: not to a file, not to a folder.
    await symlink("/etc/passwd", join(outbox, "passwd"));
    await symlink("/etc", join(outbox, "etc"));
    const earlier = attemptResultsDir(dataDir, uuid, "greet", 1);
    await mkdir(earlier, { recursive: true });
    await writeFile(join(earlier, "old.txt"), "from the failed attempt\n");
    return run;
  }

  async function listTree(path: string): Promise<string[]> {
    return (await readdir(path, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(path.length + 1)).sort();
  }

  it("writes each task's latest attempt in the quickstart layout, records done, and removes the working folder", async () => {
    const run = await finishedRun(["keep"]);
    const a = archiver(local());
    a.takeRun(run);
    await a.idle();
    const base = join(systemsRoot, "lab/lab/workflows/archive", run.uuid);
    expect(await listTree(base)).toEqual([
      "greet/outbox/r.txt",
      "greet/outbox/sub/s.txt",
      "greet/output/.stderr",
      "greet/output/.stdout",
      "greet/output/huge",
      "greet/output/message",
      "later/output/.stderr",
      "later/output/.stdout",
    ]);
    expect(await readFile(join(base, "greet/outbox/sub/s.txt"), "utf8")).toBe("nested\n");
    expect(await readFile(join(base, "greet/output/.stdout"), "utf8")).toBe("hello\nbye\n");
    expect(await readFile(join(base, "greet/output/.stderr"), "utf8")).toBe("warning\n");
    expect(await readFile(join(base, "greet/output/message"), "utf8")).toBe("hello\n");
    expect((await stat(join(base, "greet/output/huge"))).size).toBe(2 * 1024 * 1024);
    expect(await readFile(join(base, "later/output/.stdout"), "utf8")).toBe("");
    expect(await store.service.listRunArchives(run.uuid)).toEqual([
      expect.objectContaining({ archiveId: "keep", status: "done", attempts: 1, message: "8 files written", location: `file://${join(systemsRoot, "lab/lab/workflows/archive")}/${run.uuid}` }),
    ]);
    await expect(stat(runDir(dataDir, run.uuid))).rejects.toMatchObject({ code: "ENOENT" });
    // Results outlive the working folder.
    expect(await readFile(join(attemptResultsDir(dataDir, run.uuid, "greet", 2), "r.txt"), "utf8")).toBe("result\n");
    expect((await store.getRun(run.uuid))?.status).toBe("failed");
  });

  it("copies no link a task left, where its outputs or results folder is a link too, and never the target", async () => {
    const SECRET = "server-only-secret-key-material";
    const secretDir = join(dir, "server-secret");
    await mkdir(secretDir);
    await writeFile(join(secretDir, "secret.key"), SECRET);
    // Large enough that it would be copied from the attempt's folder, not from the store.
    await writeFile(join(secretDir, "big.key"), `${SECRET}${"k".repeat(2 * 1024 * 1024)}`);
    const run = await finishedRun(["keep"]);
    const outputs = join(attemptRoot(dataDir, run.uuid, "greet", 2), "outputs");
    await symlink(join(secretDir, "big.key"), join(outputs, "stolen"));
    await symlink("../../../../../server-secret/big.key", join(outputs, "stolen-relative"));
    // `later` replaced its outputs folder with a link, and (on a server before this check) had its outbox kept as one.
    await mkdir(attemptRoot(dataDir, run.uuid, "later", 1), { recursive: true });
    await symlink(secretDir, join(attemptRoot(dataDir, run.uuid, "later", 1), "outputs"));
    await mkdir(dirname(attemptResultsDir(dataDir, run.uuid, "later", 1)), { recursive: true });
    await symlink(secretDir, attemptResultsDir(dataDir, run.uuid, "later", 1));
    const a = archiver(local());
    a.takeRun(run);
    await a.idle();
    const base = join(systemsRoot, "lab/lab/workflows/archive", run.uuid);
    const files = await listTree(base);
    expect(files).toEqual(["greet/outbox/r.txt", "greet/outbox/sub/s.txt", "greet/output/.stderr", "greet/output/.stdout", "greet/output/huge", "greet/output/message", "later/output/.stderr", "later/output/.stdout"]);
    for (const file of files) expect(await readFile(join(base, file), "utf8")).not.toContain(SECRET);
    expect(await store.service.listRunArchives(run.uuid)).toEqual([expect.objectContaining({ status: "done" })]);
  });

  it("masks the run's secrets in every file it copies: logs, outputs, large outputs and results, across chunks", async () => {
    const secret = "hello-archive-secret";
    const run = await finishedRun(["keep"]);
    const outbox = attemptResultsDir(dataDir, run.uuid, "greet", 2);
    await writeFile(join(outbox, "r.txt"), `plain ${secret} hex ${Buffer.from(secret).toString("hex")}\n`);
    // Past the first 64 KiB chunk of the read stream, and across its end.
    const huge = Buffer.alloc(2 * 1024 * 1024, "z");
    huge.write(secret, 65_536 - 5);
    await writeFile(join(attemptRoot(dataDir, run.uuid, "greet", 2), "outputs", "huge"), huge);
    await store.commit({ logs: [{ executionUuid: (await store.listExecutions(run.uuid)).find((e) => e.attempt === 2)!.uuid, stream: "stdout", ts: 6, line: `old log ${secret}` }] });
    const seen: string[] = [];
    const a = new Archiver({ store, config: { dataDir, keepWorkDirs: false }, systems: local(), secretValues: async (r) => (seen.push(r.uuid), [secret]) });
    a.takeRun(run);
    await a.idle();
    expect(seen).toEqual([run.uuid]);
    const base = join(systemsRoot, "lab/lab/workflows/archive", run.uuid);
    expect(await readFile(join(base, "greet/outbox/r.txt"), "utf8")).toBe("plain *** hex ***\n");
    expect(await readFile(join(base, "greet/output/.stdout"), "utf8")).toBe("hello\nbye\nold log ***\n");
    const copied = await readFile(join(base, "greet/output/huge"));
    expect(copied.includes(secret)).toBe(false);
    expect(copied.subarray(65_536 - 8, 65_536 - 2).toString()).toBe("zzz***");
    expect(copied.length).toBe(huge.length - secret.length + 3);
  });

  it("retries what may pass, and records done after a flaky start", async () => {
    const run = await finishedRun(["keep"]);
    let calls = 0;
    const flaky: SystemConnector = {
      open: async (system, archiveDir) => {
        if (++calls < 3) throw new ArchivingError("runtime_unavailable", "connection reset", { retryable: true });
        return local().open(system, archiveDir);
      },
    };
    const a = archiver(flaky);
    a.takeRun(run);
    await a.idle();
    expect(await store.service.listRunArchives(run.uuid)).toEqual([expect.objectContaining({ status: "done", attempts: 3 })]);
  });

  it("records failed with the reason when the tries run out, or at once when retrying cannot help", async () => {
    const run = await finishedRun(["keep", "missing"]);
    let opened = 0;
    const down: SystemConnector = {
      open: async () => {
        opened++;
        throw new ArchivingError("runtime_unavailable", "cannot reach the SSH server", { retryable: true });
      },
    };
    const a = archiver(down);
    a.takeRun(run);
    await a.idle();
    expect(await store.service.listRunArchives(run.uuid)).toEqual([
      expect.objectContaining({ archiveId: "keep", status: "failed", attempts: 3, message: "cannot reach the SSH server", location: null }),
      expect.objectContaining({ archiveId: "missing", status: "failed", attempts: 1, message: "archive 'missing' does not exist in group 'lab'" }),
    ]);
    expect(opened).toBe(3);
    expect((await store.getRun(run.uuid))?.status).toBe("failed");
  });

  it("leaves an archiving cut short by a stop pending, with the folder, and recover() finishes it", async () => {
    const run = await finishedRun(["keep"]);
    let fail = true;
    const flaky: SystemConnector = {
      open: async (system, archiveDir): Promise<ArchiveTarget> => {
        if (fail) throw new ArchivingError("runtime_unavailable", "not yet", { retryable: true });
        return local().open(system, archiveDir);
      },
    };
    const first = archiver(flaky, [60_000]);
    first.takeRun(run);
    await waitFor(async () => (await store.service.listRunArchives(run.uuid))[0]?.attempts === 1);
    await first.close();
    expect(await store.service.listRunArchives(run.uuid)).toEqual([expect.objectContaining({ status: "pending", attempts: 1, message: "not yet" })]);
    expect((await stat(runDir(dataDir, run.uuid))).isDirectory()).toBe(true);

    fail = false;
    const second = archiver(flaky);
    await second.recover();
    await second.idle();
    expect(await store.service.listRunArchives(run.uuid)).toEqual([expect.objectContaining({ status: "done", attempts: 2 })]);
    expect((await stat(join(systemsRoot, "lab/lab/workflows/archive", run.uuid, "greet/output/huge"))).size).toBe(2 * 1024 * 1024);
    await expect(stat(runDir(dataDir, run.uuid))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("deletes the working folder of a run without archives at once", async () => {
    const run = await finishedRun([]);
    const a = archiver(local());
    a.takeRun(run);
    await a.idle();
    await expect(stat(runDir(dataDir, run.uuid as RunId))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await store.service.listRunArchives(run.uuid)).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not met in 2 s");
}
