import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import type { Database } from "./schema.js";
import { toStorageError } from "./storage-error.js";

/** Runs a query; a driver error comes out as a StorageError saying what was being done. */
export async function guarded<T>(action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toStorageError(err, action);
  }
}

/** guarded() for a write whose result is not wanted. */
export async function changed(action: string, work: () => Promise<unknown>): Promise<void> {
  await guarded(action, work);
}

/** The tables whose rows a group owns, each named within its group by one key column. */
type GroupScopedTableName = "pipelines" | "systems" | "archives" | "group_secrets" | "actors";

/** How one aggregate lies in its group-scoped table. */
export interface GroupScopedTable<R, Row> {
  table: GroupScopedTableName;
  /** The column that names a row within its group; lists are ordered by it. */
  key: "id" | "name";
  /** For NotFoundError: "pipeline". */
  noun: string;
  /** For error messages: "a pipeline", "pipelines". */
  one: string;
  many: string;
  toRow(record: R): Row;
  fromRow(row: Row): R;
}

/**
 * Create, get, list and delete of rows a group owns, the same for every such aggregate
 * (pipelines, systems, archives, secrets): each row found by (group_id, key).
 */
export class GroupScopedRows<R, Row> {
  // The table is a parameter, which Kysely's types cannot follow; the queries below use only
  // group_id and the key column, which every GroupScopedTableName has.
  readonly #db: Kysely<any>;

  constructor(
    db: Kysely<Database>,
    private readonly t: GroupScopedTable<R, Row>,
  ) {
    this.#db = db;
  }

  /** `conflict` when the group has a row with that key. */
  create(record: R): Promise<void> {
    return guarded(`creating ${this.t.one}`, async () => {
      await this.#db.insertInto(this.t.table).values(this.t.toRow(record) as object).execute();
    });
  }

  async get(groupId: string, key: string): Promise<R | undefined> {
    const row = (await guarded(`reading ${this.t.one}`, () =>
      this.#db.selectFrom(this.t.table).selectAll().where("group_id", "=", groupId).where(this.t.key, "=", key).executeTakeFirst(),
    )) as Row | undefined;
    return row && this.t.fromRow(row);
  }

  async list(groupId: string): Promise<R[]> {
    const rows = (await guarded(`listing ${this.t.many}`, () =>
      this.#db.selectFrom(this.t.table).selectAll().where("group_id", "=", groupId).orderBy(this.t.key).execute(),
    )) as Row[];
    return rows.map((row) => this.t.fromRow(row));
  }

  /** NotFoundError when the group has no row with that key. */
  delete(groupId: string, key: string): Promise<void> {
    return guarded(`deleting ${this.t.one}`, async () => {
      const result = await this.#db.deleteFrom(this.t.table).where("group_id", "=", groupId).where(this.t.key, "=", key).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError(this.t.noun, key);
    });
  }
}
