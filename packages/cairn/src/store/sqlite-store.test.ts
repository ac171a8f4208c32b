import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../ids.js";
import { describeClaimStoreSuite } from "./claim-store.suite.js";
import { createStore } from "./create-store.js";
import { describeImageCatalogSuite } from "./image-catalog.suite.js";
import { describePreparedReadsSuite } from "./prepared-reads.suite.js";
import { describeServiceStoreSuite } from "./service-store.suite.js";
import { sqliteDialect } from "./sqlite-dialect.js";
import { describeStoreSuite } from "./store.suite.js";
import { describeTaskCacheStoreSuite } from "./task-cache-store.suite.js";
import { describeTriggerStoresSuite } from "./trigger-stores.suite.js";
import { describeRunQueueStoreSuite } from "./run-queue-store.suite.js";
import { describeUniqueLoginsMigration } from "./unique-logins-migration.suite.js";

let dir: string;
let count = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-sqlite-store-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A new file per test, in a folder createStore has to make, so every test starts empty.
describeStoreSuite("SQLite", () => createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") }));
describeServiceStoreSuite("SQLite", () => createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") }));

describeTriggerStoresSuite("SQLite", () => createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") }));
describeRunQueueStoreSuite("SQLite", () => createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") }));

describePreparedReadsSuite("SQLite", async () => sqliteDialect(join(dir, `db-${++count}`, "cairn.db")));

describeImageCatalogSuite("SQLite", () => createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") }));

describeTaskCacheStoreSuite("SQLite", () => createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") }));

describeUniqueLoginsMigration("SQLite", async () => {
  const path = join(dir, `db-${++count}`, "cairn.db");
  return () => sqliteDialect(path);
});

// One process on SQLite: both "workers" share the one store.
describeClaimStoreSuite("SQLite", async () => {
  const store = await createStore({ sqlitePath: join(dir, `db-${++count}`, "cairn.db") });
  return { a: store, b: store };
});

describe("createStore on SQLite", () => {
  it("reports a single writer", async () => {
    const store = await createStore({ sqlitePath: join(dir, "flags", "cairn.db") });
    expect(store.capabilities.multipleWriters).toBe(false);
    await store.close();
  });

  it("keeps data across reopening the file", async () => {
    const path = join(dir, "reopen", "cairn.db");
    const first = await createStore({ sqlitePath: path });
    await first.commit({
      newRuns: [
        {
          uuid: newRunId(),
          pipelineId: "p",
          groupId: "g",
          status: "running",
          pipeline: {},
          params: {},
          directives: {},
          createdAt: 1,
          startedAt: null,
          endedAt: null,
          startedBy: null,
          message: null,
        },
      ],
    });
    await first.close();
    const second = await createStore({ sqlitePath: path });
    expect((await second.listUnfinishedRuns()).map((r) => r.pipelineId)).toEqual(["p"]);
    await second.close();
  });

  it("refuses a database URL that is not postgres://", async () => {
    await expect(createStore({ databaseUrl: "mysql://x/y", sqlitePath: join(dir, "x.db") })).rejects.toMatchObject({
      code: "config_invalid",
      message: expect.stringContaining("postgres://"),
    });
  });
});
