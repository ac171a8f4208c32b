import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from "kysely";
import { inProcessWakeups } from "./wakeups.js";
import type { PreparedReads, StoreDialect } from "./store-dialect.js";

/** The embedded default: one SQLite file, created with its folder if missing. */
export function sqliteDialect(path: string): StoreDialect {
  mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  // WAL lets readers (the CLI, the API) work while the engine writes; NORMAL is
  // durable across application crashes in WAL mode and much faster than FULL.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  // A second process (a CLI next to a server) waits for the write lock instead of failing.
  database.pragma("busy_timeout = 5000");
  // SQLite leaves foreign keys (and so the cascade deletes) off unless asked, per connection.
  database.pragma("foreign_keys = ON");
  const reads = readConnection(path);
  return {
    kysely: new SqliteDialect({ database: withStatementCache(database, () => reads.close()) }),
    capabilities: { multipleWriters: false },
    // SQLITE_MAX_VARIABLE_NUMBER is 32766 since SQLite 3.32.
    maxParameters: 32_766,
    // AUTOINCREMENT (on the rowid alias, which must be spelt "integer") never reuses the
    // id of a deleted newest line, so a client's `since` never skips a line.
    serialKey: { type: "integer", define: (c) => c.autoIncrement() },
    preparedReads: reads,
    // One process per SQLite data dir (data-dir-lock.ts): its wake-ups never leave it.
    wakeups: inProcessWakeups(),
  };
}

/**
 * The prepared reads' own connection. Kysely's one connection is shared through a mutex
 * (a transaction holds it across awaits), and a read run on it beside that mutex could
 * see a transaction's uncommitted rows; a second connection sees only what is committed
 * (WAL lets it read while the first writes) and needs no mutex, since better-sqlite3 runs
 * each statement to its end synchronously.
 */
function readConnection(path: string): PreparedReads & { close(): void } {
  const database = new BetterSqlite3(path);
  database.pragma("busy_timeout = 5000");
  // Only reads are prepared here; a write by mistake fails instead of bypassing the store's transactions.
  database.pragma("query_only = ON");
  return {
    prepare(sql) {
      let statement: BetterSqlite3.Statement<unknown[], unknown[]> | undefined;
      let columns: string[] = [];
      return (parameters) => {
        if (statement === undefined) {
          statement = database.prepare<unknown[], unknown[]>(sql).raw(true);
          columns = statement.columns().map((c) => c.name);
        }
        return Promise.resolve({ columns, rows: statement.all(...parameters) });
      };
    },
    close: () => database.close(),
  };
}

/** Enough for every distinct query the store makes; batch inserts of other sizes come and go. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query it runs, and preparing costs more than running the small
 * statements the engine issues per task. The SQL text is the key (parameters are bound
 * apart), and the oldest entry goes when the cache is full. Safe because the store never
 * streams: a statement is done with before the next query starts.
 */
function withStatementCache(database: BetterSqlite3.Database, closeOthers: () => void): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      closeOthers();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        // Re-insert: Map keeps insertion order, so the first key is the least recently used.
        statements.delete(sql);
      } else {
        statement = database.prepare(sql) as unknown as SqliteStatement;
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
