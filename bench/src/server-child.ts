/**
 * The Cairn server for the API workloads, in a process of its own (as `cairn server`
 * runs), so the load generator does not share its event loop and its peak memory is the
 * server's alone.
 *
 *   node bench/dist/server-child.js
 *
 * Configuration comes from the environment through loadConfig (CAIRN_DATA_DIR,
 * CAIRN_PORT=0, CAIRN_ADMIN_PASSWORD, CAIRN_DATABASE_URL, ...). Prints one JSON line
 * `{"url": ...}` once it listens; when its standard input ends (or on SIGTERM) it stops,
 * prints `{"maxRssKb": ...}` and exits.
 *
 * The server module is imported at run time, not compiled against, so that the suite
 * still builds, and says "API not available", while the API does not build.
 */
import { fileURLToPath } from "node:url";
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

async function main(): Promise<void> {
  const module = (await import(START_SERVER_MODULE.href)) as Partial<ServerModule>;
  if (typeof module.startServer !== "function") throw new Error(`${fileURLToPath(START_SERVER_MODULE)} exports no startServer`);
  const server = await module.startServer(loadConfig());
  process.stdout.write(JSON.stringify({ url: server.url } satisfies ServerReady) + "\n");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= server.close().then(() => {
      process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS } satisfies ServerStopped) + "\n", () => process.exit(0));
    }));
  process.stdin.on("end", () => void stop());
  process.stdin.resume();
  process.once("SIGTERM", () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`server-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
