import { existsSync, lstatSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config.js";
import { openCairn, type Cairn } from "../../open-cairn.js";
import { parsePipeline } from "../../spec/index.js";
import type { ExecutionRecord } from "../../store/store.js";
import { attemptResultsDir } from "../../workspace/result-files.js";
import { cacheRoot, listCacheObjects } from "../../workspace/cache-objects.js";
import { newStagingDir } from "../../workspace/run-inbox.js";
import { TaskCache } from "./task-cache.js";

/**
 * The task cache end to end: a real SQLite store, the real function handler, and bash
 * processes on the host. A task writes a fresh random number to an output and a result
 * file, so a hit (the same number, no new process) is told from a run.
 */

let dataDir: string;
let cairn: Cairn;

async function open(overrides: { cacheMaxBytes?: number } = {}): Promise<Cairn> {
  cairn = await openCairn(loadConfig({ dataDir, allowHostRuntime: true, ...overrides }), { allowHostRuntime: true });
  return cairn;
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cairn-task-cache-"));
  await open();
});

afterEach(async () => {
  await cairn.close();
  await rm(dataDir, { recursive: true, force: true });
});

const bash = (code: string) => Buffer.from(code).toString("base64");

/** A task that records each start in a file outside Cairn, writes a random output and a result file, from its input `word`. */
function pipeline(options: { code?: string; profile?: object; input?: object; extraTasks?: object[]; env?: object } = {}) {
  const code =
    options.code ??
    `echo started >> "${dataDir}/starts"
n=$RANDOM$RANDOM
printf '%s' "$n-$word" > "$CAIRN_OUTPUTS_DIR/number"
mkdir -p "$CAIRN_OUTBOX_DIR/sub"
printf 'result %s' "$n" > "$CAIRN_OUTBOX_DIR/sub/result.txt"`;
  return parsePipeline({
    id: "cached",
    env: options.env ?? {},
    tasks: [
      {
        id: "make",
        type: "function",
        runtime: "bash",
        code: bash(code),
        execution_profile: { runtime: "host", cache: true, ...options.profile },
        input: options.input ?? { word: { type: "string", value_from: { params: "word" } } },
        output: { number: { type: "string" } },
      },
      ...(options.extraTasks ?? []),
    ],
  });
}

async function run(p = pipeline(), params: Record<string, string> = { word: "a" }, extra: { groupId?: string; attachments?: string } = {}) {
  const started = await cairn.engine.startRun({ pipeline: p, params, ...extra });
  const final = await cairn.engine.waitForRun(started.uuid);
  const executions = await cairn.store.listExecutions(started.uuid);
  return { run: final, make: executions.find((e) => e.taskId === "make")!, executions };
}

async function starts(): Promise<number> {
  return existsSync(join(dataDir, "starts")) ? (await readFile(join(dataDir, "starts"), "utf8")).trim().split("\n").length : 0;
}

async function systemLog(e: ExecutionRecord): Promise<string[]> {
  return (await cairn.store.readLogs(e.uuid)).filter((l) => l.stream === "system").map((l) => l.line);
}

function resultFile(e: ExecutionRecord): string {
  return join(attemptResultsDir(dataDir, e.runUuid, e.taskId, e.attempt), "sub", "result.txt");
}

describe("the task cache", () => {
  it("restores a hit's outputs and results without running it, naming the execution that made them", async () => {
    const first = await run();
    expect(first.run.status).toBe("succeeded");
    expect(first.make.cachedFrom).toBeUndefined();
    expect(await starts()).toBe(1);

    const second = await run();
    expect(second.run.status).toBe("succeeded");
    expect(await starts()).toBe(1); // nothing ran
    expect(second.make).toMatchObject({ status: "succeeded", cachedFrom: first.make.uuid, outputs: first.make.outputs, exitCode: 0 });
    expect(second.make.message).toContain(`cached: the outputs and results of execution ${first.make.uuid}`);
    expect(await readFile(resultFile(second.make), "utf8")).toBe(await readFile(resultFile(first.make), "utf8"));
    expect((await systemLog(second.make)).some((l) => l.startsWith("task cache: hit sha256:"))).toBe(true);
    // The restored file is a copy in a folder of its own, not a link to the object.
    expect(lstatSync(resultFile(second.make)).isFile()).toBe(true);
    expect(lstatSync(resultFile(second.make)).nlink).toBe(1);
  });

  it("hands a hit's outputs to dependents", async () => {
    const consumer = {
      id: "use",
      type: "function",
      runtime: "bash",
      code: bash('printf "%s" "got-$n" > "$CAIRN_OUTPUTS_DIR/seen"'),
      depends_on: [{ id: "make" }],
      execution_profile: { runtime: "host" },
      input: { n: { type: "string", value_from: { task_output: { task_id: "make", output_id: "number" } } } },
      output: { seen: { type: "string" } },
    };
    const p = pipeline({ extraTasks: [consumer] });
    const first = await run(p);
    const second = await run(p);
    const seen = (r: typeof first) => r.executions.find((e) => e.taskId === "use")!.outputs.seen;
    expect(seen(second)).toBe(`got-${first.make.outputs.number}`);
    expect(seen(second)).toBe(seen(first));
  });

  it("misses when a parameter, the code or an input file changes, and keeps each result", async () => {
    const first = await run();
    const otherParam = await run(pipeline(), { word: "b" });
    expect(otherParam.make.cachedFrom).toBeUndefined();
    expect(otherParam.make.outputs.number).toMatch(/-b$/);
    expect(await starts()).toBe(2);

    const otherCode = await run(pipeline({ code: `echo started >> "${dataDir}/starts"; printf other > "$CAIRN_OUTPUTS_DIR/number"` }));
    expect(otherCode.make.cachedFrom).toBeUndefined();
    expect(await starts()).toBe(3);

    // Both earlier results are still there for their own keys.
    expect((await run()).make.cachedFrom).toBe(first.make.uuid);
    expect((await run(pipeline(), { word: "b" })).make.cachedFrom).toBe(otherParam.make.uuid);
    expect(await starts()).toBe(3);
  });

  it("misses when an attached input file changes", async () => {
    const attach = async (content: string) => {
      const staging = await newStagingDir(dataDir);
      await mkdir(join(staging, "all"));
      await writeFile(join(staging, "all", "in.txt"), content);
      return staging;
    };
    const first = await run(pipeline(), { word: "a" }, { attachments: await attach("one") });
    const same = await run(pipeline(), { word: "a" }, { attachments: await attach("one") });
    expect(same.make.cachedFrom).toBe(first.make.uuid);
    const changed = await run(pipeline(), { word: "a" }, { attachments: await attach("two") });
    expect(changed.make.cachedFrom).toBeUndefined();
    expect(await starts()).toBe(2);
  });

  it("does not reuse an entry older than cache_ttl", async () => {
    const p = pipeline({ profile: { cache_ttl: 0.3 } });
    const first = await run(p);
    expect((await run(p)).make.cachedFrom).toBe(first.make.uuid);
    await new Promise((r) => setTimeout(r, 400));
    const late = await run(p);
    expect(late.make.cachedFrom).toBeUndefined();
    expect(await starts()).toBe(2);
    // The new run replaced the entry: it is what the next run gets.
    expect((await run(p)).make.cachedFrom).toBe(late.make.uuid);
  });

  it("never gives one group's entry to another group", async () => {
    const mine = await run(pipeline(), { word: "a" }, { groupId: "lab-a" });
    const theirs = await run(pipeline(), { word: "a" }, { groupId: "lab-b" });
    expect(theirs.make.cachedFrom).toBeUndefined();
    expect(theirs.make.outputs.number).not.toBe(mine.make.outputs.number);
    expect((await run(pipeline(), { word: "a" }, { groupId: "lab-a" })).make.cachedFrom).toBe(mine.make.uuid);
    expect(await starts()).toBe(2);
  });

  it("runs a task that reads a secret every time, and says why", async () => {
    await cairn.close();
    cairn = await openCairn(loadConfig({ dataDir, allowHostRuntime: true }), { allowHostRuntime: true, secrets: async () => "s3cret-value" });
    const p = pipeline({ input: { word: { type: "string", value_from: { env: "TOKEN" } } }, env: { TOKEN: { value_from: { secret: "token" } } } });
    await run(p, {});
    const second = await run(p, {});
    expect(second.make.cachedFrom).toBeUndefined();
    expect(await starts()).toBe(2);
    expect(await systemLog(second.make)).toContain("task cache: not used, input 'word' reads the secret 'token'");
    expect(await cairn.store.taskCache.listCacheEntries()).toEqual([]);
  });

  it("keeps what result files a task links out of the cache, and restores none as a link", async () => {
    const code = `echo started >> "${dataDir}/starts"
printf x > "$CAIRN_OUTPUTS_DIR/number"
ln -s /etc/passwd "$CAIRN_OUTBOX_DIR/passwd"
printf fine > "$CAIRN_OUTBOX_DIR/ok.txt"`;
    await run(pipeline({ code }));
    const [entry] = await cairn.store.taskCache.listCacheEntries();
    expect(entry!.files.map((f) => f.path)).toEqual(["ok.txt"]);
    const hit = await run(pipeline({ code }));
    expect(hit.make.cachedFrom).toBeDefined();
    const dir = attemptResultsDir(dataDir, hit.make.runUuid, "make", 1);
    expect(await readdir(dir)).toEqual(["ok.txt"]);
  });

  it("evicts the least recently used entries past CAIRN_CACHE_MAX_BYTES, with their objects", async () => {
    await cairn.close();
    // Each entry: a 1,000-byte result file and a short output; room for two.
    await open({ cacheMaxBytes: 2_200 });
    const code = `echo started >> "${dataDir}/starts"
printf '%s' "$word" > "$CAIRN_OUTPUTS_DIR/number"
head -c 1000 /dev/zero | tr '\\0' "$word" > "$CAIRN_OUTBOX_DIR/blob"`;
    const p = pipeline({ code });
    await run(p, { word: "a" });
    await run(p, { word: "b" });
    expect((await run(p, { word: "a" })).make.cachedFrom).toBeDefined(); // a is now the most recently used
    await run(p, { word: "c" }); // evicts b
    const entries = await cairn.store.taskCache.listCacheEntries();
    expect(entries.map((e) => e.outputs.number).sort()).toEqual(["a", "c"]);
    expect(await listCacheObjects(dataDir)).toHaveLength(2);
    expect((await run(p, { word: "b" })).make.cachedFrom).toBeUndefined();
    expect(await starts()).toBe(4);
  });

  it("invalidates the entries made with an image when the group marks it bad", async () => {
    // A host task has no image; the entry is given one as a container task's would have, to test the store's part.
    const first = await run();
    const [entry] = await cairn.store.taskCache.listCacheEntries();
    const digest = `sha256:${"d".repeat(64)}`;
    await cairn.store.taskCache.putCacheEntry({ ...entry!, imageDigest: digest });
    await cairn.store.images.recordImage({
      groupId: "local", digest, names: ["tool:v1"], origin: "pulled", createdAt: 1, recordedAt: 1, architecture: null, os: null, sizeBytes: null, builder: null, engine: null, recipe: null, runUuid: null, taskId: null,
    });
    // Another group's entry with the same image stays.
    await cairn.store.taskCache.putCacheEntry({ ...entry!, key: `sha256:${"e".repeat(64)}`, groupId: "other", imageDigest: digest });
    await cairn.store.images.markBad("local", digest, { reason: "CVE", at: 2, by: "ada" });
    expect((await cairn.store.taskCache.listCacheEntries()).map((e) => e.groupId)).toEqual(["other"]);
    expect(first.make.cachedFrom).toBeUndefined();
  });

  it("sweeps objects no entry names, and clears by pipeline", async () => {
    await run();
    // The same task in another pipeline: an entry of its own.
    await run(parsePipeline({ ...pipeline(), id: "other" }));
    const cache = new TaskCache({ store: cairn.store.taskCache, dataDir, maxBytes: 1e9 });
    expect((await cache.list()).map((e) => e.pipelineId).sort()).toEqual(["cached", "other"]);
    await mkdir(join(cacheRoot(dataDir), "sha256", "ab"), { recursive: true });
    await writeFile(join(cacheRoot(dataDir), "sha256", "ab", "ab" + "0".repeat(62)), "orphan");
    expect(await cache.clear({ pipelineId: "other" })).toBe(1);
    expect((await cache.list()).map((e) => e.pipelineId)).toEqual(["cached"]);
    expect(await listCacheObjects(dataDir)).toHaveLength(1);
    expect(await starts()).toBe(2);
  });
});
