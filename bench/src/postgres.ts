import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A private PostgreSQL 15 server for trigger-latency on PostgreSQL: initdb + pg_ctl in a
 * fresh folder of the system temp dir (not the suite's scratch dir: that one is private to
 * root, and the server runs as the postgres user), on a free port of 127.0.0.1.
 * The same recipe as test/support/postgres.ts (the bench is compiled on its own and does
 * not import the tests), with one difference: PostgreSQL's default durability (fsync,
 * synchronous_commit on), because a benchmark must pay what a real server pays.
 */

const BIN = "/usr/lib/postgresql/15/bin";
const run = promisify(execFile);

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres, trust auth. */
  url: string;
  stop(): Promise<void>;
}

/** Undefined when a server can be started here; otherwise why not. */
export function postgresBlocker(): string | undefined {
  return existsSync(join(BIN, "initdb")) ? undefined : `not run: PostgreSQL 15 is not installed (${BIN}; scripts/setup.sh --test installs it)`;
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-bench-pg-"));
  // PostgreSQL refuses to run as root; its data dir must belong to the user it runs as.
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) {
    const [uid, gid] = await Promise.all([idOf("-u"), idOf("-g")]);
    await chown(dir, uid, gid);
  }
  const pgCommand = (tool: string, args: string[]) =>
    asPostgres ? run("runuser", ["-u", "postgres", "--", join(BIN, tool), ...args]) : run(join(BIN, tool), args);
  const data = join(dir, "data");
  try {
    await pgCommand("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  // The free port can be taken between the probe and the server's bind: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      await pgCommand("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "-w", "start"]);
    } catch (err) {
      lastError = err;
      continue;
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        try {
          await pgCommand("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start in ${dir}`, { cause: lastError });
}

async function idOf(flag: "-u" | "-g"): Promise<number> {
  const { stdout } = await run("id", [flag, "postgres"]);
  return Number(stdout.trim());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
