/**
 * The Cairn server for the API workloads, in a process of its own (as `cairn server`
 * runs), so the load generator does not share its event loop and its peak memory is the
 * server's alone.
 *
 *   node bench/dist/server-child.js
 *
 * Configuration comes from the environment through loadConfig (CAIRN_DATA_DIR,
 * CAIRN_PORT=0, CAIRN_ADMIN_PASSWORD, CAIRN_DATABASE_URL, ...). Prints one JSON line
 * `{"url": ...}` once it listens; for each line `cpu` on its standard input it prints
 * `{"cpuMicros": ...}`, the CPU time (user + system) it has used so far; when its standard
 * input ends (or on SIGTERM) it stops, prints `{"maxRssKb": ...}` and exits.
 *
 * The server module is imported at run time, not compiled against, so that the suite
 * still builds, and says "API not available", while the API does not build.
 *
 * With CAIRN_BENCH_CEILING_BODY set it is not Cairn but the ceiling api-read is compared
 * with: a bare Fastify server (no plugins, no hooks, no schemas) answering every GET
 * with that body as JSON, under the same protocol.
 */
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { loadConfig, type CairnConfig } from "../../packages/cairn/dist/index.js";

/** What the suite uses of packages/cairn/src/api/start-server.ts. */
interface ServerModule {
  startServer(config: CairnConfig): Promise<{ url: string; close(): Promise<void> }>;
}

const START_SERVER_MODULE = new URL("../../packages/cairn/dist/api/start-server.js", import.meta.url);

export interface ServerReady {
  url: string;
}

export interface ServerStopped {
  maxRssKb: number;
}

export interface ServerCpu {
  cpuMicros: number;
}

async function startCairn(): Promise<{ url: string; close(): Promise<void> }> {
  const module = (await import(START_SERVER_MODULE.href)) as Partial<ServerModule>;
  if (typeof module.startServer !== "function") throw new Error(`${fileURLToPath(START_SERVER_MODULE)} exports no startServer`);
  return module.startServer(loadConfig());
}

async function startCeiling(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  app.get("/*", async (_request, reply) => reply.type("application/json; charset=utf-8").send(body));
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, close: () => app.close() };
}

async function main(): Promise<void> {
  const ceilingBody = process.env.CAIRN_BENCH_CEILING_BODY;
  const server = ceilingBody === undefined ? await startCairn() : await startCeiling(ceilingBody);
  process.stdout.write(JSON.stringify({ url: server.url } satisfies ServerReady) + "\n");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= server.close().then(() => {
      process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS } satisfies ServerStopped) + "\n", () => process.exit(0));
    }));
  let pending = "";
  process.stdin.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.trim() !== "cpu") continue;
      const { user, system } = process.cpuUsage();
      process.stdout.write(JSON.stringify({ cpuMicros: user + system } satisfies ServerCpu) + "\n");
    }
  });
  process.stdin.on("end", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`server-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
