import type { ColumnDefinitionBuilder, Dialect } from "kysely";
import type { Wakeups } from "./wakeups.js";

/**
 * Everything that differs between the databases behind the one Store, as data:
 * the store and the migrations read these flags and never ask which database it is.
 */
export interface StoreDialect {
  readonly kysely: Dialect;
  readonly capabilities: { readonly multipleWriters: boolean };
  /** Most bind parameters one statement may carry; multi-row inserts are chunked to fit. */
  readonly maxParameters: number;
  /** How a table declares an ever-increasing integer key that is never reused. */
  readonly serialKey: SerialKey;
  /** The reads every API request makes, run by the driver itself (see prepared-query.ts). */
  readonly preparedReads: PreparedReads;
  /** How processes wake each other: LISTEN/NOTIFY, or an in-process emitter where there is one process. */
  readonly wakeups: Wakeups;
}

export interface SerialKey {
  readonly type: "integer" | "bigint";
  define(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

/**
 * Reads that skip Kysely's executor: the database prepares the statement once and each
 * call only binds values (SQLite: a statement kept on a connection of its own;
 * PostgreSQL: a named statement, parsed and planned once per pooled connection). They
 * run outside every transaction and see what is committed, as a request of another
 * process would.
 */
export interface PreparedReads {
  /** A read of `sql` with positional parameters; the statement is prepared at its first call, once the schema exists. */
  prepare(sql: string): PreparedRead;
}

/**
 * Rows as arrays of values in select order, with the columns' names. Not objects keyed
 * by name, as Kysely returns them: a driver builds those property by property (from
 * C++ on SQLite), which took 8 of the 20 µs of the API's access query on SQLite.
 */
export type PreparedRead = (parameters: readonly unknown[]) => Promise<RawRows>;

export interface RawRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}
