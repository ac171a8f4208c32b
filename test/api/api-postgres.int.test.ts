import { afterAll, beforeAll } from "vitest";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";
import { startTestServer } from "../support/api-server.js";
import { describeApiSuite } from "./api.suite.js";

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

describeApiSuite("PostgreSQL", async () => startTestServer({ databaseUrl: await createDatabase(postgres.url, "api_suite") }));
