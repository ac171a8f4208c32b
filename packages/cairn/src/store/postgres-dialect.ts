import { createHash } from "node:crypto";
import { PostgresDialect } from "kysely";
import pg from "pg";
import { postgresWakeups } from "./postgres-wakeups.js";
import type { PreparedReads, StoreDialect } from "./store-dialect.js";

const INT8_OID = 20;

/** A PostgreSQL pool for several Cairn processes sharing one database. */
export function postgresDialect(connectionString: string): StoreDialect {
  const pool = new pg.Pool({
    connectionString,
    // Timestamps and log ids are bigint; pg returns int8 as strings unless told. The parser is
    // set on this pool only so other pg users in the process keep the library's default.
    // Milliseconds since the epoch stay far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary"
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  return {
    kysely: new PostgresDialect({ pool }),
    capabilities: { multipleWriters: true },
    // The wire protocol counts bind parameters in 16 bits.
    maxParameters: 65_535,
    serialKey: { type: "bigint", define: (c) => c.generatedByDefaultAsIdentity() },
    preparedReads: namedStatements(pool),
    wakeups: postgresWakeups(connectionString, pool),
  };
}

/**
 * Prepared reads as named statements: node-postgres parses a name's statement once per
 * pooled connection and then only binds and executes it, so the server skips parsing
 * and planning (the access query joins four tables). The name is derived from the SQL
 * text, since a name must always stand for the same text on a connection.
 */
function namedStatements(pool: pg.Pool): PreparedReads {
  return {
    prepare(sql) {
      const name = `cairn_${createHash("sha256").update(sql).digest("hex").slice(0, 32)}`;
      return async (parameters) => {
        const result = await pool.query<unknown[]>({ name, text: sql, values: [...parameters], rowMode: "array" });
        return { columns: result.fields.map((f) => f.name), rows: result.rows };
      };
    },
  };
}
