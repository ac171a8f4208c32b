import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { startServer, type RunningServer } from "../../packages/cairn/src/api/start-server.js";
import { loadConfig, type CairnConfig } from "../../packages/cairn/src/config.js";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";
import { ApiClient, ADMIN_PASSWORD, newUser } from "../support/api-server.js";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";
import { admin, kill9, newCluster, startProcess, type CairnProcess } from "../scale/processes.js";

/**
 * Schedules across a restart (issue 17): a second-level schedule fires, the server stops
 * for a few seconds and starts again on the same data directory. The fires missed while no
 * process ran are skipped, except the most recent one, which fires once, with catch_up; no
 * fire happens twice. CAIRN_SCHEDULE_MISSED_AFTER is 1 s here, so a few seconds of downtime
 * count as missed (30 s by default).
 *
 * With two real `cairn server` processes on one PostgreSQL, both run the scheduler; the
 * database decides each fire (a compare-and-set on next_run_at, trigger-stores.suite.ts),
 * so each fire time starts exactly one run.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pipeline = {
  id: "tick",
  execution_profile: { runtime: "host", max_exec_time: 60 },
  tasks: [{ id: "say", type: "function", runtime: "bash", code: b64("echo tick") }],
};

interface RunView {
  uuid: string;
  created_at: string;
  params: Record<string, string>;
  trigger: string;
}

describe("schedules across a restart", () => {
  let dataDir: string;
  let running: RunningServer | undefined;
  afterAll(async () => {
    await running?.close();
    if (dataDir) {
      await stopPodmanService(join(dataDir, "podman", "podman.sock"));
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("skips the fires missed while stopped, fires the latest once with catch_up, and never fires one twice", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cairn-sched-restart-"));
    const config: CairnConfig = loadConfig(
      { dataDir, host: "127.0.0.1", port: 0, allowHostRuntime: true, adminPassword: ADMIN_PASSWORD, dockerHost: undefined, dataKey: undefined, scheduleMissedAfterMs: 1_000 },
      {},
    );
    running = await startServer(config);
    const owner = await newUser(new ApiClient(running.url), "sr-owner");
    expect((await owner.post(`${W}/groups`, { id: "sr" })).status).toBe(201);
    expect((await owner.post(`${W}/groups/sr/pipelines`, pipeline)).status).toBe(201);
    const schedules = `${W}/groups/sr/pipelines/tick/schedules`;
    for (const [who, catchUp] of [["catch-up", true], ["plain", false]] as const) {
      const made = await owner.post(schedules, { cron: "* * * * * *", params: { who }, catch_up: catchUp });
      expect(made.status, made.text).toBe(201);
    }
    const runs = async (client: ApiClient) => (await client.get(`${W}/groups/sr/pipelines/tick/runs?trigger=schedule&limit=1000`)).body.result as RunView[];
    const deadline = Date.now() + 20_000;
    while ((await runs(owner)).length < 4 && Date.now() < deadline) await sleep(200);

    await running.close();
    running = undefined;
    const stoppedAt = Date.now();
    await sleep(4_000);
    const restartedAt = Date.now();
    running = await startServer(config);
    await sleep(2_500);
    await running.close();
    running = undefined;

    const all = (await readRuns(config)).filter((r) => r.trigger === "schedule");
    const of = (who: string) => all.filter((r) => r.params.who === who).map((r) => r.createdAt).sort((a, b) => a - b);
    for (const who of ["catch-up", "plain"]) {
      const times = of(who);
      // Nothing fired while no process ran.
      expect(times.filter((t) => t > stoppedAt && t < restartedAt)).toEqual([]);
      // Before the stop: one run per second, each fire once.
      const before = times.filter((t) => t <= stoppedAt);
      expect(before.length).toBeGreaterThanOrEqual(2);
      expect(new Set(before.map((t) => Math.floor(t / 1000))).size).toBe(before.length);
    }
    // After the restart both fire on the same seconds; the catch_up schedule fired the latest
    // missed second once more, the other fired none of the four or so it missed.
    const after = (who: string) => of(who).filter((t) => t >= restartedAt);
    expect(after("catch-up").length).toBe(after("plain").length + 1);
    const onTime = after("plain");
    expect(onTime.length).toBeGreaterThanOrEqual(1);
    expect(new Set(onTime.map((t) => Math.floor(t / 1000))).size).toBe(onTime.length);
  }, 90_000);

});

describe("a schedule with two processes on one PostgreSQL", () => {
  let postgres: PostgresServer | undefined;
  let dataDir: string | undefined;
  const started: CairnProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((p) => kill9(p)));
    if (dataDir) await stopPodmanService(join(dataDir, "podman", "podman.sock")).catch(() => undefined);
    await postgres?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("fires once with two processes on one PostgreSQL: each fire time starts exactly one run", async () => {
    postgres = await startPostgres();
    dataDir = await mkdtemp(join(tmpdir(), "cairn-sched-two-"));
    const cluster = newCluster(await createDatabase(postgres.url, "sched_two"), dataDir);
    // The first creates the schema; the second then joins it (as scale-out.int.test.ts does).
    started.push(await startProcess(cluster, "all"));
    started.push(await startProcess(cluster, "all"));
    const [one, two] = started as [CairnProcess, CairnProcess];
    onTestFailed(() => {
      for (const p of started) console.error(`cairn server ${p.workerId} (exit ${p.child.exitCode}):\n${p.output()}`);
    });
    const ada = await admin(one);
    const on = (p: CairnProcess) => new ApiClient(p.url, ada.token);
    expect((await on(one).post(`${W}/groups`, { id: "two" })).status).toBe(201);
    expect((await on(one).post(`${W}/groups/two/pipelines`, pipeline)).status).toBe(201);
    const schedules = `${W}/groups/two/pipelines/tick/schedules`;

    const createdFrom = Date.now();
    const made = await on(one).post(schedules, { cron: "* * * * * *", params: { who: "two" } });
    expect(made.status, made.text).toBe(201);
    const schedule = `${schedules}/${made.body.result.uuid}`;
    // Each fire's outcome names its run and its fire time; seen through both processes
    // every 100 ms, two runs for one fire time would show as two outcomes for it.
    const runOfFire = new Map<string, Set<string>>();
    const watchUntil = Date.now() + 5_000;
    for (let i = 0; Date.now() < watchUntil; i++) {
      const read = await on(i % 2 ? two : one).get(schedule);
      expect(read.status, read.text).toBe(200);
      const fired = /^started run (\S+) for (\S+)$/.exec(read.body.result.last_outcome ?? "");
      if (fired) runOfFire.set(fired[2]!, (runOfFire.get(fired[2]!) ?? new Set()).add(fired[1]!));
      await sleep(100);
    }
    expect((await on(two).patch(schedule, { enabled: false })).status).toBe(200);
    expect((await on(two).delete(schedule)).status).toBe(200);
    const deletedBy = Date.now();
    // A fire claimed just before the delete may still be recording its run.
    await sleep(1_500);

    const runs = (await on(two).get(`${W}/groups/two/pipelines/tick/runs?trigger=schedule&limit=1000`)).body.result as RunView[];
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) expect(run).toMatchObject({ trigger: "schedule", params: { who: "two" } });
    // At most one run per fire time: the schedule existed from after `createdFrom` until
    // before `deletedBy`, so it had no more fire times than the whole seconds between.
    const fireTimes = Math.floor(deletedBy / 1000) - Math.floor(createdFrom / 1000);
    expect(runs.length).toBeLessThanOrEqual(fireTimes);
    // Every fire seen started one run, a run of the list, and no run stands for two fires.
    expect(runOfFire.size).toBeGreaterThanOrEqual(2);
    const uuids = new Set(runs.map((r) => r.uuid));
    const seen: string[] = [];
    for (const [fireTime, runUuids] of runOfFire) {
      expect([fireTime, runUuids.size]).toEqual([fireTime, 1]);
      for (const uuid of runUuids) {
        expect(uuids.has(uuid)).toBe(true);
        seen.push(uuid);
      }
    }
    expect(new Set(seen).size).toBe(seen.length);
  }, 120_000);
});

/** The runs as the database holds them, read with the server stopped. */
async function readRuns(config: CairnConfig): Promise<{ createdAt: number; params: Record<string, string>; trigger: string | undefined }[]> {
  const { createStore } = await import("../../packages/cairn/src/store/create-store.js");
  const store = await createStore({ sqlitePath: join(config.dataDir, "cairn.db") });
  try {
    return (await store.listRuns()).map((r) => ({ createdAt: r.createdAt, params: r.params, trigger: r.trigger }));
  } finally {
    await store.close();
  }
}
