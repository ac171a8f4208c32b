import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A private Docker Engine for one test file: Debian's dockerd 20.10 (package docker.io)
 * with its own data root, exec root, socket and pidfile in a temp dir, started with
 * everything that would change the host switched off: no docker0 bridge, no iptables or
 * ip6tables chains, no ip_forward or masquerading (infra-recipes.md §2 lists what a
 * default dockerd leaves behind). Builds, pulls and pushes still work: build steps and
 * containers get a loopback-only network namespace, and the daemon itself reaches a
 * registry on 127.0.0.1 from the host's namespace (127.0.0.0/8 counts as insecure).
 *
 * dockerd starts its own containerd; both are stopped by `close()`, which then kills
 * whatever process still names this temp dir (a shim of a container left running),
 * unmounts what is still mounted under it, and removes it. dockerd also writes its
 * libtrust key to /etc/docker/key.json (20.10 has no flag for that path); `close()`
 * removes it again when this start created it.
 *
 *   const dockerd = await startDockerd();       // skip the file when dockerdMissing()
 *   await dockerd.importBusybox("localhost/busybox:docker-test");
 *   ... config.dockerHost = dockerd.host ...
 *   await dockerd.close();
 */

const run = promisify(execFile);
export const DOCKERD = "/usr/sbin/dockerd";
const TRUST_KEY = "/etc/docker/key.json";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

export interface TestDockerd {
  /** `unix:///…/docker.sock`, as CAIRN_DOCKER_HOST takes it. */
  host: string;
  socketPath: string;
  dir: string;
  /** The daemon's version, from the `Server` header of /_ping (`20.10.24+dfsg1`). */
  version: string;
  /** Imports a busybox root filesystem (from Debian's busybox-static) as `name`, like `docker import`. */
  importBusybox(name: string): Promise<void>;
  /** The last lines of dockerd's log, for failure messages. */
  logTail(): Promise<string>;
  close(): Promise<void>;
}

/** Why this machine cannot run the Docker tests, or undefined when it can. */
export function dockerdMissing(): string | undefined {
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed (Debian package docker.io; scripts/setup.sh --test installs it)`;
  if (process.getuid?.() !== 0) return "dockerd needs root";
  return undefined;
}

export async function startDockerd(): Promise<TestDockerd> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-dockerd-"));
  const socketPath = join(dir, "docker.sock");
  const logFile = join(dir, "dockerd.log");
  const trustKeyExisted = existsSync(TRUST_KEY);
  const args = [
    `--data-root=${join(dir, "data")}`,
    `--exec-root=${join(dir, "exec")}`,
    `--host=unix://${socketPath}`,
    `--pidfile=${join(dir, "dockerd.pid")}`,
    "--bridge=none",
    "--iptables=false",
    "--ip6tables=false",
    "--ip-forward=false",
    "--ip-masq=false",
    // No daemon.json of the machine's: this daemon's settings are the ones above.
    `--config-file=${join(dir, "daemon.json")}`,
    // Containers still running at the stop get 2 s, not 15.
    "--shutdown-timeout=2",
  ];
  await writeFile(join(dir, "daemon.json"), "{}\n");
  const log = openSync(logFile, "a");
  // setpriv's parent-death signal: a test worker that dies without its afterAll still
  // stops its dockerd. setpriv execs dockerd, so the child's pid is dockerd's.
  const child = spawn("setpriv", ["--pdeathsig", "SIGTERM", "--", DOCKERD, ...args], { stdio: ["ignore", log, log] });
  closeSync(log);
  const stopped = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", () => {});
  const dockerd: TestDockerd = {
    host: `unix://${socketPath}`,
    socketPath,
    dir,
    version: "",
    importBusybox: (name) => importBusybox(socketPath, dir, name),
    logTail: () => logTail(logFile),
    close: () => stopDockerd(child, stopped, dir, logFile, trustKeyExisted),
  };
  try {
    dockerd.version = await waitForPing(socketPath, child, logFile);
    return dockerd;
  } catch (err) {
    await dockerd.close();
    throw err;
  }
}

async function waitForPing(socketPath: string, child: ChildProcess, logFile: string): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dockerd exited (${child.exitCode ?? child.signalCode}) before answering: ${await logTail(logFile)}`);
    const server = await ping(socketPath).catch(() => undefined);
    if (server !== undefined) return /^Docker\/(\S+)/.exec(server)?.[1] ?? server;
    if (Date.now() > deadline) throw new Error(`dockerd did not answer on ${socketPath} within ${START_TIMEOUT_MS / 1000} s: ${await logTail(logFile)}`);
    await sleep(50);
  }
}

/** GET /_ping; resolves with the Server header of an OK answer. */
function ping(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: 2_000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve(String(res.headers.server ?? ""));
      else reject(new Error(`/_ping answered ${res.statusCode}`));
    });
    req.once("timeout", () => req.destroy(new Error("no answer")));
    req.once("error", reject);
    req.end();
  });
}

async function stopDockerd(child: ChildProcess, stopped: Promise<void>, dir: string, logFile: string, trustKeyExisted: boolean): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    // dockerd stops its containers and its containerd, logs "Daemon shutdown complete",
    // then idles about a second more in its containerd supervisor before it exits
    // (measured: 1.1 s of a 1.2 s stop). Once both are done it is killed instead of awaited.
    let exited = false;
    void stopped.then(() => (exited = true));
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (!exited && Date.now() < deadline) {
      await sleep(50);
      if (exited) break;
      const log = await readFile(logFile, "utf8").catch(() => "");
      if (log.includes("Daemon shutdown complete") && (await processesNaming(dir)).every((pid) => pid === child.pid)) break;
    }
    if (!exited) {
      child.kill("SIGKILL");
      await stopped;
    }
  }
  // Whatever is left that this daemon started (its containerd after a SIGKILL, a
  // container's shim) names this temp dir on its command line.
  for (const pid of await processesNaming(dir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  const mounts = await mountsUnder(dir);
  for (const mount of mounts) await run("umount", ["--lazy", mount]).catch(() => undefined);
  // Never remove a tree that still has something mounted in it: rm would reach into the mount.
  if ((await mountsUnder(dir)).length === 0) await rm(dir, { recursive: true, force: true });
  if (!trustKeyExisted) await rm(TRUST_KEY, { force: true });
}

async function processesNaming(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

/** Mount points at or under dir, deepest first (mountinfo's 5th field, with octal escapes). */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points = info
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** `docker import` of a folder with Debian's static busybox and a symlink per applet: POST /images/create?fromSrc=-. */
async function importBusybox(socketPath: string, dir: string, name: string): Promise<void> {
  const root = join(dir, "busybox-root");
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, "bin"), { recursive: true });
  await mkdir(join(root, "tmp"), { mode: 0o1777 });
  await copyFile("/bin/busybox", join(root, "bin", "busybox"));
  const applets = (await run("/bin/busybox", ["--list"])).stdout.split("\n").filter((a) => a !== "" && a !== "busybox");
  for (const applet of applets) await symlink("busybox", join(root, "bin", applet));
  const tar = join(dir, "busybox.tar");
  await run("tar", ["--numeric-owner", "-C", root, "-cf", tar, "."]);
  const colon = name.lastIndexOf(":");
  const query = new URLSearchParams({ fromSrc: "-", repo: name.slice(0, colon), tag: name.slice(colon + 1) });
  query.append("changes", 'CMD ["/bin/sh"]');
  query.append("changes", "ENV PATH=/bin");
  const body = await readFile(tar);
  await new Promise<void>((resolve, reject) => {
    const req = request({ socketPath, path: `/images/create?${query}`, method: "POST", headers: { "content-type": "application/x-tar", "content-length": body.length } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => (res.statusCode === 200 && !text.includes('"error"') ? resolve() : reject(new Error(`docker import of ${name} failed (${res.statusCode}): ${text}`))));
    });
    req.once("error", reject);
    req.end(body);
  });
  await rm(root, { recursive: true, force: true });
  await rm(tar, { force: true });
}

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  return text.split("\n").slice(-15).join("\n");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
