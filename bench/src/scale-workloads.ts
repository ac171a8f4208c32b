import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ADMIN_LOGIN, API_PREFIX, ApiClient, TERMINAL_RUN_STATUSES } from "./api-client.js";
import { BenchError } from "./measure.js";
import { startPostgres } from "./postgres.js";
import { percentile } from "./stats.js";

/**
 * `node bench/run.mjs --scale`: the figures of issue 15, with real `cairn server` processes.
 * - fan-1000 of host tasks through 1, 2 and 3 processes on PostgreSQL, against one on SQLite
 *   (claims are per run: one run is run by the process that holds it, so extra processes
 *   can only cost; the goal is no slowdown over 10%);
 * - takeover after kill -9: from the kill to the interrupted task's next attempt running;
 * - claim throughput: runs of one empty task, recorded by an `api` process, claimed and run
 *   by three `worker` processes, per second.
 */

const BIN = fileURLToPath(new URL("../../packages/cairn/bin/cairn.js", import.meta.url));
const PASSWORD = "scale-bench-admin-password";
const GROUP = "scale";
const b64 = (text: string) => Buffer.from(text).toString("base64");

export interface ScaleOptions {
  fanWidth: number;
  kills: number;
  claimRuns: number;
  leaseSeconds: number;
  log: (line: string) => void;
}

export interface ScaleResult {
  fan: { store: string; processes: number; seconds: number }[];
  takeover: { kills: number; leaseSeconds: number; medianMs: number; p95Ms: number };
  claims: { runs: number; seconds: number; perSecond: number };
}

interface Proc {
  child: ChildProcess;
  url: string;
}

export async function runScaleWorkloads(options: ScaleOptions): Promise<ScaleResult> {
  const postgres = await startPostgres();
  let databases = 0;
  const newDatabase = async () => {
    const name = `scale_${++databases}`;
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`create database "${name}"`);
    await client.end();
    const url = new URL(postgres.url);
    url.pathname = `/${name}`;
    return url.toString();
  };
  try {
    const fan: ScaleResult["fan"] = [];
    fan.push({ store: "SQLite", processes: 1, seconds: await fanRun(undefined, 1, options) });
    for (const n of [1, 2, 3]) fan.push({ store: "PostgreSQL", processes: n, seconds: await fanRun(await newDatabase(), n, options) });
    for (const f of fan) options.log(`fan-${options.fanWidth} ${f.store} x${f.processes}: ${f.seconds.toFixed(2)} s (${(f.seconds / fan[0]!.seconds).toFixed(2)}x SQLite)`);
    const takeover = await takeoverLatency(await newDatabase(), options);
    options.log(`takeover after kill -9 (lease ${options.leaseSeconds} s, ${takeover.kills} kills): median ${takeover.medianMs} ms, p95 ${takeover.p95Ms} ms`);
    const claims = await claimThroughput(await newDatabase(), options);
    options.log(`claim throughput: ${claims.runs} runs of one empty task through 3 workers in ${claims.seconds.toFixed(1)} s: ${claims.perSecond.toFixed(1)} runs/s`);
    return { fan, takeover, claims };
  } finally {
    await postgres.stop();
  }
}

interface Cluster {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function cluster(databaseUrl: string | undefined, leaseSeconds: number): Promise<Cluster> {
  const dataDir = await mkdtemp("/tmp/cairn-bench-scale-");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CAIRN_DATA_DIR: dataDir,
    CAIRN_HOST: "127.0.0.1",
    CAIRN_PORT: "0",
    CAIRN_ADMIN_PASSWORD: PASSWORD,
    CAIRN_DATA_KEY: randomBytes(32).toString("base64"),
    CAIRN_ALLOW_HOST_RUNTIME: "1",
    CAIRN_LEASE_SECONDS: String(leaseSeconds),
    CAIRN_LOG_LEVEL: "silent",
    CAIRN_WORK_DIR_GRACE: "0",
  };
  delete env.CAIRN_DATABASE_URL;
  delete env.CAIRN_ROLE;
  if (databaseUrl !== undefined) env.CAIRN_DATABASE_URL = databaseUrl;
  return { dataDir, env, close: () => rm(dataDir, { recursive: true, force: true }) };
}

async function start(c: Cluster, role: "all" | "api" | "worker" = "all"): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, "server", "--role", role], { env: c.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output = (output + chunk).slice(-4000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /listening on (http:\/\/[^\s,]+)/.exec(output);
    if (match) return { child, url: match[1]! };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new BenchError(`cairn server --role ${role} did not start:\n${output}`);
    }
    await sleep(50);
  }
}

async function stop(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((resolve) => p.child.once("exit", resolve));
  p.child.kill(signal);
  await exited;
}

async function setUp(p: Proc, pipelines: object[]): Promise<ApiClient> {
  const admin = await new ApiClient(p.url).logIn(ADMIN_LOGIN, PASSWORD);
  await admin.call("POST", `${API_PREFIX}/groups`, 201, { id: GROUP, users: [] });
  for (const pipeline of pipelines) await admin.call("POST", `${API_PREFIX}/groups/${GROUP}/pipelines`, 201, pipeline);
  return admin;
}

async function waitForEnd(admin: ApiClient, pipeline: string, run: string, timeoutMs = 600_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await admin.call<{ status: string }>("GET", `${API_PREFIX}/groups/${GROUP}/pipelines/${pipeline}/runs/${run}`, 200);
    if (TERMINAL_RUN_STATUSES.has(r.status)) return r.status;
    if (Date.now() > deadline) throw new BenchError(`run ${run} still ${r.status}`);
    await sleep(100);
  }
}

/** One fan run (a root, `width` tasks, a join) through the first of `n` processes; seconds from the event to the end. */
async function fanRun(databaseUrl: string | undefined, n: number, options: ScaleOptions): Promise<number> {
  const c = await cluster(databaseUrl, options.leaseSeconds);
  const procs: Proc[] = [];
  try {
    procs.push(await start(c));
    for (let i = 1; i < n; i++) procs.push(await start(c));
    const task = (id: string, deps: string[]) => ({ id, type: "function", runtime: "bash", depends_on: deps.map((d) => ({ id: d })), code: b64("true") });
    const ids = Array.from({ length: options.fanWidth }, (_, i) => `t${i}`);
    const pipeline = { id: "fan", execution_profile: { runtime: "host", max_exec_time: 600 }, tasks: [task("root", []), ...ids.map((id) => task(id, ["root"])), task("join", ids)] };
    const admin = await setUp(procs[0]!, [pipeline]);
    const started = performance.now();
    const run = await admin.call<{ uuid: string }>("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/fan/events`, 201, {});
    const status = await waitForEnd(admin, "fan", run.uuid);
    if (status !== "succeeded") throw new BenchError(`the fan run ended ${status}`);
    return (performance.now() - started) / 1000;
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    await c.close();
  }
}

/** Three processes; each round a long host task runs on one, which is killed -9; timed until its next attempt runs elsewhere. */
async function takeoverLatency(databaseUrl: string, options: ScaleOptions): Promise<ScaleResult["takeover"]> {
  const c = await cluster(databaseUrl, options.leaseSeconds);
  const procs: Proc[] = [];
  const db = new pg.Client({ connectionString: databaseUrl });
  try {
    procs.push(await start(c), await start(c), await start(c));
    await db.connect();
    const pipeline = { id: "long", execution_profile: { runtime: "host", max_exec_time: 600 }, tasks: [{ id: "t", type: "function", runtime: "bash", code: b64("sleep 600") }] };
    let admin = await setUp(procs[0]!, [pipeline]);
    const latencies: number[] = [];
    for (let k = 0; k < options.kills; k++) {
      const victim = k % 3;
      admin = new ApiClient(procs[victim]!.url, admin.token);
      // Recorded by the victim (role all), so claimed by it in the same write.
      const run = await admin.call<{ uuid: string }>("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/long/events`, 201, {});
      for (;;) {
        const { rows } = await db.query("select 1 from task_executions where run_uuid = $1 and status = 'running'", [run.uuid]);
        if (rows.length > 0) break;
        await sleep(20);
      }
      const killedAt = Date.now();
      await stop(procs[victim]!, "SIGKILL");
      for (;;) {
        const { rows } = await db.query<{ started_at: string }>("select started_at from task_executions where run_uuid = $1 and attempt = 2 and status = 'running'", [run.uuid]);
        if (rows.length > 0) {
          latencies.push(Number(rows[0]!.started_at) - killedAt);
          break;
        }
        if (Date.now() - killedAt > 120_000) throw new BenchError(`run ${run.uuid} was not taken over within 120 s`);
        await sleep(20);
      }
      options.log(`takeover ${k + 1}: ${latencies[latencies.length - 1]} ms`);
      procs[victim] = await start(c);
      const other = new ApiClient(procs[(victim + 1) % 3]!.url, admin.token);
      await other.call("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/long/runs/${run.uuid}/cancel`, 200, {});
    }
    latencies.sort((a, b) => a - b);
    return { kills: latencies.length, leaseSeconds: options.leaseSeconds, medianMs: Math.round(percentile(latencies, 50)), p95Ms: Math.round(percentile(latencies, 95)) };
  } finally {
    await db.end().catch(() => undefined);
    await Promise.all(procs.map((p) => stop(p, "SIGKILL")));
    await c.close();
  }
}

/** An `api` process records runs of one empty task as fast as 8 clients send them; three `worker` processes claim and run them. */
async function claimThroughput(databaseUrl: string, options: ScaleOptions): Promise<ScaleResult["claims"]> {
  const c = await cluster(databaseUrl, options.leaseSeconds);
  const procs: Proc[] = [];
  try {
    const api = await start(c, "api");
    procs.push(api);
    procs.push(...(await Promise.all([start(c, "worker"), start(c, "worker"), start(c, "worker")])));
    const pipeline = { id: "empty", execution_profile: { runtime: "host" }, tasks: [{ id: "t", type: "function", runtime: "bash", code: b64("true") }] };
    const admin = await setUp(api, [pipeline]);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < options.claimRuns) {
            next++;
            await admin.call("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/empty/events`, 201, {});
          }
        }),
      );
      for (;;) {
        const { rows } = await db.query<{ n: string }>("select count(*) as n from runs where status = 'succeeded'");
        if (Number(rows[0]!.n) >= options.claimRuns) break;
        if (performance.now() - started > 600_000) throw new BenchError("the runs did not end within 600 s");
        await sleep(50);
      }
      const seconds = (performance.now() - started) / 1000;
      return { runs: options.claimRuns, seconds, perSecond: options.claimRuns / seconds };
    } finally {
      await db.end();
    }
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    await c.close();
  }
}

