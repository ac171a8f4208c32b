import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ADMIN_LOGIN, API_PREFIX, ApiClient, TERMINAL_RUN_STATUSES, type RunSummary } from "./api-client.js";
import { BenchError } from "./measure.js";
import { startPodmanService } from "./podman-service.js";

/**
 * `node bench/run.mjs --crash-loop`: the "nothing lost" figure of the security section.
 * A real `cairn server` (SQLite, Podman) is sent runs of three chained busybox
 * containers while it is killed with SIGKILL at random moments and started again on
 * the same data directory and port. A run counts as submitted once the server answered
 * its event with a uuid; it is lost if, after the last restart, it is missing or does
 * not end `succeeded`. A request cut by a kill before its answer is retried as a new
 * submission, as a client would; the run it may have made is counted too (every run the
 * server lists must end `succeeded`).
 */

const BIN = fileURLToPath(new URL("../../packages/cairn/bin/cairn.js", import.meta.url));
const PASSWORD = "crash-loop-admin-password";
/** How long no run may end, after the last restart, before the unfinished ones count as lost. */
const STALL_MS = 120_000;
const GROUP = "crash-loop";
const PIPELINE = {
  id: "chain-of-three",
  tasks: ["a", "b", "c"].map((id, i, ids) => ({
    id,
    type: "container_run",
    image: "localhost/busybox:test",
    command: ["sh", "-c", `sleep 0.3; echo ${id} > /cairn/outputs/out`],
    output: { out: { type: "string" } },
    ...(i > 0 ? { depends_on: [{ id: ids[i - 1] }] } : {}),
  })),
};

export interface CrashLoopOptions {
  runs: number;
  kills: number;
  log: (line: string) => void;
}

export interface CrashLoopResult {
  submitted: number;
  listed: number;
  succeeded: number;
  lost: number;
  kills: number;
  seconds: number;
}

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const scratch = await mkdtemp("/tmp/cairn-crash-loop-");
  const podman = await startPodmanService(scratch);
  const port = await freePort();
  const env = {
    ...process.env,
    CAIRN_DATA_DIR: join(scratch, "data"),
    CAIRN_HOST: "127.0.0.1",
    CAIRN_PORT: String(port),
    CAIRN_ADMIN_PASSWORD: PASSWORD,
    CAIRN_DOCKER_HOST: podman.endpoint,
    CAIRN_DATA_KEY: randomBytes(32).toString("base64"),
  };
  const base = `http://127.0.0.1:${port}`;
  let server = await startServer(env, base);
  const started = Date.now();
  let keep = false;
  try {
    const admin = await new ApiClient(base).logIn(ADMIN_LOGIN, PASSWORD);
    await admin.call("POST", `${API_PREFIX}/groups`, 201, { id: GROUP, users: [] });
    await admin.call("POST", `${API_PREFIX}/groups/${GROUP}/pipelines`, 201, PIPELINE);

    const submitted = new Set<string>();
    let submitting = true;
    const submitter = (async () => {
      while (submitted.size < options.runs) {
        try {
          const run = await admin.call<{ uuid: string }>("POST", `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE.id}/events`, 201, {});
          submitted.add(run.uuid);
        } catch {
          await sleep(100); // the server is down or restarting: try again, as a client would
        }
        await sleep(150);
      }
      submitting = false;
    })();

    let kills = 0;
    while (kills < options.kills) {
      await sleep(1_000 + Math.random() * 2_000);
      server.kill("SIGKILL");
      await new Promise((resolve) => server.once("exit", resolve));
      kills++;
      options.log(`kill ${kills}: ${submitted.size} runs submitted so far`);
      server = await startServer(env, base);
    }
    await submitter;
    if (submitting) throw new BenchError("the submitter stopped early");

    // The token outlives the restarts: it is signed with the data key, which stays.
    const runsPath = `${API_PREFIX}/groups/${GROUP}/pipelines/${PIPELINE.id}/runs`;
    // Runs still moving are waited for, however long a loaded machine takes; a run is
    // called lost only once no run has ended for STALL_MS.
    let runs: RunSummary[] = [];
    let ended = -1;
    let lastProgress = Date.now();
    for (;;) {
      runs = await admin.call<RunSummary[]>("GET", `${runsPath}?limit=1000`, 200);
      const endedNow = runs.filter((r) => TERMINAL_RUN_STATUSES.has(r.status)).length;
      if (endedNow !== ended) [ended, lastProgress] = [endedNow, Date.now()];
      if (endedNow === runs.length || Date.now() - lastProgress > STALL_MS) break;
      await sleep(500);
    }
    const byUuid = new Map(runs.map((r) => [r.uuid, r.status]));
    const lost = [...submitted].filter((uuid) => byUuid.get(uuid) !== "succeeded");
    for (const uuid of lost) options.log(`lost: run ${uuid} is ${byUuid.get(uuid) ?? "missing"}`);
    keep = lost.length > 0;
    return {
      submitted: submitted.size,
      listed: runs.length,
      succeeded: runs.filter((r) => r.status === "succeeded").length,
      lost: lost.length,
      kills,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => (server.exitCode !== null || server.signalCode !== null ? resolve(undefined) : server.once("exit", resolve)));
    await podman.stop();
    // Kept when a run was lost, so its database and folders can be looked at.
    if (keep) options.log(`kept for a look: ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  }
}

/** `cairn server` on the fixed port, once it answers /openapi.json. */
async function startServer(env: NodeJS.ProcessEnv, base: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "server"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new BenchError(`cairn server ended (${child.exitCode}) at start:\n${stderr}`);
    try {
      if ((await fetch(`${base}/openapi.json`)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  child.kill("SIGKILL");
  throw new BenchError(`cairn server did not answer within 30 s:\n${stderr}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
