import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";
import { ApiClient } from "../support/api-server.js";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";
import { admin, b64, kill9, newCluster, startProcess, type CairnProcess, type Cluster } from "./processes.js";

/**
 * The kill loop (issue 15): three `cairn server` processes on one PostgreSQL; runs of host
 * and container tasks submitted through different processes; every 2-4 s a random process
 * is killed -9 and started again, at least 10 times. Every run must succeed, every task
 * have exactly one succeeded attempt, no two attempts of a task overlap in time (from the
 * recorded starts and ends), and at least two workers must have run tasks.
 *
 * Scaled down from the 20 runs of 10 tasks to RUNS runs of 6 on this 2-core
 * machine shared by several people: three servers, Podman and PostgreSQL already share
 * its cores, and the loop's point is the kills, not the volume.
 */

const RUNS = 10;
const KILLS = 10;
const W = "/v3/workflows";
const G = `${W}/groups/loop`;

let postgres: PostgresServer;
let cluster: Cluster;
let dataDir: string;
const alive: (CairnProcess | undefined)[] = [];
const everStarted: CairnProcess[] = [];
let token: string;

async function start(slot: number): Promise<void> {
  const p = await startProcess(cluster, "all");
  everStarted.push(p);
  alive[slot] = p;
}

/** A client on any live process; API calls go to whichever answers. */
async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<any> {
  for (let tries = 0; tries < 200; tries++) {
    const live = alive.filter((p): p is CairnProcess => p !== undefined && p.child.exitCode === null && p.child.signalCode === null);
    const p = live[tries % Math.max(1, live.length)];
    if (p) {
      try {
        const res = await new ApiClient(p.url, token).request(method, path, body);
        if (res.status < 500) return res;
      } catch {
        // Killed while it answered: the next one.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${method} ${path}: no process answered`);
}

beforeAll(async () => {
  postgres = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "cairn-kill-loop-"));
  cluster = newCluster(await createDatabase(postgres.url, "kill_loop"), dataDir);
  await start(0);
  await Promise.all([start(1), start(2)]);
  token = (await admin(alive[0]!)).token!;
  expect((await call("POST", `${W}/groups`, { id: "loop" })).status).toBe(201);
  const host = (id: string, deps: string[]) => ({ id, type: "function", runtime: "bash", execution_profile: { runtime: "host" }, depends_on: deps.map((d) => ({ id: d })), code: b64(`echo ${id} start; sleep 1; echo ${id} end`) });
  const box = (id: string, deps: string[]) => ({ id, type: "container_run", image: "localhost/busybox:test", depends_on: deps.map((d) => ({ id: d })), command: ["sh", "-c", `echo ${id} start; sleep 1; echo ${id} end`] });
  // a -> (b, c, d, e) -> f: host and container tasks mixed, a fan and a join.
  const pipeline = {
    id: "mixed",
    execution_profile: { max_exec_time: 300, max_retries: 0 },
    tasks: [host("a", []), box("b", ["a"]), host("c", ["a"]), box("d", ["a"]), host("e", ["a"]), box("f", ["b", "c", "d", "e"])],
  };
  const created = await call("POST", `${G}/pipelines`, pipeline);
  expect(created.status, created.text).toBe(201);
});

afterAll(async () => {
  await Promise.all(everStarted.map((p) => kill9(p)));
  await stopPodmanService(join(dataDir, "podman", "podman.sock")).catch(() => undefined);
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the kill loop", () => {
  it(
    `loses no run while a random one of three processes is killed -9 every 2-4 s (${KILLS} kills, ${RUNS} runs of 6 tasks)`,
    async () => {
      const runs: string[] = [];
      const submit = async (n: number) => {
        for (let i = 0; i < n; i++) {
          // Through each process in turn, while it lives.
          const p = alive[runs.length % 3];
          const res = p && p.child.exitCode === null && p.child.signalCode === null ? await new ApiClient(p.url, token).post(`${G}/pipelines/mixed/events`, {}).catch(() => undefined) : undefined;
          const answered = res && res.status === 201 ? res : await call("POST", `${G}/pipelines/mixed/events`, {});
          expect(answered.status, answered.text).toBe(201);
          runs.push(answered.body.result.uuid);
        }
      };
      await submit(RUNS / 2);
      let kills = 0;
      const restarts: Promise<void>[] = [];
      while (kills < KILLS) {
        await new Promise((r) => setTimeout(r, 2_000 + Math.random() * 2_000));
        const slot = Math.floor(Math.random() * 3);
        const victim = alive[slot];
        if (!victim) continue; // still starting after its last kill
        alive[slot] = undefined;
        await kill9(victim);
        kills++;
        restarts.push(start(slot));
        if (kills === KILLS / 2) await submit(RUNS - RUNS / 2);
      }
      await Promise.all(restarts);

      const db = new pg.Client({ connectionString: cluster.databaseUrl });
      await db.connect();
      try {
        const deadline = Date.now() + 240_000;
        for (;;) {
          const { rows } = await db.query<{ n: string }>("select count(*) as n from runs where status in ('queued', 'running')");
          if (Number(rows[0]!.n) === 0) break;
          if (Date.now() > deadline) throw new Error(`${rows[0]!.n} runs unfinished after the loop`);
          await new Promise((r) => setTimeout(r, 500));
        }
        const statuses = (await db.query<{ uuid: string; status: string }>("select uuid, status from runs")).rows;
        expect(statuses.length).toBe(RUNS);
        expect(statuses.filter((r) => r.status !== "succeeded")).toEqual([]);
        const executions = (
          await db.query<{ run_uuid: string; task_id: string; attempt: number; status: string; started_at: string | null; ended_at: string | null; worker: string | null; message: string | null }>(
            "select run_uuid, task_id, attempt, status, started_at, ended_at, worker, message from task_executions order by run_uuid, task_id, attempt",
          )
        ).rows;
        const byTask = new Map<string, typeof executions>();
        for (const e of executions) byTask.set(`${e.run_uuid}/${e.task_id}`, [...(byTask.get(`${e.run_uuid}/${e.task_id}`) ?? []), e]);
        expect(byTask.size).toBe(RUNS * 6);
        for (const [task, attempts] of byTask) {
          expect(attempts.filter((a) => a.status === "succeeded").length, `${task}: ${JSON.stringify(attempts)}`).toBe(1);
          // Each attempt ended before the next one started.
          for (let i = 1; i < attempts.length; i++) {
            const before = attempts[i - 1]!;
            const after = attempts[i]!;
            expect(before.ended_at, `${task}: attempt ${before.attempt} never ended`).not.toBeNull();
            if (after.started_at !== null) expect(Number(after.started_at), `${task}: attempts ${before.attempt} and ${after.attempt} overlap`).toBeGreaterThanOrEqual(Number(before.ended_at));
            // Only interruptions by a kill are retried (max_retries is 0).
            expect(before.message ?? "", task).toMatch(/^interrupted:/);
          }
        }
        const workers = new Set(executions.filter((e) => e.status === "succeeded").map((e) => e.worker));
        expect(workers.size).toBeGreaterThanOrEqual(2);
        const interrupted = executions.filter((e) => (e.message ?? "").startsWith("interrupted:")).length;
        console.log(`kill loop: ${kills} kills, ${RUNS} runs, ${executions.length} attempts (${interrupted} interrupted), ${workers.size} workers ran tasks`);
      } finally {
        await db.end();
      }
    },
    600_000,
  );
});
