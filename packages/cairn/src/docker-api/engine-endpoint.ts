import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import Dockerode from "dockerode";
import type { CairnConfig } from "../config.js";
import { RuntimeUnavailableError } from "../errors.js";
import { findExecutable } from "../executables.js";

/**
 * Finds the Docker Engine API Cairn talks to: the one named by `dockerHost`, or a Podman
 * API service on `podmanSocket`, started here when none answers there.
 */

export interface Engine {
  docker: Dockerode;
  /** `unix:///path` or `tcp://host:port`, for messages and `cairn doctor`. */
  endpoint: string;
  /** True when this call started the Podman service (it keeps running after Cairn exits). */
  startedPodman: boolean;
}

const START_TIMEOUT_MS = 15_000;
const PING_TIMEOUT_MS = 2_000;
const INSTALL_ADVICE = "install podman: apt-get install podman, or set DOCKER_HOST";

/**
 * These machines use hybrid cgroups (crun refuses them) and a hard open-files limit below
 * Podman's default container ulimits (containers then fail with EPERM); see MACHINE.md.
 * Cairn's own copy means it works where /etc/containers/containers.conf lacks them.
 */
const CONTAINERS_CONF = `# Written by Cairn for the Podman API service it starts.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
`;

export async function resolveEngine(config: CairnConfig): Promise<Engine> {
  if (config.dockerHost !== undefined) return connectDockerHost(config.dockerHost);
  const socketPath = config.podmanSocket;
  const endpoint = `unix://${socketPath}`;
  const docker = new Dockerode({ socketPath });
  if (await ping(socketPath)) return { docker, endpoint, startedPodman: false };

  const files = serviceFiles(socketPath);
  // A service another Cairn process started moments ago may still be coming up.
  const existing = await runningPid(files.pid);
  if (existing === undefined) await startPodmanService(socketPath, config.podmanIdleTimeoutMs);
  await waitForPing(socketPath, files.log);
  holdPodmanService(docker, socketPath);
  return { docker, endpoint, startedPodman: existing === undefined };
}

/** Lets go of the service as this process's end would (for tests): its idle timeout starts once no other client holds it. */
export function releasePodmanService(socketPath: string): void {
  const stream = held.get(socketPath) as (NodeJS.ReadableStream & { destroy?(): void }) | undefined;
  held.delete(socketPath);
  stream?.destroy?.();
}

/** The open event streams that keep Cairn's Podman services up, one per socket, for this process's life. */
const held = new Map<string, NodeJS.ReadableStream>();

/**
 * Keeps the service from idling out while this process may use it: an open `GET /events`
 * stream counts as a client, so the service's --time idle timeout starts only once every
 * Cairn process using it has ended (however it ended: the kernel closes the socket). The
 * socket does not keep this process alive. Reopened by the next resolveEngine if the
 * service went away.
 */
function holdPodmanService(docker: Dockerode, socketPath: string): void {
  if (held.has(socketPath)) return;
  held.set(socketPath, undefined as never);
  docker.getEvents({}).then(
    (stream) => {
      held.set(socketPath, stream);
      (stream as unknown as { socket?: { unref(): void } }).socket?.unref();
      stream.on("data", () => undefined);
      const release = () => held.get(socketPath) === stream && held.delete(socketPath);
      stream.on("end", release);
      stream.on("close", release);
      stream.on("error", release);
    },
    () => held.delete(socketPath),
  );
}

/** Stops a Podman service that resolveEngine started on this socket (for tests; Cairn leaves it running). */
export async function stopPodmanService(socketPath: string): Promise<void> {
  const files = serviceFiles(socketPath);
  const pid = await runningPid(files.pid);
  if (pid !== undefined) {
    signal(-pid, "SIGTERM");
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
    if (isAlive(pid)) signal(-pid, "SIGKILL");
  }
  await rm(files.pid, { force: true });
  await rm(socketPath, { force: true });
}

async function connectDockerHost(dockerHost: string): Promise<Engine> {
  let url: URL;
  try {
    url = new URL(dockerHost);
  } catch (cause) {
    throw new RuntimeUnavailableError(`DOCKER_HOST '${dockerHost}' is not a unix:// or tcp:// address`, { cause });
  }
  let docker: Dockerode;
  if (url.protocol === "unix:") {
    docker = new Dockerode({ socketPath: url.pathname });
  } else if (url.protocol === "tcp:" || url.protocol === "http:") {
    docker = new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: "http" });
  } else {
    throw new RuntimeUnavailableError(`DOCKER_HOST '${dockerHost}' is not a unix:// or tcp:// address`);
  }
  try {
    await withTimeout(docker.ping(), PING_TIMEOUT_MS);
  } catch (cause) {
    throw new RuntimeUnavailableError(`the container engine at DOCKER_HOST '${dockerHost}' does not answer; is it running?`, { cause });
  }
  return { docker, endpoint: dockerHost, startedPodman: false };
}

function serviceFiles(socketPath: string) {
  const dir = dirname(socketPath);
  return { dir, pid: join(dir, "podman.pid"), log: join(dir, "podman.log"), conf: join(dir, "containers.conf") };
}

async function startPodmanService(socketPath: string, idleTimeoutMs: number): Promise<void> {
  const podman = await findExecutable("podman");
  if (podman === undefined) throw new RuntimeUnavailableError(`podman is not installed and DOCKER_HOST is not set; ${INSTALL_ADVICE}`);
  const files = serviceFiles(socketPath);
  await mkdir(files.dir, { recursive: true });
  await writeFile(files.conf, CONTAINERS_CONF);
  // A socket file left by a service that died would make the new one fail to bind.
  await rm(socketPath, { force: true });

  const log = openSync(files.log, "a");
  try {
    // --time: the service ends once no client has been connected for that long (a task
    // being waited on or followed holds a connection, so a busy service never ends), rather
    // than never (--time=0), which left one service per data dir running for good.
    // Its containers are conmon's, not the service's: they go on, and the next Cairn starts
    // the service again and re-attaches.
    const idleSeconds = Math.max(1, Math.ceil(idleTimeoutMs / 1000));
    const child = spawn(podman, ["system", "service", `--time=${idleSeconds}`, `unix://${socketPath}`], {
      // Own process group and no pipes to us: the service and its containers outlive a
      // Cairn that is killed, so a restarted Cairn can re-attach to running tasks.
      detached: true,
      // Not the starting Cairn's folder: the service outlives it, and once that folder is
      // deleted every conmon it starts fails ("Failed to get working directory"), so each
      // container start answers 409 "write child: broken pipe".
      cwd: "/",
      stdio: ["ignore", log, log],
      env: { ...process.env, CONTAINERS_CONF: files.conf },
    });
    child.on("error", () => {}); // reported through the ping timeout, with the log file
    child.unref();
    if (child.pid !== undefined) await writeFile(files.pid, `${child.pid}\n`);
  } finally {
    closeSync(log);
  }
}

async function waitForPing(socketPath: string, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await ping(socketPath)) return;
    await sleep(50);
  }
  throw new RuntimeUnavailableError(
    `the Podman API service on ${socketPath} did not answer within ${START_TIMEOUT_MS / 1000} s; see ${logFile}. ` +
      `If podman does not work here, ${INSTALL_ADVICE}`,
  );
}

/** GET /_ping on a unix socket; false for anything but an answer within the time limit. */
function ping(socketPath: string): Promise<boolean> {
  return withTimeout(new Dockerode({ socketPath }).ping(), PING_TIMEOUT_MS).then(
    () => true,
    () => false,
  );
}

async function runningPid(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: gone already.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
