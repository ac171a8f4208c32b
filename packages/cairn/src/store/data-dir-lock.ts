import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CairnError } from "../errors.js";
import { processWorkerId } from "./worker-id.js";

/**
 * One process per SQLite data dir. SQLite has one writer and the engine of a process
 * takes every unfinished run of its store as its own at start, so a second process on
 * the same file would run the same tasks twice. Several processes share a PostgreSQL
 * database instead, where work is claimed row by row.
 *
 * The lock is SQLite's own: a connection to a small lock database (`cairn.lock`) in
 * `locking_mode=EXCLUSIVE` that has begun and committed an exclusive transaction keeps
 * its exclusive file lock until it is closed. It is an OS record lock (fcntl), which the
 * kernel drops when the process ends however it ends, kill -9 and power loss included;
 * so there is never a stale lock to clean up, which a pid file made with O_EXCL would
 * leave behind and would need guessing (is that pid still us, on which host?) to clear.
 * No rows are ever written: SQLite writes its header once, when it makes the file, through
 * its rollback journal, so a crash cannot leave the file damaged. (Exclusive mode keeps
 * `cairn.lock-journal` while the lock is held; SQLite removes it at close, and ignores the
 * empty one a killed process leaves.)
 *
 * Who holds the lock is written beside it (`cairn.lock.holder`), because the lock
 * database itself cannot be read by anyone else while it is held. It only names the
 * holder in the refusal; the lock is the file lock, never this text.
 *
 * The lock is per process: the engines a process opens on one data dir (tests, a CLI
 * command beside the in-process server of a test) share it, counted, and the last
 * release closes it. (SQLite's locks would refuse a second connection of the same
 * process too, which is not what "one process" means.)
 *
 * fcntl locks on NFS depend on the server's lock manager; SQLite on NFS is not
 * supported anyway, and PostgreSQL is the way to share a data dir across hosts.
 */

export const LOCK_FILE = "cairn.lock";
export const HOLDER_FILE = "cairn.lock.holder";

/** A second process on a SQLite data dir: refused, with who holds it and what to do instead. */
export class DataDirInUseError extends CairnError {
  override name = "DataDirInUseError";
  readonly dataDir: string;
  /** The holder's worker id `HOST:PID:START`, when it could be read. */
  readonly holder: string | undefined;

  constructor(dataDir: string, holder: string | undefined) {
    super(
      "conflict",
      `the data dir ${dataDir} is in use by another Cairn process (${holder === undefined ? "holder unknown" : `worker ${describeHolder(holder)}`}): ` +
        "with SQLite, the embedded database, one process runs per data dir, since each takes over the unfinished runs it finds; " +
        "stop that process, or to run several processes, use PostgreSQL (--database-url / CAIRN_DATABASE_URL)",
      { details: { dataDir, ...(holder === undefined ? {} : { holder }) } },
    );
    this.dataDir = dataDir;
    this.holder = holder;
  }
}

export interface DataDirLock {
  /** The worker id written as the holder. */
  readonly holder: string;
  /** Gives up this open's share; the last one releases the lock. Idempotent. */
  release(): void;
}

interface Held {
  database: BetterSqlite3.Database;
  holder: string;
  holderFile: string;
  opens: number;
}

/** This process's locks, by the data dir's real path (two spellings of one folder are one lock). */
const held = new Map<string, Held>();

/** Takes the data dir's lock for this process, or throws DataDirInUseError if another process holds it. */
export function lockDataDir(dataDir: string, holder: string = processWorkerId()): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const key = realpathSync(dataDir);
  let lock = held.get(key);
  if (lock === undefined) {
    lock = acquire(dataDir, key, holder);
    held.set(key, lock);
  }
  lock.opens += 1;
  const taken = lock;
  let released = false;
  return {
    holder: taken.holder,
    release() {
      if (released) return;
      released = true;
      taken.opens -= 1;
      if (taken.opens > 0) return;
      held.delete(key);
      // The holder file first: once the lock is gone, it may be another process's already.
      rmSync(taken.holderFile, { force: true });
      taken.database.close();
    },
  };
}

function acquire(dataDir: string, key: string, holder: string): Held {
  const holderFile = join(key, HOLDER_FILE);
  // No busy timeout: a held lock is a refusal now, not a wait.
  const database = new BetterSqlite3(join(key, LOCK_FILE), { timeout: 0 });
  try {
    database.pragma("locking_mode = EXCLUSIVE");
    // BEGIN EXCLUSIVE takes the exclusive file lock; in exclusive locking mode the commit keeps it.
    database.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch (err) {
    database.close();
    if ((err as { code?: unknown }).code === "SQLITE_BUSY") throw new DataDirInUseError(dataDir, readHolder(holderFile));
    throw new CairnError("config_invalid", `could not lock the data dir ${dataDir} (${LOCK_FILE}): ${(err as Error).message}`, { cause: err });
  }
  // Replaced in one step, so a refused process reads the old holder or the new one, never half.
  const partial = `${holderFile}.${process.pid}`;
  writeFileSync(partial, `${holder}\n`);
  renameSync(partial, holderFile);
  return { database, holder, holderFile, opens: 0 };
}

function readHolder(file: string): string | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    // Not written yet (the holder is between its lock and its file), or removed as it stopped.
    return undefined;
  }
}

/** `HOST:PID:START` in words: "host:pid (started TIME)". */
function describeHolder(holder: string): string {
  const match = /^(.*):(\d+):(\d+)$/.exec(holder);
  if (!match) return holder;
  const started = new Date(Number(match[3]));
  return Number.isNaN(started.getTime()) ? holder : `${match[1]}:${match[2]} started ${started.toISOString()}`;
}
