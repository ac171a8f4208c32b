import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../../packages/cairn/src/api/start-server.js";
import { loadConfig, type CairnConfig } from "../../packages/cairn/src/config.js";
import { leaksInDataDir, noteSecretsSent, refuseLeakyAnswer } from "./leak-watch.js";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";

/**
 * A real Cairn server for API tests: its own data directory, loopback port, Podman
 * socket and (optionally) PostgreSQL database, driven over HTTP by `ApiClient`.
 */

export const ADMIN_PASSWORD = "admin-password-for-tests";

export interface TestServer {
  url: string;
  server: RunningServer;
  dataDir: string;
  config: CairnConfig;
  close(): Promise<void>;
}

export async function startTestServer(options: { databaseUrl?: string; overrides?: Partial<CairnConfig> } = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "cairn-api-"));
  const config = loadConfig(
    {
      dataDir,
      databaseUrl: options.databaseUrl,
      dockerHost: undefined,
      podmanSocket: join(dataDir, "podman", "podman.sock"),
      host: "127.0.0.1",
      port: 0,
      allowHostRuntime: true,
      adminPassword: ADMIN_PASSWORD,
      dataKey: undefined,
      ...options.overrides,
    },
    {},
  );
  const server = await startServer(config);
  return {
    url: server.url,
    server,
    dataDir,
    config,
    async close() {
      await server.close();
      await stopPodmanService(config.podmanSocket);
      // Every secret the test sent must be nowhere in the data directory (leak-watch.ts).
      const leaks = await leaksInDataDir(dataDir);
      await rm(dataDir, { recursive: true, force: true });
      if (leaks.length > 0) throw new Error(`the server's data directory holds secrets sent to it:\n${leaks.join("\n")}`);
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** fetch with a token, JSON in and out; never throws on an HTTP error status. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    noteSecretsSent(method, path, body);
    const init: RequestInit = { method, headers: { ...(this.token ? { "x-tapis-token": this.token } : {}), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    const res = await fetch(this.baseUrl + path, init);
    const text = await res.text();
    // No answer may hold a secret a test sent earlier (leak-watch.ts).
    refuseLeakyAnswer(method, path, text);
    let parsed: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>("GET", path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>("POST", path, body ?? {}, headers);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>("PUT", path, body ?? {});
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>("PATCH", path, body ?? {});
  }
  delete<T = any>(path: string) {
    return this.request<T>("DELETE", path);
  }

  as(token: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }
}

/** Registers, confirms and logs in a user; returns a client holding their token. */
export async function newUser(anonymous: ApiClient, login: string): Promise<ApiClient> {
  const password = `${login}-password-123`;
  const reg = await anonymous.post("/register", { login, password, email: `${login}@example.org` });
  if (reg.status !== 201) throw new Error(`register ${login}: ${reg.status} ${reg.text}`);
  const confirm = await anonymous.get(`/register/confirm/${login}/${reg.body.token}`);
  if (confirm.status !== 200) throw new Error(`confirm ${login}: ${confirm.status} ${confirm.text}`);
  const token = await anonymous.post("/v3/oauth2/tokens", { username: login, password, grant_type: "password" });
  if (token.status !== 201) throw new Error(`token ${login}: ${token.status} ${token.text}`);
  return anonymous.as(token.body.result.access_token.access_token);
}

/** Polls a run until it is terminal (the API has no blocking wait). */
export async function waitForRun(client: ApiClient, runPath: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(runPath);
    if (res.status !== 200) throw new Error(`GET ${runPath}: ${res.status} ${res.text}`);
    if (["succeeded", "failed", "cancelled"].includes(res.body.result.status)) return res.body.result;
    if (Date.now() > deadline) throw new Error(`run ${runPath} still ${res.body.result.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a run's archives until none is pending. */
export async function waitForArchives(client: ApiClient, runPath: string, timeoutMs = 60_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`${runPath}/archives`);
    if (res.status !== 200) throw new Error(`GET ${runPath}/archives: ${res.status} ${res.text}`);
    const list = res.body.result as any[];
    if (list.length > 0 && list.every((a) => a.status !== "pending")) return list;
    if (Date.now() > deadline) throw new Error(`archives still pending after ${timeoutMs} ms: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
