import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";
import { hostPipeline } from "./api.suite.js";

/**
 * The authorization matrix (issue 21): every route and method of the OpenAPI document,
 * asked by six callers: nobody (no token), an outsider (a user of no group), a member,
 * an admin and the owner of the group, and a run's token (CAIRN_API_TOKEN of a run the
 * owner started of the owner's pipeline: the strongest run token there is). What each
 * cell must answer is in MATRIX, one table; a route in the OpenAPI document that the
 * table lacks fails the test, and so does a row no route has. Run on SQLite and on
 * PostgreSQL against a real server. Each changing call works on a target of its own per
 * caller (`victim-member`, `S_admin`...), and the calls go GETs first, deletions last,
 * so one caller's success does not change another's answer.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

type Caller = "anonymous" | "outsider" | "member" | "admin" | "owner" | "run";
const CALLERS: readonly Caller[] = ["anonymous", "outsider", "member", "admin", "owner", "run"];

/** The ids made before the matrix runs, for path parameters. */
interface Fixture {
  runUuid: string;
  executionUuid: string;
  /** A Kabuto pipeline of the owner's personal group, without jobs. */
  kabutoPipeline: string;
  identities: Partial<Record<Caller, string>>;
  /** A webhook of `hello` per caller, made by the owner, for the calls that delete one. */
  webhooks: Partial<Record<Caller, string>>;
  /** A disabled schedule of `hello` per caller, made by the owner, for the calls that change or delete one. */
  schedules: Partial<Record<Caller, string>>;
  /** An ended execution of the owner's actor `act`. */
  actorExecution: string;
}

interface Row {
  /** The status each caller gets, in the order of CALLERS. */
  expect: Record<Caller, number>;
  body?: (caller: Caller) => unknown;
  /** Path parameters other than DEFAULT_PARAMS', by name. */
  params?: Record<string, (caller: Caller, f: Fixture) => string>;
  query?: string;
  /** When the route is asked: by default GETs, then POST, PUT, PATCH and DELETE; later phases go last. */
  phase?: number;
}

/** The status of each caller, in the order of CALLERS: anonymous, outsider, member, admin, owner, run. */
function answers(anonymous: number, outsider: number, member: number, admin: number, owner: number, run: number): Record<Caller, number> {
  return { anonymous, outsider, member, admin, owner, run };
}

const DEFAULT_PARAMS: Record<string, (caller: Caller, f: Fixture) => string> = {
  group_id: () => "mx",
  pipeline_id: () => "hello",
  task_id: () => "greet",
  run_uuid: (_c, f) => f.runUuid,
  execution_uuid: (_c, f) => f.executionUuid,
  username: () => "mx-member",
  name: (c) => `S_${c}`,
  identity_uuid: (_c, f) => f.identities.owner!,
  webhook_uuid: (c, f) => f.webhooks[c]!,
  schedule_uuid: (c, f) => f.schedules[c]!,
  system_id: () => "disk",
  app_id: () => "tool",
  version: () => "1",
  archive_id: () => "arch",
  digest: () => `sha256:${"0".repeat(64)}`,
  image_id: () => `sha256:${"0".repeat(64)}`,
  build_id: () => "00000000-0000-4000-8000-000000000000",
  login: () => "nobody",
  token: () => "not-a-code",
  job_id: () => "00000000-0000-4000-8000-000000000000",
  log_id: () => "0",
  actor_id: () => "act",
  execution_id: (_c, f) => f.actorExecution,
};

const PASSWORD = (login: string) => `${login}-password-123`;
const each = (prefix: string) => (c: Caller) => `${prefix}-${c}`;
const GREET = hostPipeline().tasks[0];

/** Who may do what; the run's token: read its group's pipelines, runs, logs and results, start runs, nothing else. */
const MATRIX: Record<string, Row> = {
  // Accounts: open to anyone but a run's token.
  "POST /register": { expect: answers(201, 201, 201, 201, 201, 403), body: (c) => ({ login: `reg-${c}`, password: "register-password-1", email: `reg-${c}@example.org` }) },
  "GET /register/confirm/{login}/{token}": { expect: answers(404, 404, 404, 404, 404, 403) },
  "POST /login": { expect: answers(200, 200, 200, 200, 200, 403), body: () => ({ login: "mx-outsider", password: PASSWORD("mx-outsider") }) },
  "POST /v3/oauth2/tokens": { expect: answers(201, 201, 201, 201, 201, 403), body: () => ({ username: "mx-outsider", password: PASSWORD("mx-outsider"), grant_type: "password" }) },
  // Last of all: it ends the caller's session.
  "POST /logout": { expect: answers(401, 200, 200, 200, 200, 403), phase: 9 },

  // Kabuto's builds, in the caller's own space: no build or image of these ids exists.
  "POST /image": { expect: answers(401, 400, 400, 400, 400, 403), body: () => ({ name: "mx-nothing" }) },
  "GET /image/build/{build_id}": { expect: answers(401, 404, 404, 404, 404, 403) },
  "GET /image/{image_id}": { expect: answers(401, 404, 404, 404, 404, 403) },

  // Kabuto's pipelines and jobs, in the caller's own space: the owner's pipeline is "not found" to anyone else; no job of that id exists.
  "POST /pipeline": { expect: answers(401, 201, 201, 201, 201, 403), body: (c) => ({ name: `made by ${c}` }) },
  "GET /pipeline/{pipeline_id}": { expect: answers(401, 404, 404, 404, 200, 403), params: { pipeline_id: (_c, f) => f.kabutoPipeline } },
  // The owner's answer is the body's: no image of that id was built.
  "POST /pipeline/{pipeline_id}/job": { expect: answers(401, 404, 404, 404, 400, 403), params: { pipeline_id: (_c, f) => f.kabutoPipeline }, body: () => ({ command: "true", image_id: `sha256:${"0".repeat(64)}` }) },
  "GET /pipeline/{pipeline_id}/job/{job_id}": { expect: answers(401, 404, 404, 404, 404, 403), params: { pipeline_id: (_c, f) => f.kabutoPipeline } },
  "POST /pipeline/{pipeline_id}/submit": { expect: answers(401, 404, 404, 404, 200, 403), params: { pipeline_id: (_c, f) => f.kabutoPipeline } },
  "GET /execution/{job_id}/logs": { expect: answers(401, 404, 404, 404, 404, 403) },
  "GET /execution/{job_id}/logs/{log_id}": { expect: answers(401, 404, 404, 404, 404, 403) },

  // The API's index: paths only, open to anyone.
  "GET /v3/workflows": { expect: answers(200, 200, 200, 200, 200, 200) },

  // Groups and members.
  "POST /v3/workflows/groups": { expect: answers(401, 201, 201, 201, 201, 403), body: (c) => ({ id: `new-${c}` }) },
  "GET /v3/workflows/groups": { expect: answers(401, 200, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "PATCH /v3/workflows/groups/{group_id}": { expect: answers(401, 404, 403, 200, 200, 403), body: () => ({ max_parallel_tasks: 64 }) },
  "DELETE /v3/workflows/groups/{group_id}": { expect: answers(401, 404, 403, 403, 200, 403), params: { group_id: () => "mx-doomed" }, phase: 8 },
  "GET /v3/workflows/groups/{group_id}/users": { expect: answers(401, 404, 200, 200, 200, 403) },
  "POST /v3/workflows/groups/{group_id}/users": { expect: answers(401, 404, 403, 201, 201, 403), body: (c) => ({ username: `added-by-${c}` }) },
  "GET /v3/workflows/groups/{group_id}/users/{username}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "PATCH /v3/workflows/groups/{group_id}/users/{username}": { expect: answers(401, 404, 403, 403, 200, 403), params: { username: each("victim") }, body: () => ({ is_admin: true }) },
  "DELETE /v3/workflows/groups/{group_id}/users/{username}": { expect: answers(401, 404, 403, 200, 200, 403), params: { username: each("victim") } },

  // A user's own identities: another's is "not found".
  "POST /v3/workflows/identities": { expect: answers(401, 201, 201, 201, 201, 403), body: (c) => ({ type: "github", name: `id-${c}`, credentials: { username: "u", personal_access_token: "matrix-pat-value" } }) },
  "GET /v3/workflows/identities": { expect: answers(401, 200, 200, 200, 200, 403) },
  "GET /v3/workflows/identities/{identity_uuid}": { expect: answers(401, 404, 404, 404, 200, 403) },
  "DELETE /v3/workflows/identities/{identity_uuid}": { expect: answers(401, 200, 200, 200, 200, 403), params: { identity_uuid: (c, f) => f.identities[c] ?? f.identities.owner! } },

  // Secrets.
  "PUT /v3/workflows/groups/{group_id}/secrets/{name}": { expect: answers(401, 404, 403, 200, 200, 403), body: () => ({ value: "matrix-secret-value" }) },
  "GET /v3/workflows/groups/{group_id}/secrets": { expect: answers(401, 404, 200, 200, 200, 403) },
  "PATCH /v3/workflows/groups/{group_id}/secrets/{name}": { expect: answers(401, 404, 403, 200, 200, 403), body: () => ({ allowed_pipelines: ["*", "hello"] }) },
  "DELETE /v3/workflows/groups/{group_id}/secrets/{name}": { expect: answers(401, 404, 403, 200, 200, 403) },

  // Pipelines and tasks: `hello` and `edit-me` are the owner's.
  "POST /v3/workflows/groups/{group_id}/pipelines": { expect: answers(401, 404, 201, 201, 201, 403), body: (c) => hostPipeline(`made-by-${c}`) },
  "GET /v3/workflows/groups/{group_id}/pipelines": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}": { expect: answers(401, 404, 200, 200, 200, 200) },
  "PUT /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}": { expect: answers(401, 404, 403, 200, 200, 403), params: { pipeline_id: () => "edit-me" }, body: () => hostPipeline("edit-me") },
  "DELETE /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}": { expect: answers(401, 404, 200, 200, 200, 403), params: { pipeline_id: each("made-by") } },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks": { expect: answers(401, 404, 200, 200, 200, 200) },
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks": { expect: answers(401, 404, 403, 201, 201, 403), body: (c) => ({ id: `t-${c}`, type: "function", runtime: "bash", code: b64("true") }) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks/{task_id}": { expect: answers(401, 404, 200, 200, 200, 200) },
  "PUT /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks/{task_id}": { expect: answers(401, 404, 403, 200, 200, 403), body: () => GREET },
  "DELETE /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/tasks/{task_id}": { expect: answers(401, 404, 403, 200, 200, 403), params: { task_id: each("t") } },

  // Runs: what a run's token is for.
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/events": { expect: answers(401, 404, 201, 201, 201, 201), body: () => ({ params: { name: "matrix" } }) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/runs/{run_uuid}": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}": { expect: answers(401, 404, 200, 200, 200, 200) },
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/cancel": { expect: answers(401, 404, 200, 200, 200, 403) },
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/rerun": { expect: answers(401, 404, 201, 201, 201, 201) },
  // The rights of rerun; the fixture's run succeeded, so whoever may retry it is told there is nothing to retry.
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/retry": { expect: answers(401, 404, 409, 409, 409, 409) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}/logs": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/results": { expect: answers(401, 404, 200, 200, 200, 200) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}/results": { expect: answers(401, 404, 200, 200, 200, 200) },

  // Systems and archives: admins change, members read.
  "POST /v3/workflows/groups/{group_id}/systems": { expect: answers(401, 404, 403, 201, 201, 403), body: (c) => ({ id: `sys-${c}`, type: "local", root_dir: `sys-${c}` }) },
  "GET /v3/workflows/groups/{group_id}/systems": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/systems/{system_id}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "DELETE /v3/workflows/groups/{group_id}/systems/{system_id}": { expect: answers(401, 404, 403, 200, 200, 403), params: { system_id: each("sys") } },
  "POST /v3/workflows/groups/{group_id}/apps": { expect: answers(401, 404, 403, 201, 201, 403), body: (c) => ({ id: `app-${c}`, version: "1", command: ["true"] }) },
  "GET /v3/workflows/groups/{group_id}/apps": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/apps/{app_id}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/apps/{app_id}/versions/{version}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "DELETE /v3/workflows/groups/{group_id}/apps/{app_id}/versions/{version}": { expect: answers(401, 404, 403, 200, 200, 403), params: { app_id: each("app") } },
  "POST /v3/workflows/groups/{group_id}/archives": { expect: answers(401, 404, 403, 201, 201, 403), body: (c) => ({ id: `arch-${c}`, type: "system", system_id: "disk", archive_dir: `arch-${c}` }) },
  "GET /v3/workflows/groups/{group_id}/archives": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/archives/{archive_id}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "DELETE /v3/workflows/groups/{group_id}/archives/{archive_id}": { expect: answers(401, 404, 403, 200, 200, 403), params: { archive_id: each("arch") } },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/archives": { expect: answers(401, 404, 200, 200, 200, 403) },

  // Actors: any member makes them, reads them and sends them messages; the owner of one (here the group's owner) or an admin changes or deletes it.
  "POST /v3/workflows/groups/{group_id}/actors": { expect: answers(401, 404, 201, 201, 201, 403), body: (c) => ({ id: `made-${c}`, image: "localhost/busybox:test" }) },
  "GET /v3/workflows/groups/{group_id}/actors": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/actors/{actor_id}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "PUT /v3/workflows/groups/{group_id}/actors/{actor_id}": { expect: answers(401, 404, 403, 200, 200, 403), params: { actor_id: each("act") }, body: () => ({ image: "localhost/busybox:test", max_workers: 2 }) },
  "DELETE /v3/workflows/groups/{group_id}/actors/{actor_id}": { expect: answers(401, 404, 403, 200, 200, 403), params: { actor_id: each("act") } },
  "POST /v3/workflows/groups/{group_id}/actors/{actor_id}/messages": { expect: answers(401, 404, 201, 201, 201, 403), body: (c) => ({ message: `from ${c}` }) },
  "GET /v3/workflows/groups/{group_id}/actors/{actor_id}/executions": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/actors/{actor_id}/executions/{execution_id}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/actors/{actor_id}/executions/{execution_id}/logs": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/actors/{actor_id}/executions/{execution_id}/result": { expect: answers(401, 404, 200, 200, 200, 403) },

  // Images: the group has none, so the digest is "not found" to those who may ask.
  "GET /v3/workflows/engine": { expect: answers(401, 200, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/images": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/images/resolve": { expect: answers(401, 404, 404, 404, 404, 403), query: "?ref=matrix%3Anone" },
  "GET /v3/workflows/groups/{group_id}/images/{digest}": { expect: answers(401, 404, 404, 404, 404, 403) },
  "POST /v3/workflows/groups/{group_id}/images/{digest}/bad": { expect: answers(401, 404, 403, 404, 404, 403), body: () => ({ reason: "matrix" }) },
  "POST /v3/workflows/groups/{group_id}/images/{digest}/rerun": { expect: answers(401, 404, 403, 404, 404, 403), body: () => ({ rebuild: true }) },
  "GET /v3/workflows/groups/{group_id}/images/shared": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/images/{digest}/shares": { expect: answers(401, 404, 200, 200, 200, 403) },
  "POST /v3/workflows/groups/{group_id}/images/{digest}/shares": { expect: answers(401, 404, 403, 404, 404, 403), body: () => ({ group_id: "mx-doomed" }) },
  "DELETE /v3/workflows/groups/{group_id}/images/{digest}/shares/{shared_with}": { expect: answers(401, 404, 403, 404, 404, 403), params: { shared_with: () => "mx-doomed" } },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/provenance": { expect: answers(401, 404, 200, 200, 200, 403) },

  // Triggers: the pipeline's owner or a group admin manages webhooks, members read them; a run's token does neither.
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks": { expect: answers(401, 404, 403, 201, 201, 403), body: () => ({ type: "generic" }) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks": { expect: answers(401, 404, 200, 200, 200, 403) },
  "DELETE /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks/{webhook_uuid}": { expect: answers(401, 404, 403, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/webhooks/{webhook_uuid}/deliveries": { expect: answers(401, 404, 200, 200, 200, 403), params: { webhook_uuid: (_c, f) => f.webhooks.owner! } },
  // Any member schedules runs as themselves; only the creator changes a schedule, the creator or an admin deletes it.
  "POST /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules": { expect: answers(401, 404, 201, 201, 201, 403), body: () => ({ cron: "0 0 1 1 *", enabled: false }) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules": { expect: answers(401, 404, 200, 200, 200, 403) },
  "GET /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules/{schedule_uuid}": { expect: answers(401, 404, 200, 200, 200, 403) },
  "PATCH /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules/{schedule_uuid}": { expect: answers(401, 404, 403, 403, 200, 403), body: () => ({ params: { changed: "yes" } }) },
  "DELETE /v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/schedules/{schedule_uuid}": { expect: answers(401, 404, 403, 200, 200, 403) },
  // The receiver takes no token: an unsigned delivery is 401 whoever sends it, a token changes nothing.
  "POST /v3/workflows/webhooks/{webhook_uuid}": { expect: answers(401, 401, 401, 401, 401, 401), params: { webhook_uuid: (_c, f) => f.webhooks.owner! } },
};

const METHOD_PHASE: Record<string, number> = { GET: 0, POST: 1, PUT: 2, PATCH: 3, DELETE: 4 };

/** A pipeline whose first task leaks its token (a comma after each character, which no masking recognises) and whose second holds the run open. */
const holder = {
  id: "holder",
  execution_profile: { runtime: "host", max_exec_time: 900 },
  tasks: [
    { id: "leak", type: "function", runtime: "bash", inject_api_token: true, output: { spread: { type: "string" } }, code: b64('printf %s "$CAIRN_API_TOKEN" | sed "s/./&,/g" > "$CAIRN_OUTPUTS_DIR/spread"') },
    { id: "hold", type: "function", runtime: "bash", depends_on: [{ id: "leak" }], code: b64("sleep 600") },
  ],
};

let postgres: PostgresServer | undefined;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const DATABASES = [
  { name: "SQLite", start: () => startTestServer() },
  { name: "PostgreSQL", start: async () => startTestServer({ databaseUrl: await createDatabase(postgres!.url, "authorization_matrix") }) },
];

describe.each(DATABASES)("authorization matrix on $name", (database) => {
  let server: TestServer;
  const clients = {} as Record<Caller, ApiClient>;
  let fixture: Fixture;
  let holderPath = "";

  beforeAll(async () => {
    server = await database.start();
    const anon = new ApiClient(server.url);
    clients.anonymous = anon;
    for (const c of ["owner", "admin", "member", "outsider"] as const) clients[c] = await newUser(anon, `mx-${c}`);
    const { owner } = clients;
    const users = [{ username: "mx-admin", is_admin: true }, { username: "mx-member" }, ...CALLERS.map((c) => ({ username: `victim-${c}` }))];
    for (const id of ["mx", "mx-doomed"]) expect((await owner.post(`${W}/groups`, { id, users })).status).toBe(201);
    for (const p of [hostPipeline("hello"), hostPipeline("edit-me"), holder]) expect((await owner.post(`${W}/groups/mx/pipelines`, p)).status).toBe(201);
    expect((await owner.post(`${W}/groups/mx/systems`, { id: "disk", type: "local", root_dir: "disk" })).status).toBe(201);
    expect((await owner.post(`${W}/groups/mx/archives`, { id: "arch", type: "system", system_id: "disk", archive_dir: "arch" })).status).toBe(201);
    expect((await owner.post(`${W}/groups/mx/apps`, { id: "tool", version: "1", command: ["true"] })).status).toBe(201);
    const identities: Fixture["identities"] = {};
    for (const c of ["owner", "admin", "member", "outsider"] as const) {
      const made = await clients[c].post(`${W}/identities`, { type: "github", name: "mine", credentials: { username: "u", personal_access_token: "matrix-pat-value" } });
      identities[c] = made.body.result.uuid;
    }

    const started = await owner.post(`${W}/groups/mx/pipelines/hello/events`, { params: { name: "matrix" } });
    const runPath = `${W}/groups/mx/pipelines/hello/runs/${started.body.result.uuid}`;
    expect(await waitForRun(owner, runPath)).toMatchObject({ status: "succeeded" });
    const executions = (await owner.get(`${runPath}/executions`)).body.result as { uuid: string; task_id: string }[];
    const kabuto = await owner.post("/pipeline", { name: "the owner's" });
    expect(kabuto.status).toBe(201);
        const webhooks: Fixture["webhooks"] = {};
    for (const c of CALLERS) webhooks[c] = (await owner.post(`${W}/groups/mx/pipelines/hello/webhooks`, { type: "generic" })).body.result.uuid;
    const schedules: Fixture["schedules"] = {};
    for (const c of CALLERS) schedules[c] = (await owner.post(`${W}/groups/mx/pipelines/hello/schedules`, { cron: "0 0 1 1 *", enabled: false })).body.result.uuid;
    const actorCommand = ["sh", "-c", 'echo "$MSG"; printf done > /cairn/outputs/result'];
    expect((await owner.post(`${W}/groups/mx/actors`, { id: "act", image: "localhost/busybox:test", command: actorCommand })).status).toBe(201);
    for (const c of CALLERS) expect((await owner.post(`${W}/groups/mx/actors`, { id: `act-${c}`, image: "localhost/busybox:test" })).status).toBe(201);
    const sent = await owner.post(`${W}/groups/mx/actors/act/messages`, { message: "fixture" });
    const actorExecution = sent.body.result.execution_id as string;
    for (let i = 0; i < 1200; i++) {
      if ((await owner.get(`${W}/groups/mx/actors/act/executions/${actorExecution}`)).body.result.status === "COMPLETED") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    fixture = {
      runUuid: started.body.result.uuid,
      executionUuid: executions.find((e) => e.task_id === "greet")!.uuid,
      kabutoPipeline: kabuto.body.id,
      identities,
      webhooks,
      schedules,
      actorExecution,
    };

    const held = await owner.post(`${W}/groups/mx/pipelines/holder/events`, {});
    holderPath = `${W}/groups/mx/pipelines/holder/runs/${held.body.result.uuid}`;
    let leaked: string | undefined;
    for (let i = 0; i < 600 && leaked === undefined; i++) {
      const list = (await owner.get(`${holderPath}/executions`)).body.result as { task_id: string; status: string; outputs: Record<string, string> }[];
      leaked = list.find((e) => e.task_id === "leak" && e.status === "succeeded")?.outputs.spread;
      if (leaked === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(leaked, "the holder run's token").toBeDefined();
    clients.run = anon.as(leaked!.trim().replaceAll(",", ""));
  });
  afterAll(async () => {
    if (holderPath !== "" && clients.owner) await clients.owner.post(`${holderPath}/cancel`).catch(() => undefined);
    await server?.close();
  });

  async function operations(): Promise<{ method: string; path: string }[]> {
    const doc = (await clients.anonymous.get("/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
  }

  it("has one row for every route and method of the OpenAPI document, and no other", async () => {
    const documented = (await operations()).map((o) => `${o.method} ${o.path}`);
    expect(documented.filter((key) => !(key in MATRIX)), "routes the matrix lacks").toEqual([]);
    expect(Object.keys(MATRIX).filter((key) => !documented.includes(key)), "rows for no route").toEqual([]);
  });

  it("answers every caller of every route as the matrix says", async () => {
    const ops = (await operations()).filter((o) => `${o.method} ${o.path}` in MATRIX);
    const phaseOf = (o: { method: string; path: string }) => MATRIX[`${o.method} ${o.path}`]!.phase ?? METHOD_PHASE[o.method] ?? 5;
    ops.sort((a, b) => phaseOf(a) - phaseOf(b));
    const failures: string[] = [];
    let cells = 0;
    for (const op of ops) {
      const row = MATRIX[`${op.method} ${op.path}`]!;
      // The owner last, so that a call only the owner may make does not change the others' answers.
      for (const caller of [...CALLERS.filter((c) => c !== "owner"), "owner" as const]) {
        const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent((row.params?.[name] ?? DEFAULT_PARAMS[name]!)(caller, fixture))) + (row.query ?? "");
        const res = await clients[caller].request(op.method, path, row.body?.(caller) ?? (op.method === "GET" || op.method === "DELETE" ? undefined : {}));
        cells++;
        const wanted = row.expect[caller];
        if (res.status !== wanted) failures.push(`${op.method} ${op.path} as ${caller}: expected ${wanted}, got ${res.status} (${res.text.slice(0, 200)})`);
        else if (res.status >= 400 && (res.body as { success?: boolean }).success !== false) failures.push(`${op.method} ${op.path} as ${caller}: ${res.status} without the error envelope`);
      }
    }
    console.log(`authorization matrix on ${database.name}: ${cells} cells checked, ${failures.length} failing`);
    expect(cells).toBe(Object.keys(MATRIX).length * CALLERS.length);
    expect(failures).toEqual([]);
    // The run's token was alive throughout: its refusals were the route's, not a dead token's.
    expect((await clients.run.get(holderPath)).status).toBe(200);
  });
});

