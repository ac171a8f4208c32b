import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BenchError } from "./measure.js";

/**
 * A private Podman API service for the container workload, started once for the whole
 * workload and stopped after it. Every measurement then finds it running (as a server's
 * Cairn would), instead of paying for its start or leaving one service per fresh data
 * dir behind. It reads the system's containers.conf, as the `podman run` baseline does.
 */

export interface PodmanService {
  /** For CAIRN_DOCKER_HOST: `unix:///...`. */
  endpoint: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

export async function startPodmanService(dir: string): Promise<PodmanService> {
  const socket = join(dir, "podman.sock");
  const logFile = join(dir, "podman.log");
  const log = openSync(logFile, "a");
  const child = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], {
    // Its own process group, so stop() ends the service and anything it started.
    detached: true,
    // As packages/cairn's engine-endpoint.ts: a service outliving a deleted folder cannot start containers.
    cwd: "/",
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", () => {}); // a missing podman shows up as the ping timeout, with the log

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    signalGroup(child.pid, "SIGTERM");
    const ended = await Promise.race([exited.then(() => true), sleep(5_000, undefined, { ref: false }).then(() => false)]);
    if (!ended) signalGroup(child.pid, "SIGKILL");
    await exited;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await ping(socket)) return { endpoint: `unix://${socket}`, stop };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  await stop();
  throw new BenchError(`the Podman API service did not answer on ${socket} within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: gone already.
  }
}

/** GET /_ping of the Docker Engine API on a unix socket. */
function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}
