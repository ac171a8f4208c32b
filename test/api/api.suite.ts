import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { zipTexts } from "../support/zip-entries.js";

/**
 * The REST API over HTTP against a real server: run once on SQLite and once on
 * PostgreSQL (api-sqlite.int.test.ts, api-postgres.int.test.ts).
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

/** Two host tasks: `greet` writes an output from a param and a secret-free input, `shout` upper-cases it. */
export function hostPipeline(id = "hello") {
  return {
    id,
    execution_profile: { runtime: "host", max_exec_time: 60 },
    tasks: [
      {
        id: "greet",
        type: "function",
        runtime: "bash",
        input: { NAME: { type: "string", value_from: { params: "name" } } },
        output: { greeting: { type: "string" } },
        code: b64('echo "hello $NAME"; echo "to stderr" >&2; printf "hello %s" "$NAME" > "$CAIRN_OUTPUTS_DIR/greeting"'),
      },
      {
        id: "shout",
        type: "function",
        runtime: "bash",
        depends_on: [{ id: "greet" }],
        input: { TEXT: { type: "string", value_from: { task_output: { task_id: "greet", output_id: "greeting" } } } },
        code: b64('echo "$TEXT" | tr a-z A-Z'),
      },
    ],
  };
}

export function describeApiSuite(name: string, makeServer: () => Promise<TestServer>): void {
  describe(`REST API on ${name}`, () => {
    let server: TestServer;
    let anon: ApiClient;
    let ada: ApiClient;

    beforeAll(async () => {
      server = await makeServer();
      anon = new ApiClient(server.url);
      ada = await newUser(anon, "ada");
    });
    afterAll(async () => {
      await server?.close();
    });

    describe("accounts", () => {
      it("registers with a form body, confirms, and logs in with a cookie", async () => {
        const reg = await anon.request("POST", "/register", "login=me&password=SecreT-123&email=me%40example.org", { "content-type": "application/x-www-form-urlencoded" });
        expect(reg.status).toBe(201);
        expect(reg.body).toMatchObject({ status: "registered", token: expect.any(String) });
        const early = await anon.request("POST", "/login", "login=me&password=SecreT-123", { "content-type": "application/x-www-form-urlencoded" });
        expect(early.status).toBe(403);
        expect(early.body.message).toContain("confirm");
        expect((await anon.get(`/register/confirm/me/wrong-token`)).status).toBe(404);
        expect((await anon.get(`/register/confirm/me/${reg.body.token}`)).status).toBe(200);
        const login = await anon.request("POST", "/login", "login=me&password=SecreT-123", { "content-type": "application/x-www-form-urlencoded" });
        expect(login.status).toBe(200);
        const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
        expect(cookie).toMatch(/^cairn_token=/);
        const groups = await anon.get(`${W}/groups`, { cookie });
        expect(groups.status).toBe(200);
        expect(groups.body).toEqual({ success: true, status: 200, message: "Success", result: [] });
        // Found among other cookies; a header's token comes first, and a stale cookie does not stop /login.
        expect((await anon.get(`${W}/groups`, { cookie: `theme=dark; ${cookie}; lang=en` })).status).toBe(200);
        expect((await anon.get(`${W}/groups`, { cookie: "cairn_token=stale", "x-tapis-token": cookie.slice("cairn_token=".length) })).status).toBe(200);
        expect((await anon.get(`${W}/groups`, { cookie: "cairn_token=stale" })).body.message).toBe("the token is not valid");
        const again = await anon.request("POST", "/login", "login=me&password=SecreT-123", { "content-type": "application/x-www-form-urlencoded", cookie: "cairn_token=stale" });
        expect(again.status).toBe(200);
      });

      it("reads multipart bodies only where uploads are taken: elsewhere such a body fails the route's schema", async () => {
        const form = '--X\r\nContent-Disposition: form-data; name="id"\r\n\r\nforms\r\n--X--\r\n';
        const answer = await ada.request("POST", `${W}/groups`, form, { "content-type": "multipart/form-data; boundary=X" });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ success: false, status: 400, result: { code: "invalid_input" } });
        expect(answer.body.message).toMatch(/^the body is invalid/);
        expect((await ada.get(`${W}/groups/forms`)).status).toBe(404);
      });

      it("accepts the token as X-Tapis-Token and as a bearer token, and refuses it after log-out", async () => {
        const bob = await newUser(anon, "logout-user");
        expect((await anon.get(`${W}/groups`, { authorization: `Bearer ${bob.token}` })).status).toBe(200);
        expect((await bob.post("/logout")).status).toBe(200);
        const after = await bob.get(`${W}/groups`);
        expect(after.status).toBe(401);
        expect(after.body.message).toContain("revoked");
      });

      it("refuses a wrong password, a taken login, a short password and anonymous calls", async () => {
        expect((await anon.post("/v3/oauth2/tokens", { username: "ada", password: "nope", grant_type: "password" })).status).toBe(401);
        expect((await anon.post("/register", { login: "ada", password: "long-enough-1", email: "a@b.org" })).status).toBe(409);
        const short = await anon.post("/register", { login: "shorty", password: "x", email: "a@b.org" });
        expect(short.status).toBe(400);
        expect(short.body.message).toContain("body.password");
        const noToken = await anon.get(`${W}/groups`);
        expect(noToken.status).toBe(401);
        expect(noToken.body).toMatchObject({ success: false, status: 401 });
        expect((await anon.get(`${W}/groups`, { "x-tapis-token": "not.a.token" })).status).toBe(401);
      });

      it("created the first admin from configuration", async () => {
        const admin = await anon.post("/v3/oauth2/tokens", { username: "admin", password: ADMIN_PASSWORD, grant_type: "password" });
        expect(admin.status).toBe(201);
      });
    });

    describe("groups", () => {
      it("creates a group with the caller as owner, as in the quickstart", async () => {
        const res = await ada.post(`${W}/groups`, { id: "lab", users: [{ username: "bob", is_admin: true }] });
        expect(res.status).toBe(201);
        expect(res.body.result).toMatchObject({ id: "lab", owner: "ada", tenant_id: "cairn" });
        const users = res.body.result.users.map((u: any) => [u.username, u.is_admin]);
        expect(users).toEqual([
          ["ada", true],
          ["bob", true],
        ]);
        const got = await ada.get(`${W}/groups/lab`);
        expect(got.body.result.uuid).toBe(res.body.result.uuid);
        expect((await ada.post(`${W}/groups`, { id: "lab" })).status).toBe(409);
      });

      it("rejects bad ids, unknown fields and malformed JSON, changing nothing", async () => {
        const bad = await ada.post(`${W}/groups`, { id: "has space", extra: 1 });
        expect(bad.status).toBe(400);
        expect(bad.body.message).toContain("body.id");
        const malformed = await ada.request("POST", `${W}/groups`, "{not json", { "content-type": "application/json" });
        expect(malformed.status).toBe(400);
        expect(malformed.body.message).toContain("not valid JSON");
        const huge = await ada.post(`${W}/groups`, { id: "big", users: [], pad: "x".repeat(2 * 1024 * 1024) });
        expect(huge.status).toBe(413);
        expect((await ada.get(`${W}/groups`)).body.result.map((g: any) => g.id)).toEqual(["lab"]);
      });
    });

    describe("pipelines and runs", () => {
      let runPath: string;

      it("lists every problem of an invalid pipeline with its path, storing nothing", async () => {
        const res = await ada.post(`${W}/groups/lab/pipelines`, { id: "bad", tasks: [{ id: "a", type: "function" }, { id: "a", type: "nope" }] });
        expect(res.status).toBe(400);
        const paths = res.body.result.issues.map((i: any) => i.path);
        expect(paths).toEqual(expect.arrayContaining(["tasks[0].runtime", "tasks[1].type"]));
        expect((await ada.get(`${W}/groups/lab/pipelines/bad`)).status).toBe(404);
      });

      it("creates a pipeline, lists it and shows its tasks", async () => {
        const res = await ada.post(`${W}/groups/lab/pipelines`, hostPipeline());
        expect(res.status).toBe(201);
        expect(res.body.result).toMatchObject({ id: "hello", owner: "ada", current_run: null, last_run: null });
        expect((await ada.post(`${W}/groups/lab/pipelines`, hostPipeline())).status).toBe(409);
        const tasks = await ada.get(`${W}/groups/lab/pipelines/hello/tasks`);
        expect(tasks.body.result.map((t: any) => t.id)).toEqual(["greet", "shout"]);
        expect((await ada.get(`${W}/groups/lab/pipelines/hello/tasks/shout`)).body.result.depends_on).toEqual([{ id: "greet", can_fail: false }]);
      });

      it("runs it from an event with params, and reports the run and its executions", async () => {
        const event = await ada.post(`${W}/groups/lab/pipelines/hello/events`, { params: { name: { value: "world" } } });
        expect(event.status).toBe(201);
        const run = event.body.result;
        runPath = `${W}/groups/lab/pipelines/hello/runs/${run.uuid}`;
        const final = await waitForRun(ada, runPath);
        expect(final.status).toBe("succeeded");
        const executions = (await ada.get(`${runPath}/executions`)).body.result;
        expect(executions.map((e: any) => [e.task_id, e.status])).toEqual([
          ["greet", "succeeded"],
          ["shout", "succeeded"],
        ]);
        expect(executions[0].outputs).toEqual({ greeting: "hello world" });
        const list = await ada.get(`${W}/groups/lab/pipelines/hello/runs`);
        expect(list.body.result.map((r: any) => r.uuid)).toContain(run.uuid);
        expect((await ada.get(`${W}/groups/lab/pipelines/hello`)).body.result.last_run).toBe(run.uuid);
      });

      it("shows what each execution used: used_cpu, used_memory, used_io", async () => {
        // The write comes first: the figures are those of the last reading while the task runs (UsageSampler).
        const busy = 'head -c 1048576 /dev/zero > "$CAIRN_OUTPUTS_DIR/blob"; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done';
        const pipeline = { id: "busy", execution_profile: { runtime: "host", max_exec_time: 60 }, tasks: [{ id: "burn", type: "function", runtime: "bash", code: b64(busy) }] };
        expect((await ada.post(`${W}/groups/lab/pipelines`, pipeline)).status).toBe(201);
        const run = (await ada.post(`${W}/groups/lab/pipelines/busy/events`, {})).body.result;
        const path = `${W}/groups/lab/pipelines/busy/runs/${run.uuid}`;
        expect((await waitForRun(ada, path)).status).toBe("succeeded");
        const [e] = (await ada.get(`${path}/executions`)).body.result;
        // About 0.3 s of CPU here; read from /proc while it runs, so the very end may be missed.
        expect(e.used_cpu).toBeGreaterThan(0.05);
        expect(e.used_memory).toBeGreaterThan(1024 * 1024);
        expect(e.used_io_written).toBeGreaterThanOrEqual(1024 * 1024);
        expect(e.used_io).toBe(e.used_io_read + e.used_io_written);
        const one = (await ada.get(`${path}/executions/${e.uuid}`)).body.result;
        expect(one).toMatchObject({ used_cpu: e.used_cpu, used_memory: e.used_memory, used_io: e.used_io });
      });

      it("serves logs as text, incrementally with ids, and as server-sent events", async () => {
        const executions = (await ada.get(`${runPath}/executions`)).body.result;
        const logs = `${runPath}/executions/${executions[0].uuid}/logs`;
        const text = await ada.get(logs);
        expect(text.headers.get("content-type")).toContain("text/plain");
        expect(text.text).toContain("hello world\n");
        expect(text.text).toContain("to stderr\n");
        const all = await ada.get(`${logs}?since=0`);
        const lines = all.body.result.lines;
        expect(lines.length).toBeGreaterThanOrEqual(2);
        expect(all.body.result.complete).toBe(true);
        const after = await ada.get(`${logs}?since=${lines[0].id}`);
        expect(after.body.result.lines).toEqual(lines.slice(1));
        const sse = await ada.get(logs, { accept: "text/event-stream" });
        expect(sse.headers.get("content-type")).toContain("text/event-stream");
        expect(sse.text).toContain(`id: ${lines[0].id}\nevent: line\n`);
        expect(sse.text).toMatch(/event: end\ndata: \{"status":"succeeded"/);
      });

      it("streams a running task's log live, then ends", async () => {
        const slow = hostPipeline("slow");
        slow.tasks = [{ id: "tick", type: "function", runtime: "bash", code: b64("for i in 1 2 3; do echo tick $i; sleep 0.3; done") } as any];
        expect((await ada.post(`${W}/groups/lab/pipelines`, slow)).status).toBe(201);
        const run = (await ada.post(`${W}/groups/lab/pipelines/slow/events`)).body.result;
        const path = `${W}/groups/lab/pipelines/slow/runs/${run.uuid}`;
        let executions: any[] = [];
        for (let i = 0; i < 100 && executions.length === 0; i++) executions = (await ada.get(`${path}/executions`)).body.result;
        const began = Date.now();
        const res = await fetch(`${server.url}${path}/executions/${executions[0].uuid}/logs`, { headers: { accept: "text/event-stream", "x-tapis-token": ada.token! } });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let received = "";
        let firstTickAt = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += decoder.decode(value);
          if (!firstTickAt && received.includes("tick 1")) firstTickAt = Date.now();
        }
        expect(received).toContain("tick 3");
        expect(received).toContain("event: end");
        // The first line arrived while the task was still running, not all at the end.
        expect(Date.now() - firstTickAt).toBeGreaterThan(300);
        expect(firstTickAt - began).toBeLessThan(2000);
      });

      it("gives the results of a run and of one execution as zips", async () => {
        const zip = await fetch(`${server.url}${runPath}/results`, { headers: { "x-tapis-token": ada.token! } });
        expect(zip.headers.get("content-type")).toBe("application/zip");
        const entries = await zipTexts(Buffer.from(await zip.arrayBuffer()));
        expect(entries.get("greet/output/greeting")).toBe("hello world");
        expect(entries.get("greet/output/.stdout")).toBe("hello world\n");
        expect(entries.get("greet/output/.stderr")).toBe("to stderr\n");
        expect(entries.get("shout/output/.stdout")).toBe("HELLO WORLD\n");
        const executions = (await ada.get(`${runPath}/executions`)).body.result;
        const one = await fetch(`${server.url}${runPath}/executions/${executions[1].uuid}/results`, { headers: { "x-tapis-token": ada.token! } });
        expect([...(await zipTexts(Buffer.from(await one.arrayBuffer()))).keys()].sort()).toEqual(["output/.stderr", "output/.stdout"]);
      });

      it("cancels a running run and re-runs a finished one", async () => {
        const sleepy = { id: "sleepy", execution_profile: { runtime: "host" }, tasks: [{ id: "nap", type: "function", runtime: "bash", code: b64("sleep 30") }] };
        expect((await ada.post(`${W}/groups/lab/pipelines`, sleepy)).status).toBe(201);
        const run = (await ada.post(`${W}/groups/lab/pipelines/sleepy/events`)).body.result;
        const path = `${W}/groups/lab/pipelines/sleepy/runs/${run.uuid}`;
        await new Promise((r) => setTimeout(r, 300));
        expect((await ada.post(`${path}/cancel`)).status).toBe(200);
        expect((await waitForRun(ada, path, 15_000)).status).toBe("cancelled");
        const rerun = await ada.post(`${runPath}/rerun`);
        expect(rerun.status).toBe(201);
        expect(rerun.body.result.params).toEqual({ name: "world" });
        expect((await waitForRun(ada, `${W}/groups/lab/pipelines/hello/runs/${rerun.body.result.uuid}`)).status).toBe("succeeded");
      });

      it("rejects a bad event: unknown fields, malformed directives, an unknown pipeline", async () => {
        const unknown = await ada.post(`${W}/groups/lab/pipelines/hello/events`, { parms: {} });
        expect(unknown.status).toBe(400);
        const directives = await ada.post(`${W}/groups/lab/pipelines/hello/events`, { commit_message: "fix [bad directive!]" });
        expect(directives.status).toBe(400);
        expect(directives.body.message).toContain("directive");
        expect((await ada.post(`${W}/groups/lab/pipelines/nope/events`)).status).toBe(404);
        expect((await ada.get(`${W}/groups/lab/pipelines/hello/runs/not-a-uuid`)).status).toBe(400);
      });

      it("records a dry_run directive without starting anything", async () => {
        const res = await ada.post(`${W}/groups/lab/pipelines/hello/events`, { directives: ["dry_run"] });
        expect(res.status).toBe(201);
        expect(res.body.result.status).toBe("succeeded");
        expect((await ada.get(`${W}/groups/lab/pipelines/hello/runs/${res.body.result.uuid}/executions`)).body.result).toEqual([]);
      });
    });

    describe("identities and secrets", () => {
      it("stores identities without ever returning their credentials", async () => {
        const res = await ada.post(`${W}/identities`, {
          type: "github",
          name: "my-github-identity",
          description: "My github identity",
          credentials: { username: "ada-gh", personal_access_token: "ghp_supersecretvalue123" },
        });
        expect(res.status).toBe(201);
        expect(res.text).not.toContain("ghp_supersecretvalue123");
        const list = await ada.get(`${W}/identities`);
        expect(list.text).not.toContain("ghp_supersecretvalue123");
        expect(list.body.result.map((i: any) => i.name)).toEqual(["my-github-identity"]);
        const bob = await newUser(anon, "identity-outsider");
        expect((await bob.get(`${W}/identities/${res.body.result.uuid}`)).status).toBe(404);
        const wrong = await ada.post(`${W}/identities`, { type: "github", name: "x", credentials: { username: "a" } });
        expect(wrong.status).toBe(400);
      });

      it("passes a group secret to a task, never showing it in logs, answers or the database", async () => {
        const secret = "s3cr3t-value-for-the-api-test";
        expect((await ada.put(`${W}/groups/lab/secrets/DB_PASSWORD`, { value: secret })).status).toBe(200);
        const pipeline = {
          id: "uses-secret",
          execution_profile: { runtime: "host" },
          tasks: [
            {
              id: "check",
              type: "function",
              runtime: "bash",
              input: { PW: { type: "string", value_from: { secret: "DB_PASSWORD" } } },
              output: { length: { type: "string" } },
              // Whole, split across two lines, and base64-encoded.
              code: b64('echo "pw=$PW"; echo "${PW:0:14}"; echo "${PW:14}"; printf %s "$PW" | base64; printf %s "${#PW}" > "$CAIRN_OUTPUTS_DIR/length"'),
            },
          ],
        };
        expect((await ada.post(`${W}/groups/lab/pipelines`, pipeline)).status).toBe(201);
        const run = (await ada.post(`${W}/groups/lab/pipelines/uses-secret/events`)).body.result;
        const path = `${W}/groups/lab/pipelines/uses-secret/runs/${run.uuid}`;
        expect((await waitForRun(ada, path)).status).toBe("succeeded");
        const executions = (await ada.get(`${path}/executions`)).body.result;
        expect(executions[0].outputs).toEqual({ length: String(secret.length) });
        const logs = (await ada.get(`${path}/executions/${executions[0].uuid}/logs`)).text;
        expect(logs).toContain("pw=***");
        const forms = [secret, secret.slice(0, 14), secret.slice(14), b64(secret), b64(secret).slice(4, 30)];
        for (const answer of [logs, JSON.stringify(executions), (await ada.get(path)).text]) {
          for (const form of forms) expect(answer).not.toContain(form);
        }
        const listed = await ada.get(`${W}/groups/lab/secrets`);
        expect(listed.body.result.map((s: any) => s.name)).toEqual(["DB_PASSWORD"]);
        expect(listed.text).not.toContain(secret);
        if (!server.config.databaseUrl) {
          // The write-ahead log too: recent rows live there until a checkpoint.
          for (const file of ["cairn.db", "cairn.db-wal"]) {
            const bytes = await readFile(join(server.dataDir, file)).catch(() => Buffer.alloc(0));
            for (const form of [...forms, "ghp_supersecretvalue123"]) expect(bytes.includes(Buffer.from(form)), `${file} holds ${form}`).toBe(false);
          }
        }
      });
    });

    it("serves an OpenAPI document describing the routes", async () => {
      const doc = await anon.get("/openapi.json");
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/v3/workflows/groups", "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/events"]));
    });

    it("answers an unknown path with the envelope", async () => {
      const res = await ada.get(`${W}/nothing-here`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, status: 404 });
    });
  });
}

