import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ApiClient } from "../support/api-server.js";

/**
 * Real `cairn server` processes sharing one PostgreSQL database, one data dir and one
 * key, as docs/scale-out.md runs them: started from the built CLI (tsc -b first).
 */

const CLI = fileURLToPath(new URL("../../packages/cairn/bin/cairn.js", import.meta.url));
export const ADMIN_PASSWORD = "scale-out-admin-password";

export interface Cluster {
  databaseUrl: string;
  dataDir: string;
  key: string;
  leaseSeconds: number;
}

export interface CairnProcess {
  role: "api" | "worker" | "all";
  child: ChildProcess;
  url: string;
  /** HOST:PID:START, from the line printed at start. */
  workerId: string;
  output(): string;
  exited: Promise<number | null>;
}

export function newCluster(databaseUrl: string, dataDir: string, leaseSeconds = 2): Cluster {
  return { databaseUrl, dataDir, key: randomBytes(32).toString("base64"), leaseSeconds };
}

export async function startProcess(cluster: Cluster, role: CairnProcess["role"], extraEnv: NodeJS.ProcessEnv = {}): Promise<CairnProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CAIRN_DATA_KEY: cluster.key,
    CAIRN_ALLOW_HOST_RUNTIME: "1",
    CAIRN_LEASE_SECONDS: String(cluster.leaseSeconds),
    CAIRN_LOG_LEVEL: "silent",
    CAIRN_PORT: "",
    CAIRN_WORK_DIR_GRACE: "0",
    ...extraEnv,
  };
  delete env.CAIRN_DATA_DIR;
  delete env.CAIRN_DATABASE_URL;
  delete env.CAIRN_ROLE;
  const args = [CLI, "--data-dir", cluster.dataDir, "server", "--port", "0", "--role", role, "--database-url", cluster.databaseUrl];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let match: RegExpExecArray | null;
  while (!(match = /listening on (http:\/\/[^\s,]+) \(.*worker (\S+:\d+:\d+)\), role (\w+)/.exec(output))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`cairn server --role ${role} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { role, child, url: match[1]!, workerId: match[2]!, output: () => output, exited };
}

export async function kill9(p: CairnProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await p.exited;
}

export async function stopGently(p: CairnProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
  await p.exited;
  clearTimeout(timer);
}

/** The first admin's client, logged in through `p` (a token works on every process: one key). */
export async function admin(p: CairnProcess): Promise<ApiClient> {
  const anon = new ApiClient(p.url);
  const token = await anon.post("/v3/oauth2/tokens", { username: "admin", password: ADMIN_PASSWORD, grant_type: "password" });
  if (token.status !== 201) throw new Error(`log-in: ${token.status} ${token.text}`);
  return anon.as(token.body.result.access_token.access_token);
}

export const b64 = (text: string) => Buffer.from(text).toString("base64");
