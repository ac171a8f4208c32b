import type { ColumnDefinitionBuilder, Dialect } from "kysely";

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
}

export interface SerialKey {
  readonly type: "integer" | "bigint";
  define(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}
