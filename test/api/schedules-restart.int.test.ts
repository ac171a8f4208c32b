import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../packages/cairn/src/api/start-server.js";
import { loadConfig, type CairnConfig } from "../../packages/cairn/src/config.js";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";
import { ApiClient, ADMIN_PASSWORD, newUser } from "../support/api-server.js";

/**
 * Schedules across a restart (issue 17): a second-level schedule fires, the server stops
 * for a few seconds and starts again on the same data directory. The fires missed while no
 * process ran are skipped, except the most recent one, which fires once, with catch_up; no
 * fire happens twice. CAIRN_SCHEDULE_MISSED_AFTER is 1 s here, so a few seconds of downtime
 * count as missed (30 s by default).
 *
 * Firing once with two processes on one PostgreSQL is not tested yet: several server
 * processes on one database are not on main. The database already decides each fire
 * (a compare-and-set on next_run_at, trigger-stores.suite.ts).
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

  it.skip("fires once with two processes on one PostgreSQL (not on main yet: one process per database)", () => {});
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
