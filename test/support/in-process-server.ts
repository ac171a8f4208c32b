import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { startServer, type RunningServer } from "../../packages/cairn/src/api/start-server.js";
import { loadConfig, type CairnConfig } from "../../packages/cairn/src/config.js";
import { ADMIN_PASSWORD } from "./api-server.js";

/**
 * A whole Cairn server (the real store on SQLite, engine, token service) driven in
 * process with `app.inject`, without sockets or a container engine: for tests of the
 * HTTP layer that send thousands of requests. `DOCKER_HOST` points at a small HTTP
 * server on a unix socket that answers the engine's `GET /_ping` only (every other call
 * is a 500), so readiness can be checked, and container tasks fail at once.
 */

export interface InProcessServer {
  server: RunningServer;
  config: CairnConfig;
  /** The JSON log lines written so far (when started with `log`). */
  logLines(): Record<string, unknown>[];
  /** Everything logged, as written. */
  logText(): string;
  /** Stops answering the engine's ping, as a container engine that died. */
  stopEngine(): Promise<void>;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** A session token for the user, made over the API. */
  logIn(login: string, password: string): Promise<string>;
  /** Registers and confirms a user; returns their token. */
  newUser(login: string): Promise<string>;
  close(): Promise<void>;
}

export async function startInProcessServer(options: { log?: boolean; overrides?: Partial<CairnConfig> } = {}): Promise<InProcessServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "cairn-inproc-"));
  const engineSocket = join(dataDir, "engine.sock");
  const engine = await fakeEngine(engineSocket);
  let logged = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString("utf8");
      done();
    },
  });
  const config = loadConfig(
    { dataDir, host: "127.0.0.1", port: 0, dockerHost: `unix://${engineSocket}`, allowHostRuntime: true, adminPassword: ADMIN_PASSWORD, dataKey: undefined, ...options.overrides },
    {},
  );
  const server = await startServer(config, options.log ? { log: { level: "info", destination } } : {});
  const inject: InProcessServer["inject"] = (request) => server.app.inject(request);
  const logIn = async (login: string, password: string) => {
    const answer = await inject({ method: "POST", url: "/v3/oauth2/tokens", payload: { username: login, password, grant_type: "password" } });
    if (answer.statusCode !== 201) throw new Error(`log in ${login}: ${answer.statusCode} ${answer.body}`);
    return answer.json().result.access_token.access_token as string;
  };
  return {
    server,
    config,
    logLines: () =>
      logged
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => logged,
    stopEngine: () => closeServer(engine),
    inject,
    logIn,
    async newUser(login) {
      const password = `${login}-password-123`;
      const registered = await inject({ method: "POST", url: "/register", payload: { login, password, email: `${login}@example.org` } });
      if (registered.statusCode !== 201) throw new Error(`register ${login}: ${registered.statusCode} ${registered.body}`);
      await inject({ method: "GET", url: `/register/confirm/${login}/${registered.json().token}` });
      return logIn(login, password);
    },
    async close() {
      await server.close();
      if (engine.listening) await closeServer(engine);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function fakeEngine(socketPath: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url?.endsWith("/_ping")) {
      response.writeHead(200, { "content-type": "text/plain", server: "Docker/99.0 (linux)" }).end("OK");
      return;
    }
    response.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: "this fake engine only answers pings" }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
