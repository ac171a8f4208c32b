import { CompiledQuery, Kysely, Migrator, type Transaction } from "kysely";
import { CairnError, NotFoundError } from "../errors.js";
import type { ExecutionId, RunId } from "../ids.js";
import { AccessQueries } from "./access-queries.js";
import { KyselyClaimStore } from "./kysely-claim-store.js";
import { KyselyImageCatalog } from "./kysely-image-catalog.js";
import { KyselyRunQueueStore } from "./kysely-run-queue-store.js";
import { KyselyScheduleStore } from "./kysely-schedule-store.js";
import { kyselyServiceStore } from "./kysely-service-store.js";
import { KyselyWebhookStore } from "./kysely-webhook-store.js";
import { migrationProvider } from "./migrations/migration-provider.js";
import {
  executionFromRow,
  executionPatchToRow,
  executionToRow,
  logFromRow,
  logToRow,
  runFromRow,
  runPatchToRow,
  runToRow,
} from "./row-mappers.js";
import type { Database } from "./schema.js";
import { kyselyTaskCacheStore } from "./kysely-task-cache-store.js";
import type { TaskCacheStore } from "./task-cache-store.js";
import { toStorageError } from "./storage-error.js";
import type { StoreDialect } from "./store-dialect.js";
import type { GroupAccessRecord, ServiceStore, TokenRef } from "./service-store.js";
import type {
  ExecutionRecord,
  LogLine,
  RunFilter,
  RunRecord,
  RunStatus,
  StateBatch,
  Store,
  TokenRunAccess,
} from "./store.js";

const UNFINISHED_RUN_STATUSES: RunStatus[] = ["queued", "running"];
const DEFAULT_LOG_LIMIT = 10_000;

type UpdatedTable = "runs" | "task_executions";
interface RowUpdate {
  uuid: string;
  row: Record<string, unknown>;
}

/** The Store over Kysely: one implementation for every database a StoreDialect describes. */
export class KyselyStore implements Store {
  readonly capabilities: Store["capabilities"];
  readonly service: ServiceStore;
  readonly images: KyselyImageCatalog;
  readonly webhooks: KyselyWebhookStore;
  readonly schedules: KyselyScheduleStore;
  readonly runQueue: KyselyRunQueueStore;
  readonly taskCache: TaskCacheStore;
  readonly claims: KyselyClaimStore;
  readonly #db: Kysely<Database>;
  readonly #dialect: StoreDialect;
  readonly #access: AccessQueries;
  /**
   * The SQL of update statements by shape (table, columns, number of rows), compiled by
   * Kysely once: the engine's few kinds of update per task cost more to build and compile
   * than to run (0.3 ms of 0.57 ms per commit of a task's end and its dependent's start).
   * null: this shape's parameters did not come out in the expected order, so it is always compiled.
   */
  readonly #updateSql = new Map<string, string | null>();

  constructor(dialect: StoreDialect) {
    this.#dialect = dialect;
    this.capabilities = dialect.capabilities;
    this.#db = new Kysely<Database>({ dialect: dialect.kysely });
    this.#access = new AccessQueries(this.#db, dialect.preparedReads);
    this.service = kyselyServiceStore(this.#db, this.#access);
    this.images = new KyselyImageCatalog(this.#db);
    this.webhooks = new KyselyWebhookStore(this.#db);
    this.schedules = new KyselyScheduleStore(this.#db);
    this.runQueue = new KyselyRunQueueStore(this.#db, dialect.maxParameters);
    this.taskCache = kyselyTaskCacheStore(this.#db);
    this.claims = new KyselyClaimStore(this.#db, { multipleWriters: dialect.capabilities.multipleWriters, wakeups: dialect.wakeups });
  }

  async migrate(): Promise<void> {
    // Kysely's migrator takes a lock (an advisory lock on PostgreSQL, the single
    // connection on SQLite), so several processes starting together are safe.
    const migrator = new Migrator({
      db: this.#db,
      provider: migrationProvider({ serialKey: this.#dialect.serialKey }),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === "Error")?.migrationName;
      throw new CairnError(
        "internal",
        `migrating the database failed${failed ? ` at migration '${failed}'` : ""}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  async commit(batch: StateBatch): Promise<void> {
    if (isEmpty(batch)) return;
    try {
      await this.#db.transaction().execute(async (trx) => {
        await this.#insertChunked(trx, "runs", (batch.newRuns ?? []).map(runToRow));
        await this.#insertChunked(trx, "task_executions", (batch.newExecutions ?? []).map(executionToRow));
        await this.#insertChunked(
          trx,
          "run_claims",
          (batch.claims ?? []).map((c) => ({ run_uuid: c.runUuid, worker_id: c.workerId, lease_until: c.leaseUntil })),
        );
        await this.#update(
          trx,
          "runs",
          (batch.runUpdates ?? []).map((u) => ({ uuid: u.uuid, row: runPatchToRow(u.patch) })),
        );
        await this.#update(
          trx,
          "task_executions",
          (batch.executionUpdates ?? []).map((u) => ({ uuid: u.uuid, row: executionPatchToRow(u.patch) })),
        );
        await this.#insertChunked(trx, "log_lines", (batch.logs ?? []).map(logToRow));
      });
    } catch (err) {
      throw toStorageError(err, "committing a state batch");
    }
  }

  async getRun(uuid: RunId): Promise<RunRecord | undefined> {
    const row = await this.#read("reading a run", () =>
      this.#db.selectFrom("runs").selectAll().where("uuid", "=", uuid).executeTakeFirst(),
    );
    return row && runFromRow(row);
  }

  async findRunsByPrefix(prefix: string, limit: number): Promise<RunRecord[]> {
    // Refused rather than escaped: a prefix is hex and dashes, so LIKE's wildcards never occur in one.
    if (!/^[0-9a-f-]*$/.test(prefix)) return [];
    const rows = await this.#read("finding runs by a uuid prefix", () =>
      this.#db.selectFrom("runs").selectAll().where("uuid", "like", `${prefix}%`).orderBy("uuid").limit(limit).execute(),
    );
    return rows.map(runFromRow);
  }

  getGroupAccessWithRun(groupId: string, username: string, runUuid: string): Promise<(GroupAccessRecord & { run: RunRecord | undefined }) | undefined> {
    return this.#read("reading a group member and a run", () => this.#access.groupAccessWithRun(groupId, username, runUuid));
  }

  getTokenRunAccess(token: TokenRef, groupId: string, runUuid: string): Promise<TokenRunAccess> {
    return this.#read("checking a token, a group member and a run", () => this.#access.tokenRunAccess(token, groupId, runUuid));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    let query = this.#db.selectFrom("runs").selectAll();
    if (filter.groupId !== undefined) query = query.where("group_id", "=", filter.groupId);
    if (filter.pipelineId !== undefined) query = query.where("pipeline_id", "=", filter.pipelineId);
    if (filter.statuses !== undefined) {
      if (filter.statuses.length === 0) return [];
      query = query.where("status", "in", filter.statuses);
    }
    if (filter.trigger !== undefined) query = query.where("trigger", "=", filter.trigger);
    if (filter.since !== undefined) query = query.where("created_at", ">=", filter.since);
    // uuid breaks ties between runs created in the same millisecond, so pages are stable.
    query = query.orderBy("created_at", "desc").orderBy("uuid", "desc");
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    if (filter.offset !== undefined && filter.limit !== undefined) query = query.offset(filter.offset);
    const rows = await this.#read("listing runs", () => query.execute());
    return rows.map(runFromRow);
  }

  async listUnfinishedRuns(): Promise<RunRecord[]> {
    const rows = await this.#read("listing unfinished runs", () =>
      this.#db
        .selectFrom("runs")
        .selectAll()
        .where("status", "in", UNFINISHED_RUN_STATUSES)
        .orderBy("created_at")
        .orderBy("uuid")
        .execute(),
    );
    return rows.map(runFromRow);
  }

  async getExecution(uuid: ExecutionId): Promise<ExecutionRecord | undefined> {
    const row = await this.#read("reading a task execution", () =>
      this.#db.selectFrom("task_executions").selectAll().where("uuid", "=", uuid).executeTakeFirst(),
    );
    return row && executionFromRow(row);
  }

  async listExecutions(runUuid: RunId): Promise<ExecutionRecord[]> {
    const rows = await this.#read("listing task executions", () =>
      this.#db
        .selectFrom("task_executions")
        .selectAll()
        .where("run_uuid", "=", runUuid)
        .orderBy("task_id")
        .orderBy("attempt")
        .execute(),
    );
    return rows.map(executionFromRow);
  }

  async readLogs(executionUuid: ExecutionId, options: { sinceId?: number; limit?: number } = {}): Promise<LogLine[]> {
    const rows = await this.#read("reading log lines", () =>
      this.#db
        .selectFrom("log_lines")
        .selectAll()
        .where("execution_uuid", "=", executionUuid)
        .where("id", ">", options.sinceId ?? 0)
        .orderBy("id")
        .limit(options.limit ?? DEFAULT_LOG_LIMIT)
        .execute(),
    );
    return rows.map(logFromRow);
  }

  async *allLogs(executionUuid: ExecutionId, options: { pageSize?: number } = {}): AsyncIterable<LogLine> {
    const limit = options.pageSize ?? DEFAULT_LOG_LIMIT;
    let sinceId = 0;
    for (;;) {
      const page = await this.readLogs(executionUuid, { sinceId, limit });
      yield* page;
      // A short page is the last: no need to ask again for the empty one after it.
      if (page.length < limit) return;
      sinceId = page[page.length - 1]!.id;
    }
  }

  async close(): Promise<void> {
    await this.#dialect.wakeups.close();
    await this.#db.destroy();
  }

  async #read<T>(action: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw toStorageError(err, action);
    }
  }

  /** Multi-row inserts, as many rows per statement as the database's parameter limit allows. */
  async #insertChunked<T extends keyof Database>(
    trx: Transaction<Database>,
    table: T,
    rows: object[],
  ): Promise<void> {
    const first = rows[0];
    if (first === undefined) return;
    const perStatement = Math.max(1, Math.floor(this.#dialect.maxParameters / Object.keys(first).length));
    for (const chunk of chunks(rows, perStatement)) {
      await trx.insertInto(table).values(chunk as never).execute();
    }
  }

  /**
   * Applies patches in order. Neighbouring updates with the same patch (a batch that
   * skips or cancels many tasks at once) become one `where uuid in (...)` statement;
   * an unknown uuid throws NotFoundError, which rolls the whole batch back.
   */
  async #update(trx: Transaction<Database>, table: UpdatedTable, updates: RowUpdate[]): Promise<void> {
    for (const group of groupNeighbours(mergeSameRow(updates), (u) => JSON.stringify(u.row))) {
      const row = group[0]!.row;
      const perStatement = Math.max(1, this.#dialect.maxParameters - Object.keys(row).length);
      for (const chunk of chunks(group, perStatement)) {
        const uuids = [...new Set(chunk.map((u) => u.uuid))];
        let matched: number;
        if (Object.keys(row).length === 0) {
          const found = await trx.selectFrom(table).select("uuid").where("uuid", "in", uuids).execute();
          matched = found.length;
        } else {
          const result = await trx.executeQuery(this.#updateQuery(trx, table, row, uuids));
          matched = Number(result.numAffectedRows ?? 0);
        }
        if (matched < uuids.length) await this.#throwMissing(trx, table, uuids);
      }
    }
  }

  /** `update TABLE set ... where uuid in (...)`, from the cache when this shape was compiled before. */
  #updateQuery(trx: Transaction<Database>, table: UpdatedTable, row: Record<string, unknown>, uuids: string[]): CompiledQuery {
    const columns = Object.keys(row);
    const key = `${table}|${columns.join(",")}|${uuids.length}`;
    const parameters = [...columns.map((c) => row[c]), ...uuids];
    const cached = this.#updateSql.get(key);
    if (cached) return CompiledQuery.raw(cached, parameters);
    const compiled = trx
      .updateTable(table)
      .set(row as never)
      .where("uuid", "in", uuids)
      .compile();
    // Reused only when the parameters are exactly the values in column order, then the uuids.
    if (cached === undefined) {
      const reusable = compiled.parameters.length === parameters.length && compiled.parameters.every((p, i) => p === parameters[i]);
      this.#updateSql.set(key, reusable ? compiled.sql : null);
    }
    return compiled;
  }

  async #throwMissing(trx: Transaction<Database>, table: UpdatedTable, uuids: string[]): Promise<never> {
    const found = new Set(
      (await trx.selectFrom(table).select("uuid").where("uuid", "in", uuids).execute()).map((r) => r.uuid),
    );
    const missing = uuids.find((uuid) => !found.has(uuid)) ?? uuids[0]!;
    throw new NotFoundError(table === "runs" ? "run" : "task execution", missing);
  }
}

function isEmpty(batch: StateBatch): boolean {
  return (
    !batch.newRuns?.length &&
    !batch.newExecutions?.length &&
    !batch.claims?.length &&
    !batch.runUpdates?.length &&
    !batch.executionUpdates?.length &&
    !batch.logs?.length
  );
}

/**
 * Neighbouring patches of the same row become one (the later fields win, as applying them
 * in order would): a task's handle, written with its end, costs no statement of its own.
 */
function mergeSameRow(updates: RowUpdate[]): RowUpdate[] {
  const merged: RowUpdate[] = [];
  for (const update of updates) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.uuid === update.uuid) merged[merged.length - 1] = { uuid: last.uuid, row: { ...last.row, ...update.row } };
    else merged.push(update);
  }
  return merged;
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Splits into runs of neighbours with the same key, keeping the order. */
function* groupNeighbours<T>(items: T[], key: (item: T) => string): Generator<T[]> {
  let group: T[] = [];
  let groupKey: string | undefined;
  for (const item of items) {
    const k = key(item);
    if (group.length > 0 && k !== groupKey) {
      yield group;
      group = [];
    }
    group.push(item);
    groupKey = k;
  }
  if (group.length > 0) yield group;
}
