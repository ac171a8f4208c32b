import { loadConfig, type CairnConfig } from "../config.js";
import { startServer } from "../api/start-server.js";
import { processWorkerId } from "../store/worker-id.js";
import type { Output } from "./run-reporter.js";

export interface ServerOptions {
  port?: string;
  host?: string;
  databaseUrl?: string;
  dataDir?: string;
  role?: string;
}

/**
 * `cairn server`: starts the service and runs until SIGTERM or SIGINT, then stops
 * cleanly: no new requests, buffered state written, running tasks left to the next start.
 */
export async function serverCommand(options: ServerOptions, out: Output): Promise<number> {
  const overrides: Partial<CairnConfig> = {};
  if (options.dataDir !== undefined) overrides.dataDir = options.dataDir;
  if (options.host !== undefined) overrides.host = options.host;
  if (options.databaseUrl !== undefined) overrides.databaseUrl = options.databaseUrl;
  // The port and the role go through the environment so they are checked like CAIRN_PORT and CAIRN_ROLE.
  const config = loadConfig(overrides, {
    ...process.env,
    ...(options.port !== undefined ? { CAIRN_PORT: options.port } : {}),
    ...(options.role !== undefined ? { CAIRN_ROLE: options.role } : {}),
  });
  // Listened for before the start, and so before the "listening" line: until a listener is
  // registered the signal keeps its default action, and a supervisor that stops the
  // server as soon as it said it listens killed it outright (seen in a test, exit by signal).
  const stopRequested = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  // JSON lines on standard output, beside the lines below: one per request, and the stack of every 500.
  const server = await startServer(config, { log: { level: config.logLevel } });
  out.write(`cairn server listening on ${server.url} (data in ${config.dataDir}, ${config.databaseUrl ? "PostgreSQL" : "SQLite"}, worker ${processWorkerId()}), role ${config.role}\n`);
  // Fail-stop: another process took over runs this one still runs (it could not renew its
  // leases in time); going on would run their tasks twice. A supervisor starts it again.
  server.cairn.worker?.once("lost", (runs) => {
    out.write(`stopping at once: this worker lost its claim on ${runs.length} run(s) (${runs.slice(0, 3).join(", ")}) to another process, after it could not renew its lease for CAIRN_LEASE_SECONDS\n`);
    process.exit(75);
  });
  out.write(`API: ${server.url}/v3/workflows  OpenAPI: ${server.url}/openapi.json\n`);
  if (server.createdAdmin) {
    out.write(`created the first user '${server.createdAdmin.login}' with password ${server.createdAdmin.password} (shown once; set CAIRN_ADMIN_PASSWORD to choose it)\n`);
  }
  await stopRequested;
  out.write("stopping\n");
  await server.close();
  out.write("stopped\n");
  return 0;
}
