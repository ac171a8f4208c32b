import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";
import pg from "pg";
import { ApiClient, waitForRun } from "../support/api-server.js";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";
import { admin, b64, kill9, newCluster, startProcess, stopGently, type CairnProcess, type Cluster } from "./processes.js";

/**
 * Scale-out (issue 15): real `cairn server` processes on one PostgreSQL, one data dir and
 * one key. Roles, the worker of each attempt, cancel through another process, and a
 * container task whose worker is killed -9, re-attached by another with its log followed
 * through a third, complete and in order.
 */

const W = "/v3/workflows";
const G = `${W}/groups/scale`;

let postgres: PostgresServer;
let cluster: Cluster;
let dataDir: string;
let one: CairnProcess;
let two: CairnProcess;
let api: CairnProcess;
let ada: ApiClient;
const started: CairnProcess[] = [];

async function processOf(role: CairnProcess["role"]): Promise<CairnProcess> {
  const p = await startProcess(cluster, role);
  started.push(p);
  return p;
}

beforeAll(async () => {
  postgres = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "cairn-scale-"));
  cluster = newCluster(await createDatabase(postgres.url, "scale_out"), dataDir);
  one = await processOf("all");
  [two, api] = await Promise.all([processOf("all"), processOf("api")]);
  ada = await admin(api);
  expect((await ada.post(`${W}/groups`, { id: "scale" })).status).toBe(201);
  const host = (id: string, code: string) => ({ id, execution_profile: { runtime: "host", max_exec_time: 120 }, tasks: [{ id: "t", type: "function", runtime: "bash", code: b64(code) }] });
  for (const pipeline of [
    host("quick", "echo quick"),
    host("sleepy", "echo sleeping; sleep 60"),
    {
      id: "ticker",
      execution_profile: { max_exec_time: 120 },
      tasks: [{ id: "tick", type: "container_run", image: "localhost/busybox:test", command: ["sh", "-c", "echo started; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo tick $i; sleep 0.5; done; echo done"] }],
    },
  ]) {
    const created = await ada.post(`${G}/pipelines`, pipeline);
    expect(created.status, created.text).toBe(201);
  }
});

afterAll(async () => {
  await Promise.all(started.map((p) => kill9(p)));
  await stopPodmanService(join(dataDir, "podman", "podman.sock")).catch(() => undefined);
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The admin's client on a process: the same token works on every process (one key). */
const on = (p: CairnProcess) => new ApiClient(p.url, ada.token);

async function executionsOf(p: CairnProcess, pipeline: string, run: string): Promise<any[]> {
  return (await on(p).get(`${G}/pipelines/${pipeline}/runs/${run}/executions`)).body.result;
}

describe("several cairn server processes on one PostgreSQL", () => {
  it("runs nothing on an api process: a worker claims its runs, and each attempt names its worker", async () => {
    const event = await on(api).post(`${G}/pipelines/quick/events`, {});
    expect(event.status, event.text).toBe(201);
    // Recorded queued by the api process, for a worker to claim (woken by NOTIFY).
    expect(event.body.result.status).toBe("queued");
    const final = await waitForRun(on(api), `${G}/pipelines/quick/runs/${event.body.result.uuid}`, 30_000);
    expect(final.status).toBe("succeeded");
    const [e] = await executionsOf(api, "quick", event.body.result.uuid);
    expect([one.workerId, two.workerId]).toContain(e.worker);

    const engine = await on(one).get(`${W}/engine`);
    expect(engine.status, engine.text).toBe(200);
    expect(engine.body.result.lease_seconds).toBe(2);
    const workers = engine.body.result.workers as any[];
    expect(workers.map((w) => [w.id, w.role]).sort()).toEqual(
      [
        [one.workerId, "all"],
        [two.workerId, "all"],
        [api.workerId, "api"],
      ].sort(),
    );
    const apiWorker = workers.find((w) => w.id === api.workerId);
    expect(apiWorker).toMatchObject({ slots_total: 0, slots_used: 0, slots_free: 0 });
    for (const w of workers) {
      expect(w.heartbeat_age_ms).toBeLessThan(2_000);
      expect(w.slots_free).toBe(w.slots_total - w.slots_used);
    }
  });

  it("stops a run through another process than the one running it, within 2 s", async () => {
    const event = await on(one).post(`${G}/pipelines/sleepy/events`, {});
    expect(event.status, event.text).toBe(201);
    const run = event.body.result.uuid as string;
    const path = `${G}/pipelines/sleepy/runs/${run}`;
    // The process that records a run (role all) claims it with the same write.
    let e: any;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      [e] = await executionsOf(two, "sleepy", run);
      if (e?.status === "running") break;
    }
    expect(e).toMatchObject({ status: "running", worker: one.workerId });
    const asked = Date.now();
    const cancel = await on(two).post(`${path}/cancel`, {});
    expect(cancel.status, cancel.text).toBe(200);
    const final = await waitForRun(on(two), path, 10_000);
    const took = Date.now() - asked;
    expect(final.status).toBe("cancelled");
    expect(took).toBeLessThan(2_000);
    const [after] = await executionsOf(two, "sleepy", run);
    expect(after.status).toBe("cancelled");
  });

  it("re-attaches to the same container after its worker is killed -9, and a log followed through a third process arrives whole", async () => {
    const event = await on(one).post(`${G}/pipelines/ticker/events`, {});
    expect(event.status, event.text).toBe(201);
    const run = event.body.result.uuid as string;
    let e: any;
    let handle: string | null = null;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      [e] = await executionsOf(api, "ticker", run);
      if (e?.status === "running" && (handle = await runtimeHandleOf(e.uuid)) !== null) break;
    }
    expect(e).toMatchObject({ status: "running", worker: one.workerId });
    expect(handle).toMatch(/^(container:)?[0-9a-f]{64}$/);
    const followed = followLog(api, `${G}/pipelines/ticker/runs/${run}/executions/${e.uuid}/logs`);
    // Killed while the container prints.
    await new Promise((r) => setTimeout(r, 1_500));
    await kill9(one);
    const final = await waitForRun(on(api), `${G}/pipelines/ticker/runs/${run}`, 60_000);
    expect(final.status).toBe("succeeded");
    const executions = await executionsOf(api, "ticker", run);
    // The same attempt, finished by the other worker: no second attempt, no new container.
    expect(executions.map((x) => [x.attempt, x.status, x.worker])).toEqual([[1, "succeeded", two.workerId]]);
    expect(await runtimeHandleOf(e.uuid)).toBe(handle);
    const { lines, end } = await followed;
    expect(end).toMatchObject({ status: "succeeded" });
    const ticks = ["started", ...Array.from({ length: 12 }, (_, i) => `tick ${i + 1}`), "done"];
    expect(lines.filter((l) => l.stream === "stdout").map((l) => l.line)).toEqual(ticks);
    const ids = lines.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    one = await processOf("all");
  });
});

/** Where the attempt runs (`container:ID`), as recorded in the database: the API does not show it. */
async function runtimeHandleOf(executionUuid: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: cluster.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ runtime_handle: string | null }>("select runtime_handle from task_executions where uuid = $1", [executionUuid]);
    return rows[0]?.runtime_handle ?? null;
  } finally {
    await client.end();
  }
}

interface SseLine {
  id: number;
  stream: string;
  line: string;
}

/** Follows a log as server-sent events until its `end` event. */
async function followLog(p: CairnProcess, path: string): Promise<{ lines: SseLine[]; end: any }> {
  const res = await fetch(p.url + path, { headers: { accept: "text/event-stream", "x-tapis-token": ada.token! } });
  if (!res.ok || !res.body) throw new Error(`following ${path}: ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  const lines: SseLine[] = [];
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const kind = /^event: (\w+)$/m.exec(event)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(event)?.[1] ?? "null");
      if (kind === "line") lines.push({ id: data.id, stream: data.stream, line: data.line });
      if (kind === "end") return { lines, end: data };
    }
  }
  throw new Error(`the log of ${path} ended without an end event`);
}
