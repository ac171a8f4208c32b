import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, startPostgres, type PostgresServer } from "../../../../test/support/postgres.js";
import { describeClaimStoreSuite } from "./claim-store.suite.js";
import { createStore } from "./create-store.js";
import { describeImageCatalogSuite } from "./image-catalog.suite.js";
import { postgresDialect } from "./postgres-dialect.js";
import { describePreparedReadsSuite } from "./prepared-reads.suite.js";
import { describeServiceStoreSuite } from "./service-store.suite.js";
import { describeStoreSuite, makeExecution, makeRun } from "./store.suite.js";
import { describeTaskCacheStoreSuite } from "./task-cache-store.suite.js";
import { describeTriggerStoresSuite } from "./trigger-stores.suite.js";
import { describeRunQueueStoreSuite } from "./run-queue-store.suite.js";
import { describeUniqueLoginsMigration } from "./unique-logins-migration.suite.js";

let server: PostgresServer;
let count = 0;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

// A new database per test on one private server, so every test starts empty.
describeStoreSuite("PostgreSQL", async () =>
  createStore({ databaseUrl: await createDatabase(server.url, `store_${++count}`) }),
);
describeServiceStoreSuite("PostgreSQL", async () =>
  createStore({ databaseUrl: await createDatabase(server.url, `store_${++count}`) }),
);

describeTriggerStoresSuite("PostgreSQL", async () => createStore({ databaseUrl: await createDatabase(server.url, `store_${++count}`) }));
describeRunQueueStoreSuite("PostgreSQL", async () => createStore({ databaseUrl: await createDatabase(server.url, `store_${++count}`) }));

describePreparedReadsSuite("PostgreSQL", async () => postgresDialect(await createDatabase(server.url, `store_${++count}`)));

describeImageCatalogSuite("PostgreSQL", async () =>
  createStore({ databaseUrl: await createDatabase(server.url, `store_${++count}`) }),
);

describeTaskCacheStoreSuite("PostgreSQL", async () => createStore({ databaseUrl: await createDatabase(server.url, `store_${++count}`) }));

describeUniqueLoginsMigration("PostgreSQL", async () => {
  const url = await createDatabase(server.url, `store_${++count}`);
  return () => postgresDialect(url);
});

// Two stores on one database: two processes' pools.
describeClaimStoreSuite("PostgreSQL", async () => {
  const url = await createDatabase(server.url, `store_${++count}`);
  return { a: await createStore({ databaseUrl: url }), b: await createStore({ databaseUrl: url }) };
});

describe("createStore on PostgreSQL", () => {
  it("reports several writers", async () => {
    const store = await createStore({ databaseUrl: await createDatabase(server.url, "store_flags") });
    expect(store.capabilities.multipleWriters).toBe(true);
    await store.close();
  });

  it("admits at most max_concurrent_runs runs when two processes' stores decide at once", async () => {
    const url = await createDatabase(server.url, "store_admission_race");
    const [a, b] = [await createStore({ databaseUrl: url }), await createStore({ databaseUrl: url })];
    // 20 runs of one pipeline, admitted by two stores (two pools, like two processes) all at once.
    const runs = Array.from({ length: 20 }, (_, i) => makeRun({ status: "running", createdAt: 1_000 + i, startedAt: 1_000 + i }));
    const admitted = await Promise.all(runs.map((run, i) => (i % 2 === 0 ? a : b).runQueue.admitRun(run, [makeExecution(run.uuid)], 3)));
    expect(admitted.filter((r) => r.status === "running")).toHaveLength(3);
    // One slot frees; both stores try to fill it at once: one run starts, not two.
    const first = admitted.find((r) => r.status === "running")!;
    await a.commit({ runUpdates: [{ uuid: first.uuid, patch: { status: "succeeded", endedAt: 2_000 } }] });
    const started = await Promise.all([a, b].map((s) => s.runQueue.startPendingRuns("group", "pipeline", 2_001, () => 3)));
    expect(started.flat()).toHaveLength(1);
    expect((await a.listRuns({ statuses: ["running"] })).length).toBe(3);
    await Promise.all([a.close(), b.close()]);
  });

  it("lets two processes' stores migrate the same database at once", async () => {
    const url = await createDatabase(server.url, "store_race");
    const [a, b] = await Promise.all([createStore({ databaseUrl: url }), createStore({ databaseUrl: url })]);
    expect(await a.listRuns()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
