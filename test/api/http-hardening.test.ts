import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../packages/cairn/src/config.js";
import { ADMIN_PASSWORD } from "../support/api-server.js";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/**
 * The HTTP layer as an attacker and an operator meet it (issue 21, findings 7 and 8):
 * bodies that used to be 500s, CSRF with the session cookie, security headers, request
 * ids and the log of a 500, and the operations endpoints.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const pipeline = (id: string) => ({
  id,
  execution_profile: { runtime: "host", max_exec_time: 60 },
  tasks: [{ id: "hello", type: "function", runtime: "bash", code: b64('echo hello; printf hi > "$CAIRN_OUTPUTS_DIR/greeting"'), output: { greeting: { type: "string" } } }],
});

describe("the HTTP layer", () => {
  let s: InProcessServer;
  let token: string;
  const auth = () => ({ "x-tapis-token": token });

  beforeAll(async () => {
    s = await startInProcessServer({ log: true });
    token = await s.newUser("hardy");
    expect((await s.inject({ method: "POST", url: `${W}/groups`, headers: auth(), payload: { id: "lab" } })).statusCode).toBe(201);
    expect((await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: pipeline("p") })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
  });

  describe("bodies", () => {
    const deep = (levels: number) => `{"id":"p","tasks":${"[".repeat(levels)}${"]".repeat(levels)}}`;

    it.each([
      ["POST", `${W}/groups/lab/pipelines`],
      ["PUT", `${W}/groups/lab/pipelines/p`],
      ["POST", `${W}/groups/lab/pipelines/p/tasks`],
      ["POST", `${W}/groups/lab/pipelines/p/events`],
    ])("refuses JSON nested 10,000 deep on %s %s with 400, not 500", async (method, url) => {
      const answer = await s.inject({ method: method as "POST", url, headers: { ...auth(), "content-type": "application/json" }, payload: deep(10_000) });
      expect(answer.statusCode).toBe(400);
      expect(answer.json()).toMatchObject({ success: false, status: 400, result: { code: "invalid_input" } });
      expect(answer.json().message).toMatch(/nested more than 64 levels/);
    });

    it("still takes JSON nested as deep as the limit, and brackets inside strings do not count", async () => {
      const answer = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: { ...pipeline("brackets"), description: "[[[[".repeat(100) } });
      expect(answer.statusCode).toBe(201);
      const nested = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/p/events`, headers: { ...auth(), "content-type": "application/json" }, payload: deep(62) });
      expect(nested.statusCode).toBe(400);
      expect(nested.json().message).not.toMatch(/nested/);
    });

    it("refuses a body over 1 MiB with 413", async () => {
      const answer = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: { ...pipeline("big"), description: "x".repeat(1024 * 1024) } });
      expect(answer.statusCode).toBe(413);
      expect(answer.json()).toMatchObject({ success: false, status: 413, result: { code: "too_large" } });
    });

    const malformed: [string, string, string][] = [
      ["no boundary in the content type", "multipart/form-data", '--X\r\nContent-Disposition: form-data; name="name"\r\n\r\nfoo\r\n--X--\r\n'],
      ["a body cut short", "multipart/form-data; boundary=X", '--X\r\nContent-Disposition: form-data; name="name"\r\n\r\nfoo'],
      ["a file part cut short", "multipart/form-data; boundary=X", '--X\r\nContent-Disposition: form-data; name="attachments"; filename="a.txt"\r\n\r\nabc'],
      ["another boundary", "multipart/form-data; boundary=X", '--Y\r\nContent-Disposition: form-data; name="name"\r\n\r\nfoo\r\n--Y--\r\n'],
      ["garbage", "multipart/form-data; boundary=X", "garbage"],
    ];
    for (const url of ["/image", `${W}/groups/lab/pipelines/p/events`]) {
      it.each(malformed)(`answers a multipart body with %s on POST ${url} with 400 naming the problem`, async (_what, contentType, body) => {
        const answer = await s.inject({ method: "POST", url, headers: { ...auth(), "content-type": contentType }, payload: body });
        expect(answer.statusCode).toBe(400);
        expect(answer.json().message).toMatch(/^(the upload is not valid multipart\/form-data|image build is invalid|give dockerfile)/);
      });
    }

    it("names what a multipart image build without a file or Dockerfile lacks", async () => {
      const body = '--X\r\nContent-Disposition: form-data; name="name"\r\n\r\nfoo\r\n--X--\r\n';
      const answer = await s.inject({ method: "POST", url: "/image", headers: { ...auth(), "content-type": "multipart/form-data; boundary=X" }, payload: body });
      expect(answer.statusCode).toBe(400);
      expect(answer.json().message).toContain("give dockerfile");
      const empty = await s.inject({ method: "POST", url: "/image", headers: { ...auth(), "content-type": "multipart/form-data; boundary=X" }, payload: "--X--\r\n" });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().message).toContain("name");
    });

    it("refuses a multipart event's JSON field nested too deeply with 400", async () => {
      const body = `--X\r\nContent-Disposition: form-data; name="params"\r\n\r\n${"[".repeat(5000)}${"]".repeat(5000)}\r\n--X--\r\n`;
      const answer = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/p/events`, headers: { ...auth(), "content-type": "multipart/form-data; boundary=X" }, payload: body });
      expect(answer.statusCode).toBe(400);
      expect(answer.json().message).toContain("part 'params'");
    });
  });

  describe("CSRF with the session cookie", () => {
    let cookies: string;
    let csrf: string;
    // What a browser adds to a form post from a page on another port of the same host.
    const fromSibling = { origin: "http://127.0.0.1:9999", "sec-fetch-site": "same-site" };

    beforeAll(async () => {
      const login = await s.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "login=hardy&password=hardy-password-123" });
      expect(login.statusCode).toBe(200);
      const set = login.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string }[];
      const session = set.find((c) => c.name === "cairn_token")!;
      const csrfCookie = set.find((c) => c.name === "cairn_csrf")!;
      expect(session.httpOnly).toBe(true);
      // Scripts of the page read it to copy it into the header.
      expect(csrfCookie.httpOnly).not.toBe(true);
      csrf = csrfCookie.value;
      cookies = `cairn_token=${session.value}; cairn_csrf=${csrf}`;
    });

    it("refuses a state-changing request authenticated by the cookie without X-CSRF-Token (403), and takes it with", async () => {
      const forged = await s.inject({ method: "POST", url: `${W}/groups`, headers: { ...fromSibling, cookie: cookies, "content-type": "application/x-www-form-urlencoded" }, payload: "id=forged" });
      expect(forged.statusCode).toBe(403);
      expect(forged.json()).toMatchObject({ success: false, status: 403, result: { code: "forbidden" } });
      expect(forged.json().message).toContain("X-CSRF-Token");
      expect((await s.inject({ method: "GET", url: `${W}/groups/forged`, headers: auth() })).statusCode).toBe(404);
      for (const method of ["PUT", "PATCH", "DELETE"] as const) {
        expect((await s.inject({ method, url: `${W}/groups/lab/pipelines/p`, headers: { ...fromSibling, cookie: cookies } })).statusCode).toBe(403);
      }
      const accepted = await s.inject({ method: "POST", url: `${W}/groups`, headers: { ...fromSibling, cookie: cookies, "x-csrf-token": csrf }, payload: { id: "csrf-ok" } });
      expect(accepted.statusCode).toBe(201);
    });

    it("refuses a header that does not match the session, or a planted cookie", async () => {
      const wrong = await s.inject({ method: "POST", url: `${W}/groups`, headers: { ...fromSibling, cookie: cookies, "x-csrf-token": "guess" }, payload: { id: "nope" } });
      expect(wrong.statusCode).toBe(403);
      const session = cookies.split(";")[0]!;
      // A sibling site on another port can set cookies for this host, but cannot read the session to derive the value.
      const planted = await s.inject({ method: "POST", url: `${W}/groups`, headers: { ...fromSibling, cookie: `${session}; cairn_csrf=planted`, "x-csrf-token": "planted" }, payload: { id: "nope" } });
      expect(planted.statusCode).toBe(403);
    });

    it("takes a cookie-authenticated post from a program, which sends neither Origin nor Sec-Fetch-Site (Kabuto's python client)", async () => {
      const program = await s.inject({ method: "POST", url: `${W}/groups`, headers: { cookie: cookies }, payload: { id: "by-program" } });
      expect(program.statusCode).toBe(201);
      // The same request with only Sec-Fetch-Site, as a browser sends a same-origin one, needs the token.
      const browser = await s.inject({ method: "POST", url: `${W}/groups`, headers: { cookie: cookies, "sec-fetch-site": "same-origin" }, payload: { id: "by-browser" } });
      expect(browser.statusCode).toBe(403);
    });

    it("leaves reads, header tokens, and the log-in and registration posts alone", async () => {
      expect((await s.inject({ method: "GET", url: `${W}/groups`, headers: { cookie: cookies } })).statusCode).toBe(200);
      const withHeader = await s.inject({ method: "POST", url: `${W}/groups`, headers: { ...auth(), cookie: cookies }, payload: { id: "by-header" } });
      expect(withHeader.statusCode).toBe(201);
      const bearer = await s.inject({ method: "POST", url: `${W}/groups`, headers: { authorization: `Bearer ${token}` }, payload: { id: "by-bearer" } });
      expect(bearer.statusCode).toBe(201);
      const form = { "content-type": "application/x-www-form-urlencoded", cookie: cookies };
      expect((await s.inject({ method: "POST", url: "/login", headers: form, payload: "login=hardy&password=hardy-password-123" })).statusCode).toBe(200);
      expect((await s.inject({ method: "POST", url: "/register", headers: form, payload: "login=formuser&password=form-password-1&email=f%40example.org" })).statusCode).toBe(201);
    });
  });

  describe("headers", () => {
    it.each([
      ["a success", "GET", `${W}/groups`, true, 200],
      ["a 401", "GET", `${W}/groups`, false, 401],
      ["a 404", "GET", "/nowhere", false, 404],
      ["a 400", "POST", `${W}/groups`, true, 400],
      ["the health check", "GET", "/healthz", false, 200],
    ])("are on %s", async (_what, method, url, authenticated, status) => {
      const answer = await s.inject({ method: method as "GET", url, headers: authenticated ? auth() : {}, ...(method === "POST" ? { payload: { id: "" } } : {}) });
      expect(answer.statusCode).toBe(status);
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["cache-control"]).toBe("no-store");
      expect(answer.headers["x-frame-options"]).toBe("DENY");
      expect(answer.headers["referrer-policy"]).toBe("no-referrer");
      expect(answer.headers["content-security-policy"]).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe("request ids and the log", () => {
    it("keeps a sane incoming X-Request-Id, replaces one that is not, and repeats it in error answers", async () => {
      const kept = await s.inject({ method: "GET", url: `${W}/groups/none`, headers: { ...auth(), "x-request-id": "proxy-123.abc" } });
      expect(kept.headers["x-request-id"]).toBe("proxy-123.abc");
      expect(kept.json()).toMatchObject({ status: 404, request_id: "proxy-123.abc" });
      const replaced = await s.inject({ method: "GET", url: `${W}/groups/none`, headers: { ...auth(), "x-request-id": "bad id\twith spaces" } });
      expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(replaced.json().request_id).toBe(replaced.headers["x-request-id"]);
    });

    it("writes a 500's stack and causes to the log under the id its answer gives", async () => {
      const service = s.server.cairn.store.service;
      const spy = vi.spyOn(service, "listGroupsOf").mockRejectedValueOnce(new Error("the disk caught fire", { cause: new Error("root cause: sector 7") }));
      try {
        const answer = await s.inject({ method: "GET", url: `${W}/groups`, headers: auth() });
        expect(answer.statusCode).toBe(500);
        const id = answer.headers["x-request-id"] as string;
        expect(answer.json()).toMatchObject({ success: false, status: 500, result: { code: "internal" }, request_id: id });
        expect(answer.json().message).toBe(`internal error: the server could not handle this request; see the server log, request id ${id}`);
        expect(answer.body).not.toContain("disk caught fire");
        const line = s.logLines().find((l) => l.reqId === id && l.level === 50) as { err: { stack: string }; causes: { message: string; stack: string }[] } | undefined;
        expect(line).toBeDefined();
        expect(line!.err.stack).toContain("the disk caught fire");
        expect(line!.err.stack).toMatch(/\n\s+at /);
        expect(line!.causes[0]).toMatchObject({ message: "root cause: sector 7", stack: expect.stringContaining("at ") });
      } finally {
        spy.mockRestore();
      }
    });

    it("logs each request as JSON with its id, and never a token, cookie, password or confirmation code", async () => {
      const answer = await s.inject({ method: "GET", url: `${W}/groups`, headers: { ...auth(), cookie: `cairn_token=${token}`, authorization: `Bearer ${token}` } });
      const id = answer.headers["x-request-id"];
      expect(s.logLines().some((l) => l.reqId === id && l.msg === "request completed")).toBe(true);
      const registered = await s.inject({ method: "POST", url: "/register", payload: { login: "logged", password: "a-secret-password", email: "l@example.org" } });
      const code = registered.json().token as string;
      await s.inject({ method: "GET", url: `/register/confirm/logged/${code}` });
      const text = s.logText();
      for (const secret of [token, ADMIN_PASSWORD, "a-secret-password", "hardy-password-123", code]) expect(text).not.toContain(secret);
    });
  });

  describe("operations", () => {
    it("GET /healthz answers without a token or the database", async () => {
      const spy = vi.spyOn(s.server.cairn.store.service, "countUsers").mockRejectedValue(new Error("down"));
      try {
        const answer = await s.inject({ method: "GET", url: "/healthz" });
        expect(answer.statusCode).toBe(200);
        expect(answer.json()).toEqual({ status: "ok" });
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });

    it("GET /readyz is 200 when the database and the engine answer, else 503 naming which does not", async () => {
      const ready = await s.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: "ready", checks: { database: "ok", container_engine: "ok" } });
      const spy = vi.spyOn(s.server.cairn.store.service, "countUsers").mockRejectedValueOnce(new Error("connection refused"));
      const noDatabase = await s.inject({ method: "GET", url: "/readyz" });
      spy.mockRestore();
      expect(noDatabase.statusCode).toBe(503);
      expect(noDatabase.json()).toMatchObject({ status: "not ready", checks: { database: "failing", container_engine: "ok" } });
      expect(noDatabase.json().message).toContain("the database does not answer");
      expect(noDatabase.body).not.toContain("connection refused");
    });

    it("GET /metrics reports runs and tasks by state, task durations, the queue, API latency and engine errors", async () => {
      const scrape = async () => (await s.inject({ method: "GET", url: "/metrics" })).body;
      const valueOf = (text: string, series: string) => Number(text.split("\n").find((line) => line.startsWith(`${series} `))?.slice(series.length + 1) ?? 0);
      const before = await scrape();
      const started = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/p/events`, headers: auth(), payload: {} });
      expect(started.statusCode).toBe(201);
      await s.server.cairn.engine.waitForRun(started.json().result.uuid);
      // A container task against an engine that answers only pings: an engine error.
      const containerPipeline = { id: "c", tasks: [{ id: "box", type: "container_run", image: "localhost/busybox:test", command: ["true"] }] };
      expect((await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers: auth(), payload: containerPipeline })).statusCode).toBe(201);
      const failing = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines/c/events`, headers: auth(), payload: {} });
      expect(failing.statusCode).toBe(201);
      await s.server.cairn.engine.waitForRun(failing.json().result.uuid);

      const answer = await s.inject({ method: "GET", url: "/metrics" });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = answer.body;
      expect(text).toMatch(/^cairn_runs\{state="running"\} 0$/m);
      const grew = (series: string) => valueOf(text, series) - valueOf(before, series);
      expect(grew('cairn_runs_ended_total{state="succeeded"}')).toBe(1);
      expect(grew('cairn_runs_ended_total{state="failed"}')).toBe(1);
      expect(grew('cairn_tasks_ended_total{state="succeeded"}')).toBe(1);
      expect(grew('cairn_tasks_ended_total{state="failed"}')).toBe(1);
      expect(grew('cairn_task_duration_seconds_count{state="succeeded"}')).toBe(1);
      expect(text).toMatch(/^cairn_tasks\{state="queued"\} 0$/m);
      expect(text).toMatch(/^cairn_task_queue_depth 0$/m);
      expect(text).toMatch(/^cairn_http_request_duration_seconds_count\{method="POST",route="\/v3\/workflows\/groups\/:group_id\/pipelines\/:pipeline_id\/events",status="201"\} \d+$/m);
      expect(text).toMatch(/^cairn_engine_errors_total\{operation="[a-z]+"\} [1-9]\d*$/m);
    });

    it("GET /readyz names the container engine when it stops answering", async () => {
      await s.stopEngine();
      const answer = await s.inject({ method: "GET", url: "/readyz" });
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toMatchObject({ checks: { database: "ok", container_engine: "failing" } });
      expect(answer.json().message).toContain("the container engine does not answer");
    });
  });
});

describe("GET /metrics with CAIRN_METRICS_TOKEN", () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await startInProcessServer({ overrides: { metricsToken: "scrape-me" } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("needs Authorization: Bearer with that token (401 otherwise)", async () => {
    const none = await s.inject({ method: "GET", url: "/metrics" });
    expect(none.statusCode).toBe(401);
    expect(none.json().message).toContain("CAIRN_METRICS_TOKEN");
    expect((await s.inject({ method: "GET", url: "/metrics", headers: { authorization: "Bearer wrong" } })).statusCode).toBe(401);
    const right = await s.inject({ method: "GET", url: "/metrics", headers: { authorization: "Bearer scrape-me" } });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain("cairn_runs");
    // Health stays open.
    expect((await s.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});

describe("loadConfig: logging and metrics", () => {
  it("reads CAIRN_LOG_LEVEL (default info) and CAIRN_METRICS_TOKEN", () => {
    expect(loadConfig({}, {}).logLevel).toBe("info");
    expect(loadConfig({}, {}).metricsToken).toBeUndefined();
    expect(loadConfig({}, { CAIRN_LOG_LEVEL: "Debug", CAIRN_METRICS_TOKEN: "t" })).toMatchObject({ logLevel: "debug", metricsToken: "t" });
    expect(() => loadConfig({}, { CAIRN_LOG_LEVEL: "loud" })).toThrow(/CAIRN_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'/);
  });
});
