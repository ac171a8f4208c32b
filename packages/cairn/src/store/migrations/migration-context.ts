import type { SerialKey } from "../store-dialect.js";

/** What a migration may need to know about the database it runs on. */
export interface MigrationContext {
  serialKey: SerialKey;
}
