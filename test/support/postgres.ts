import { execFile } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./free-port.js";

/**
 * A private PostgreSQL 15 server for tests: initdb + pg_ctl into a fresh temp dir,
 * on a free port of 127.0.0.1, with its unix socket inside that dir, so parallel
 * test files never share one and nothing on the machine is touched
 * (infra-recipes.md section 3, option B). About a second to start.
 *
 *   const pg = await startPostgres();
 *   const url = await createDatabase(pg.url, "store_test");
 *   ...
 *   await pg.stop();
 */

const BIN = "/usr/lib/postgresql/15/bin";
const run = promisify(execFile);

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres, trust auth. */
  url: string;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-pg-"));
  try {
    // PostgreSQL refuses to run as root; the data dir must belong to the user it runs as.
    const asPostgres = process.getuid?.() === 0;
    if (asPostgres) {
      const [uid, gid] = await Promise.all([idOf("-u"), idOf("-g")]);
      await chown(dir, uid, gid);
    }
    const pgCommand = (tool: string, args: string[]) =>
      asPostgres
        ? run("runuser", ["-u", "postgres", "--", join(BIN, tool), ...args])
        : run(join(BIN, tool), args);

    const data = join(dir, "data");
    await pgCommand("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]);

    // The free port can be taken between our probe and the server's bind; try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const serverOptions = [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses=127.0.0.1",
        // A test database need not survive a crash of the machine.
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
      ].join(" ");
      try {
        await pgCommand("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", serverOptions, "-w", "start"]);
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
    throw new Error(`PostgreSQL did not start in ${dir}`, { cause: lastError });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Creates an empty database on the server at `url` and returns its URL: one per test file. */
export async function createDatabase(url: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name '${name}' must be lower-case letters, digits and _`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

async function idOf(flag: "-u" | "-g"): Promise<number> {
  const { stdout } = await run("id", [flag, "postgres"]);
  return Number(stdout.trim());
}

