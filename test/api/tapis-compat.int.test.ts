import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { hostPipeline } from "./api.suite.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/**
 * What a client written against tapis-workflows.txt reads and writes: pipelines and
 * tasks in the documented shape, the Security Kernel's `value_from`, and a user's
 * personal group `~LOGIN` (where Kabuto's routes put their pipelines) at the Tapis paths.
 */

const W = "/v3/workflows";
let server: TestServer;
let anon: ApiClient;
let grace: ApiClient;
let linus: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  anon = new ApiClient(server.url);
  grace = await newUser(anon, "grace");
  linus = await newUser(anon, "linus");
  expect((await grace.post(`${W}/groups`, { id: "compat" })).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe("pipelines and tasks in Tapis' documented shape", () => {
  const pipeline = {
    ...hostPipeline("shapes"),
    execution_profile: { runtime: "host", max_exec_time: 60, max_retries: 2 },
  };
  pipeline.tasks[1] = { ...pipeline.tasks[1]!, execution_profile: { max_exec_time: 30, retry_policy: "fixed" } } as never;

  it("answers every documented field, the profile flattened, and a stable uuid per task", async () => {
    expect((await grace.post(`${W}/groups/compat/pipelines`, pipeline)).status).toBe(201);
    const got = (await grace.get(`${W}/groups/compat/pipelines/shapes`)).body.result;
    expect(got).toMatchObject({
      id: "shapes",
      owner: "grace",
      invocation_mode: "async",
      max_exec_time: 60,
      max_retries: 2,
      retry_policy: "exponential_backoff",
      current_run: null,
      last_run: null,
      group: expect.any(String),
      uuid: expect.any(String),
    });
    // Cairn's own fields are still there: the definition as submitted.
    expect(got.execution_profile).toEqual(pipeline.execution_profile);
    const [greet, shout] = got.tasks;
    const documented = ["id", "cache", "depends_on", "description", "input", "invocation_mode", "max_exec_time", "max_retries", "output", "pipeline", "poll", "retry_policy", "type", "uuid", "builder", "context", "destination", "auth", "data", "headers", "http_method", "protocol", "query_params", "url", "image", "tapis_job_def", "tapis_actor_id"];
    for (const task of got.tasks) expect(Object.keys(task)).toEqual(expect.arrayContaining(documented));
    expect(greet).toMatchObject({ id: "greet", pipeline: got.uuid, description: null, poll: null, image: null, tapis_job_def: null, cache: false, depends_on: [], max_exec_time: 60, max_retries: 2 });
    // A task inherits the pipeline's profile field by field, over Cairn's defaults.
    expect(shout).toMatchObject({ id: "shout", max_exec_time: 30, retry_policy: "fixed", max_retries: 2, invocation_mode: "async", depends_on: [{ id: "greet" }] });
    expect(greet.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(greet.uuid).not.toBe(shout.uuid);

    const one = (await grace.get(`${W}/groups/compat/pipelines/shapes/tasks/greet`)).body.result;
    expect(one.uuid).toBe(greet.uuid);
    expect(one).toMatchObject({ max_exec_time: 60, output: { greeting: { type: "string" } }, group: got.group });
    const listed = (await grace.get(`${W}/groups/compat/pipelines/shapes/tasks`)).body.result;
    expect(listed.map((t: { uuid: string }) => t.uuid)).toEqual([greet.uuid, shout.uuid]);
    // Another pipeline's task of the same id has another uuid.
    expect((await grace.post(`${W}/groups/compat/pipelines`, hostPipeline("shapes-too"))).status).toBe(201);
    const other = (await grace.get(`${W}/groups/compat/pipelines/shapes-too/tasks/greet`)).body.result;
    expect(other.uuid).not.toBe(greet.uuid);
  });

  it("names the latest run in last_run", async () => {
    const run = (await grace.post(`${W}/groups/compat/pipelines/shapes/events`, { params: { name: { value: "x" } } })).body.result;
    await waitForRun(grace, `${W}/groups/compat/pipelines/shapes/runs/${run.uuid}`);
    const got = (await grace.get(`${W}/groups/compat/pipelines/shapes`)).body.result;
    expect(got).toMatchObject({ last_run: run.uuid, current_run: null });
  });
});

describe("env value_from the Tapis Security Kernel", () => {
  it("reads a secret of the group, named as the documented example names it", async () => {
    const value = "sk-held-password-31337";
    expect((await grace.put(`${W}/groups/compat/secrets/some+sk+id`, { value })).status).toBe(200);
    const digest = createHash("sha256").update(value).digest("hex");
    const created = await grace.post(`${W}/groups/compat/pipelines`, {
      id: "kernel",
      execution_profile: { runtime: "host", max_exec_time: 60 },
      env: { TAPIS_USERNAME: "someusername", TAPIS_PASSWORD: { value_from: { "tapis-security-kernel": "some+sk+id" } } },
      tasks: [
        {
          id: "check",
          type: "function",
          runtime: "bash",
          input: { PASSWORD: { type: "string", value_from: { env: "TAPIS_PASSWORD" } } },
          code: b64(`[ "$(printf %s "$PASSWORD" | sha256sum | cut -d' ' -f1)" = ${digest} ] || { echo "not the secret"; exit 1; }`),
        },
      ],
    });
    expect(created.status, created.text).toBe(201);
    // Stored as Cairn's own spelling of the same reference; never the value.
    expect(created.body.result.env.TAPIS_PASSWORD).toEqual({ value_from: { secret: "some+sk+id" } });
    const run = (await grace.post(`${W}/groups/compat/pipelines/kernel/events`, {})).body.result;
    const final = await waitForRun(grace, `${W}/groups/compat/pipelines/kernel/runs/${run.uuid}`);
    expect(final.status).toBe("succeeded");
  });

  it("refuses another source, naming the three it takes", async () => {
    const bad = await grace.post(`${W}/groups/compat/pipelines`, { ...hostPipeline("bad-env"), env: { X: { value_from: { vault: "x" } } } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("secret, tapis-security-kernel or params");
  });
});

describe("the personal group ~LOGIN at the Tapis paths", () => {
  it("exists for its user from the first request, with its user as owner", async () => {
    const got = await grace.get(`${W}/groups/~grace`);
    expect(got.status, got.text).toBe(200);
    expect(got.body.result).toMatchObject({ id: "~grace", owner: "grace", users: [{ username: "grace", is_admin: true }] });
    expect((await grace.get(`${W}/groups`)).body.result.map((g: { id: string }) => g.id)).toContain("~grace");
  });

  it("holds pipelines and runs like any group", async () => {
    expect((await grace.post(`${W}/groups/~grace/pipelines`, hostPipeline("mine"))).status).toBe(201);
    const run = (await grace.post(`${W}/groups/~grace/pipelines/mine/events`, { params: { name: { value: "me" } } })).body.result;
    expect((await waitForRun(grace, `${W}/groups/~grace/pipelines/mine/runs/${run.uuid}`)).status).toBe("succeeded");
    expect((await grace.get(`${W}/groups/~grace/pipelines/mine/runs`)).body.result.map((r: { uuid: string }) => r.uuid)).toEqual([run.uuid]);
  });

  it("is invisible to everyone else, and never made for them", async () => {
    for (const path of [`${W}/groups/~grace`, `${W}/groups/~grace/pipelines`, `${W}/groups/~grace/pipelines/mine`]) {
      expect((await linus.get(path)).status, path).toBe(404);
    }
    expect((await anon.get(`${W}/groups/~grace`)).status).toBe(401);
    // Asking for a personal group that is not yours does not make it.
    expect((await linus.get(`${W}/groups/~nobody`)).status).toBe(404);
    expect((await grace.get(`${W}/groups`)).body.result.map((g: { id: string }) => g.id)).not.toContain("~nobody");
  });

  it("keeps one member, and cannot be made by POST /groups", async () => {
    const add = await grace.post(`${W}/groups/~grace/users`, { username: "linus" });
    expect(add.status).toBe(409);
    expect(add.body.message).toContain("personal group");
    expect((await grace.delete(`${W}/groups/~grace/users/grace`)).status).toBe(409);
    const made = await linus.post(`${W}/groups`, { id: "~linus2" });
    expect(made.status).toBe(400);
    expect(made.text).toContain("id");
    // A malformed id is still refused at the path, naming the rule.
    const bad = await grace.get(`${W}/groups/~~grace`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("~LOGIN");
  });
});
