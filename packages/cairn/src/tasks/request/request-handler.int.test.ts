import { readFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeContext, type FakeContext } from "../../../../../test/support/fake-context.js";
import { loadConfig, type CairnConfig } from "../../config.js";
import type { RequestTask } from "../../spec/types.js";
import { requestHandler } from "./request-handler.js";

/**
 * Against a real HTTP server on a private port: what the server received is the proof.
 * The server is on loopback, which the egress policy refuses by default: these tests
 * allow it as an operator would, with CAIRN_EGRESS_ALLOW.
 */

const ALLOWING_LOOPBACK = loadConfig({ dataDir: join(tmpdir(), "cairn-request-tests") }, { CAIRN_EGRESS_ALLOW: "127.0.0.1" });

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let slowRequestArrived: () => void = () => {};
const contexts: FakeContext<RequestTask>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const path = new URL(req.url!, "http://x").pathname;
      const status = /^\/status\/(\d+)$/.exec(path);
      const redirect = /^\/redirect\/(\d+)$/.exec(path);
      if (status) {
        res.writeHead(Number(status[1]), { "content-type": "text/plain" }).end(`status ${status[1]}`);
      } else if (redirect) {
        const left = Number(redirect[1]);
        res.writeHead(302, { location: left === 0 ? "/echo" : `/redirect/${left - 1}` }).end();
      } else if (path === "/big") {
        res.writeHead(200);
        const mib = Buffer.alloc(1024 * 1024, "x");
        for (let i = 0; i < 11; i++) res.write(mib);
        res.end();
      } else if (path === "/to") {
        const query = new URL(req.url!, "http://x").searchParams;
        res.writeHead(Number(query.get("status") ?? 302), { location: query.get("u")! }).end();
      } else if (path === "/hang") {
        slowRequestArrived();
      } else if (path === "/slow") {
        res.writeHead(200);
        res.write("partial");
        slowRequestArrived();
      } else {
        res.writeHead(200, { "content-type": "application/json", "x-reply": "yes" }).end(JSON.stringify({ ok: true, method: req.method }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  seen.length = 0;
  await Promise.all(contexts.splice(0).map((c) => c.cleanup()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function requestTask(overrides: Partial<RequestTask>): RequestTask {
  return {
    id: "call",
    type: "request",
    protocol: "http",
    http_method: "get",
    url: `${base}/echo`,
    headers: {},
    query_params: {},
    depends_on: [],
    execution_profile: {},
    input: {},
    output: {},
    ...overrides,
  };
}

function context(overrides: Partial<RequestTask>, inputs: Record<string, string> = {}, config: CairnConfig = ALLOWING_LOOPBACK): FakeContext<RequestTask> {
  const ctx = fakeContext(requestTask(overrides), { inputs, config });
  contexts.push(ctx);
  return ctx;
}

describe("requestHandler", () => {
  it("sends a GET with query params merged into the url, and returns status, body and headers", async () => {
    const ctx = context({ url: `${base}/echo?a=1&b=2`, query_params: { b: "two", c: "x y" } });
    const outcome = await requestHandler.run(ctx);

    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("GET");
    expect(new URL(seen[0]!.url, base).searchParams.toString()).toBe("a=1&b=two&c=x+y");
    expect(outcome.outputs?.status).toBe("200");
    expect(JSON.parse(outcome.outputs!.body!)).toEqual({ ok: true, method: "GET" });
    expect(JSON.parse(outcome.outputs!.headers!)).toMatchObject({ "x-reply": "yes", "content-type": "application/json" });
    expect(await readFile(join(ctx.paths.outputs, "status"), "utf8")).toBe("200");
    expect(await readFile(join(ctx.paths.outputs, "body"), "utf8")).toBe(outcome.outputs!.body);
    expect(ctx.logs).toHaveLength(1);
    expect(ctx.logs[0]!.stream).toBe("system");
    expect(ctx.logs[0]!.line).toMatch(new RegExp(`^GET ${base}/echo\\?a=1&b=two&c=x\\+y -> 200 \\(\\d+ ms, 26 bytes\\)$`));
  });

  it("POSTs an object as JSON with a content type, and sends the task's headers", async () => {
    await requestHandler.run(context({ http_method: "post", headers: { "X-Trace": "abc" }, data: { name: "cairn", tags: [1, 2] } }));
    expect(seen[0]).toMatchObject({ method: "POST", body: '{"name":"cairn","tags":[1,2]}' });
    expect(seen[0]!.headers).toMatchObject({ "content-type": "application/json", "x-trace": "abc" });
  });

  it("sends a string body as is and keeps a content type the task set", async () => {
    await requestHandler.run(context({ http_method: "post", headers: { "Content-Type": "text/csv" }, data: "a,b\n1,2" }));
    expect(seen[0]).toMatchObject({ body: "a,b\n1,2", headers: expect.objectContaining({ "content-type": "text/csv" }) });
  });

  it.each(["put", "patch", "delete", "options"] as const)("sends %s with its body", async (method) => {
    await requestHandler.run(context({ http_method: method, data: { m: method } }));
    expect(seen[0]).toMatchObject({ method: method.toUpperCase(), body: `{"m":"${method}"}` });
  });

  it("sends HEAD and GET without a body even when data is set", async () => {
    const outcome = await requestHandler.run(context({ http_method: "head", data: { ignored: true } }));
    await requestHandler.run(context({ http_method: "get", data: "ignored" }));
    expect(seen.map((s) => [s.method, s.body])).toEqual([["HEAD", ""], ["GET", ""]]);
    expect(outcome.outputs?.body).toBe("");
  });

  it("sends basic and bearer auth, and never logs them", async () => {
    const basic = context({ auth: { type: "basic", username: "ann", password: "s3cret" } });
    await requestHandler.run(basic);
    const bearer = context({ auth: { type: "bearer", token: "tok-123" } });
    await requestHandler.run(bearer);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from("ann:s3cret").toString("base64")}`);
    expect(seen[1]!.headers.authorization).toBe("Bearer tok-123");
    expect(JSON.stringify([...basic.logs, ...bearer.logs])).not.toMatch(/s3cret|tok-123|Basic|Bearer/);
  });

  it("turns user:pass in the url into basic auth and keeps it out of logs and errors", async () => {
    const ctx = context({ url: `http://ann:pw@127.0.0.1:${new URL(base).port}/status/500` });
    const failure = await requestHandler.run(ctx).catch((e: unknown) => e);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from("ann:pw").toString("base64")}`);
    expect(failure).toMatchObject({ name: "TaskFailure" });
    expect(JSON.stringify(ctx.logs) + (failure as Error).message).not.toContain("ann:pw");
  });

  it("fails a 404 without retry, naming method, url and status", async () => {
    await expect(requestHandler.run(context({ url: `${base}/status/404` }))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: `GET ${base}/status/404 returned status 404: status 404`,
    });
  });

  it("fails a 503 or 429 as retryable", async () => {
    await expect(requestHandler.run(context({ url: `${base}/status/503` }))).rejects.toMatchObject({ name: "TaskFailure", retryable: true });
    await expect(requestHandler.run(context({ url: `${base}/status/429` }))).rejects.toMatchObject({ name: "TaskFailure", retryable: true });
  });

  it("succeeds on a status listed in success_status_codes, and fails a 200 not listed", async () => {
    const outcome = await requestHandler.run(context({ url: `${base}/status/404`, success_status_codes: [404] }));
    expect(outcome.outputs).toMatchObject({ status: "404", body: "status 404" });
    await expect(requestHandler.run(context({ success_status_codes: [201] }))).rejects.toMatchObject({ name: "TaskFailure", retryable: false });
  });

  it("fails a refused connection as retryable, with the cause's message", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(requestHandler.run(context({ url: `http://127.0.0.1:${port}/` }))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: true,
      message: expect.stringContaining("ECONNREFUSED"),
    });
  });

  it.each(["/hang", "/slow"])("stops a slow response (%s) when the signal is aborted, rethrowing the abort reason", async (path) => {
    const ctx = context({ url: `${base}${path}` });
    const arrived = new Promise<void>((resolve) => (slowRequestArrived = resolve));
    const running = requestHandler.run(ctx);
    await arrived;
    const reason = new Error("max_exec_time reached");
    ctx.controller.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it("follows up to 5 redirects and fails past that", async () => {
    const ok = context({ url: `${base}/redirect/4` });
    expect((await requestHandler.run(ok)).outputs?.status).toBe("200");
    expect(seen.at(-1)!.url).toBe("/echo");
    expect(ok.logs.filter((l) => l.line.includes("redirect to"))).toHaveLength(5);
    await expect(requestHandler.run(context({ url: `${base}/redirect/5` }))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: expect.stringContaining("redirected more than 5 times"),
    });
  });

  it("turns a POST into a GET on 303, keeps it on 307, and drops auth when leaving the origin", async () => {
    await requestHandler.run(context({ http_method: "post", data: { a: 1 }, url: `${base}/to?status=303&u=/echo` }));
    await requestHandler.run(context({ http_method: "post", data: { a: 1 }, url: `${base}/to?status=307&u=/echo` }));
    expect(seen.filter((s) => s.url === "/echo").map((s) => [s.method, s.body])).toEqual([["GET", ""], ["POST", '{"a":1}']]);

    const other = createServer((req, res) => res.end(JSON.stringify({ authorization: req.headers.authorization ?? null })));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
      const sameOrigin = await requestHandler.run(context({ auth: { type: "bearer", token: "t" }, url: `${base}/to?u=/echo` }));
      expect(sameOrigin.outputs?.status).toBe("200");
      expect(seen.at(-1)!.headers.authorization).toBe("Bearer t");
      const crossOrigin = await requestHandler.run(context({ auth: { type: "bearer", token: "t" }, url: `${base}/to?u=${encodeURIComponent(elsewhere)}` }));
      expect(JSON.parse(crossOrigin.outputs!.body!)).toEqual({ authorization: null });
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("fails an unknown host as retryable, naming the DNS error", async () => {
    await expect(requestHandler.run(context({ url: "http://cairn-no-such-host.invalid/" }))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: true,
      message: expect.stringMatching(/^GET http:\/\/cairn-no-such-host\.invalid\/ failed: .*(ENOTFOUND|EAI_AGAIN)/),
    });
  });

  it("fails a body over 10 MiB with a clear message", async () => {
    await expect(requestHandler.run(context({ url: `${base}/big` }))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: expect.stringContaining("larger than 10 MiB"),
    });
  });

  it("replaces {{inputs.NAME}} in url, query, headers and data", async () => {
    const ctx = context(
      {
        http_method: "post",
        url: `${base}/{{inputs.path}}`,
        query_params: { q: "{{ inputs.term }}" },
        headers: { "x-id": "id-{{inputs.id}}" },
        data: { nested: ["{{inputs.term}}!"], n: 3 },
      },
      { path: "echo", term: "stones", id: "42" },
    );
    await requestHandler.run(ctx);
    expect(seen[0]).toMatchObject({ url: "/echo?q=stones", body: '{"nested":["stones!"],"n":3}' });
    expect(seen[0]!.headers["x-id"]).toBe("id-42");
  });

  it("fails without retry on a placeholder naming an unknown input", async () => {
    await expect(requestHandler.run(context({ url: `${base}/{{inputs.nope}}` }))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: false,
      message: "url of request task 'call' uses {{inputs.nope}}, but the task has no input 'nope'",
    });
    expect(seen).toHaveLength(0);
  });

  it("adds the protocol to a url without a scheme", async () => {
    await requestHandler.run(context({ url: `127.0.0.1:${new URL(base).port}/echo` }));
    expect(seen[0]!.url).toBe("/echo");
  });
});

describe("requestHandler: the egress policy", () => {
  /** The server's defaults: no CAIRN_EGRESS_ALLOW. */
  const STRICT = loadConfig({ dataDir: join(tmpdir(), "cairn-request-tests") }, {});
  const port = () => new URL(base).port;

  it("refuses loopback, unspecified and metadata addresses in any spelling, and the server receives nothing", async () => {
    // One listener on ::1 too, when the host has IPv6, so [::1] would be answered if it were let through.
    const v6 = createServer((req, res) => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: "" });
      res.end("reached over ::1");
    });
    const v6Port = await new Promise<number | undefined>((resolve) => {
      v6.once("error", () => resolve(undefined));
      v6.listen(0, "::1", () => resolve((v6.address() as AddressInfo).port));
    });
    try {
      const cases: Array<[string, RegExp]> = [
        [`http://127.0.0.1:${port()}/echo`, /127\.0\.0\.1 is a loopback address/],
        [`http://localhost:${port()}/echo`, /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
        [`http://2130706433:${port()}/echo`, /127\.0\.0\.1 is a loopback address/],
        [`http://0x7f000001:${port()}/echo`, /127\.0\.0\.1 is a loopback address/],
        [`http://0.0.0.0:${port()}/echo`, /0\.0\.0\.0 is an unspecified address/],
        [`http://[::1]:${v6Port ?? port()}/echo`, /::1 is a loopback address/],
        [`http://[::ffff:127.0.0.1]:${port()}/echo`, /is an IPv6 form of 127\.0\.0\.1, a loopback address/],
        ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a cloud metadata address/],
      ];
      for (const [url, reason] of cases) {
        const failure = await requestHandler.run(context({ url }, {}, STRICT)).catch((e: unknown) => e);
        expect(failure, url).toMatchObject({ name: "EgressRefused", retryable: false });
        const shown = new URL(url).href;
        expect((failure as Error).message, url).toMatch(new RegExp(`^request to ${escape(shown)} \\(url of request task 'call'\\) refused: `));
        expect((failure as Error).message, url).toMatch(reason);
        expect((failure as Error).message, url).toMatch(/; an operator may allow it with CAIRN_EGRESS_ALLOW$/);
      }
      expect(seen).toEqual([]);
    } finally {
      await new Promise((resolve) => v6.close(resolve));
    }
  });

  it("refuses a redirect from an allowed host to a loopback one it does not allow, and the target receives nothing", async () => {
    let reached = 0;
    const internal = createServer((_req, res) => {
      reached++;
      res.end("internal");
    });
    await new Promise<void>((resolve) => internal.listen(0, "127.0.0.1", resolve));
    try {
      const internalUrl = `http://localhost:${(internal.address() as AddressInfo).port}/secret`;
      // Only the public-facing server is allowed, by host and port.
      const config = loadConfig({ dataDir: join(tmpdir(), "cairn-request-tests") }, { CAIRN_EGRESS_ALLOW: `127.0.0.1:${port()}` });
      const ctx = context({ url: `${base}/to?u=${encodeURIComponent(internalUrl)}` }, {}, config);
      const failure = await requestHandler.run(ctx).catch((e: unknown) => e);
      expect(failure).toMatchObject({ name: "EgressRefused", retryable: false });
      expect((failure as Error).message).toMatch(
        new RegExp(`^redirect from ${escape(`${base}/to?u=`)}\\S+ to ${escape(internalUrl)} \\(url of request task 'call'\\) refused: localhost resolves to (127\\.0\\.0\\.1|::1), a loopback address`),
      );
      expect(seen).toHaveLength(1);
      expect(reached).toBe(0);
    } finally {
      await new Promise((resolve) => internal.close(resolve));
    }
  });

  it("stops a call that outlasts CAIRN_EGRESS_FETCH_TIMEOUT, as a retryable failure", async () => {
    const config = loadConfig({ dataDir: join(tmpdir(), "cairn-request-tests") }, { CAIRN_EGRESS_ALLOW: "127.0.0.1", CAIRN_EGRESS_FETCH_TIMEOUT: "500ms" });
    const started = Date.now();
    await expect(requestHandler.run(context({ url: `${base}/slow` }, {}, config))).rejects.toMatchObject({
      name: "TaskFailure",
      retryable: true,
      message: `GET ${base}/slow took longer than 0.5 s, the most a server-side fetch may take (CAIRN_EGRESS_FETCH_TIMEOUT)`,
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
