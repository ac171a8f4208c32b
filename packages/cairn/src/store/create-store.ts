import { CairnError } from "../errors.js";
import { KyselyStore } from "./kysely-store.js";
import type { StoreDialect } from "./store-dialect.js";
import type { Store } from "./store.js";

export interface CreateStoreOptions {
  /** A postgres:// URL; when absent the store is the SQLite file at `sqlitePath`. */
  databaseUrl?: string | undefined;
  sqlitePath?: string | undefined;
}

/** Opens the configured database and brings its schema up to date. */
export async function createStore(options: CreateStoreOptions): Promise<Store> {
  const store = new KyselyStore(await chooseDialect(options));
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Only the chosen driver is loaded: a smaller process forks faster, and every host task is a fork. */
async function chooseDialect({ databaseUrl, sqlitePath }: CreateStoreOptions): Promise<StoreDialect> {
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new CairnError("config_invalid", `the store's databaseUrl must be a postgres:// URL, got '${databaseUrl}'`);
    }
    return (await import("./postgres-dialect.js")).postgresDialect(databaseUrl);
  }
  if (sqlitePath === undefined) {
    throw new CairnError("config_invalid", "the store needs a postgres:// databaseUrl or a sqlitePath, and got neither");
  }
  return (await import("./sqlite-dialect.js")).sqliteDialect(sqlitePath);
}
