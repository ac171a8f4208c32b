import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunId } from "../../packages/cairn/src/ids.js";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/**
 * Fuzzes every route of the OpenAPI document that takes a body or ids in its path, in
 * process (app.inject) against a whole server with real groups, pipelines and runs, as a
 * member of the group and as its admin, so requests get past the schemas into the
 * handlers. Whatever is sent, the answer is never a 5xx, the server keeps answering and
 * its heap does not grow without bound.
 *
 * CAIRN_FUZZ_RUNS requests (5,000 in CI; `npm run fuzz` sends 50,000); CAIRN_FUZZ_SEED
 * replays a run; FUZZ_DEBUG=1 prints the commonest 400 messages (to see where requests stop).
 */

const RUNS = Number(process.env.CAIRN_FUZZ_RUNS ?? 5_000);
const SEED = process.env.CAIRN_FUZZ_SEED === undefined ? undefined : Number(process.env.CAIRN_FUZZ_SEED);
/** How much the heap may grow from the warmed-up server to the end (after a collection). */
const HEAP_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;
const W = "/v3/workflows";
const METHODS = ["get", "post", "put", "patch", "delete"] as const;
/** Routes that also read multipart/form-data bodies (api/upload-scope.ts). */
const MULTIPART = /^\/image$|\/events$/;

interface FuzzRoute {
  method: (typeof METHODS)[number];
  path: string;
  params: string[];
  hasBody: boolean;
  /** Every property name anywhere in the body's schema: keys that get past a strict object. */
  keys: string[];
}

const b64 = (text: string) => Buffer.from(text).toString("base64");
/** Container tasks: against the fake engine they fail at once, so fuzzed events start no processes. */
const seedPipeline = (id: string) => ({
  id,
  description: "fuzzed",
  tasks: [
    { id: "first", type: "container_run", image: "localhost/busybox:test", command: ["true"], output: { out: { type: "string" } } },
    { id: "second", type: "function", runtime: "bash", code: b64("echo hi"), depends_on: [{ id: "first" }], execution_profile: { runtime: "container" } },
  ],
});
const SEED_BODIES: unknown[] = [
  seedPipeline("fz"),
  seedPipeline("p").tasks[0],
  { params: { name: "hi" }, directives: {}, commit_message: "m" },
  { id: "g", users: [{ username: "fuzz-member", is_admin: false }] },
  { username: "fuzz-member", is_admin: true },
  { value: "secret-value" },
  { id: "sys", type: "local", path: "data" },
  { id: "arc", system_id: "sys", path: "archive" },
  { name: "img", dockerfile: "FROM localhost/busybox:test\n" },
  { login: "someone", password: "password-123", email: "a@b.org" },
  { username: "fuzz-member", password: "fuzz-member-password-123", grant_type: "password" },
  { reason: "broken" },
  { type: "ssh", host: "example.org", username: "u", password: "p" },
];

describe("fuzzing the API", () => {
  let s: InProcessServer;
  let routes: FuzzRoute[];
  let ids: Record<string, string[]>;
  let tokens: string[];
  let restore: () => Promise<void>;

  beforeAll(async () => {
    s = await startInProcessServer();
    const admin = await s.newUser("fuzz-admin");
    const member = await s.newUser("fuzz-member");
    tokens = [member, member, member, admin];
    const as = (token: string, method: "POST" | "PUT" | "GET", url: string, payload?: unknown) =>
      s.inject({ method, url, headers: { "x-tapis-token": token }, ...(payload === undefined ? {} : { payload: payload as object }) });
    restore = async () => {
      // What the fuzzing may delete or change (as the admin), made again so later requests reach deep handlers.
      await as(admin, "POST", `${W}/groups`, { id: "lab", users: [{ username: "fuzz-member", is_admin: false }] });
      await as(admin, "POST", `${W}/groups/lab/users`, { username: "fuzz-member", is_admin: false });
      await as(admin, "POST", `${W}/groups/lab/pipelines`, seedPipeline("p"));
      await as(admin, "PUT", `${W}/groups/lab/secrets/token`, { value: "fuzz-secret" });
    };
    await restore();
    const event = await as(member, "POST", `${W}/groups/lab/pipelines/p/events`, {});
    expect(event.statusCode).toBe(201);
    const runUuid = event.json().result.uuid as string;
    await s.server.cairn.engine.waitForRun(runUuid as RunId);
    const executions = await as(member, "GET", `${W}/groups/lab/pipelines/p/runs/${runUuid}/executions`);
    const executionUuid = executions.json().result[0].uuid as string;
    // Real ids by the path parameter they fit, so most requests name things that exist.
    ids = {
      group_id: ["lab"],
      pipeline_id: ["p"],
      task_id: ["first", "second"],
      run_uuid: [runUuid],
      build_id: [runUuid],
      execution_uuid: [executionUuid],
      username: ["fuzz-member", "fuzz-admin"],
      login: ["fuzz-member"],
      name: ["token"],
      digest: ["sha256:" + "0".repeat(64)],
    };
    routes = fuzzRoutes((await s.inject({ method: "GET", url: "/openapi.json" })).json());
    expect(routes.length).toBeGreaterThan(40);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it(`answers ${RUNS} fuzzed requests without a 5xx, keeps answering, and its heap stays bounded`, { timeout: Math.max(120_000, RUNS * 20) }, async () => {
    const gc = exposeGc();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    let heapAtWarmUp = 0;
    const messages = new Map<string, number>();

    const property = fc.asyncProperty(requestArbitrary(routes, ids, tokens), async (request) => {
      sent++;
      if (sent % 500 === 0) await restore();
      if (sent === Math.min(500, Math.floor(RUNS / 4))) heapAtWarmUp = heapAfterCollection(gc);
      const answer = await s.inject(request);
      if (process.env.FUZZ_DEBUG && answer.statusCode === 400) messages.set(answer.json().message.slice(0, 70), (messages.get(answer.json().message.slice(0, 70)) ?? 0) + 1);
      statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
      if (answer.statusCode >= 500 && failures.length < 20) {
        failures.push(`${request.method} ${request.url} ${String(request.headers["content-type"] ?? "")} ${truncate(String(request.payload ?? ""))} -> ${answer.statusCode} ${truncate(answer.body)}`);
      }
      // Not thrown: fast-check would shrink and replay it, and one run should show every distinct 5xx.
      return true;
    });
    await fc.assert(property, { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });
    const heapGrowth = heapAfterCollection(gc) - heapAtWarmUp;

    const fivexx = [...statuses].filter(([status]) => status >= 500).reduce((n, [, count]) => n + count, 0);
    // The figure the issue asks for: fuzzed requests and 5xx.
    console.log(`fuzz: ${sent} requests, ${fivexx} 5xx; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}; heap growth ${(heapGrowth / 1024 / 1024).toFixed(1)} MiB`);
    if (process.env.FUZZ_DEBUG) console.log([...messages].sort((a, b) => b[1] - a[1]).slice(0, 25));
    expect(failures).toEqual([]);
    expect(sent).toBe(RUNS);
    expect((await s.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await s.inject({ method: "GET", url: `${W}/groups`, headers: { "x-tapis-token": tokens[0]! } })).statusCode).toBe(200);
    expect(heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
  });
});

function fuzzRoutes(document: { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>> }): FuzzRoute[] {
  const routes: FuzzRoute[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    for (const method of METHODS) {
      const operation = operations[method];
      if (operation === undefined) continue;
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      const hasBody = schema !== undefined;
      if (!hasBody && params.length === 0) continue;
      routes.push({ method, path, params, hasBody, keys: hasBody ? [...propertyNames(schema, document)] : [] });
    }
  }
  return routes;
}

function propertyNames(schema: unknown, document: unknown, found = new Set<string>(), seen = new Set<unknown>()): Set<string> {
  if (schema === null || typeof schema !== "object" || seen.has(schema)) return found;
  seen.add(schema);
  const ref = (schema as { $ref?: string }).$ref;
  if (typeof ref === "string") {
    const target = ref.replace(/^#\//, "").split("/").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
    return propertyNames(target, document, found, seen);
  }
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (properties) for (const [name, child] of Object.entries(properties)) {
    found.add(name);
    propertyNames(child, document, found, seen);
  }
  for (const value of Object.values(schema)) if (typeof value === "object") propertyNames(value, document, found, seen);
  return found;
}

function requestArbitrary(routes: FuzzRoute[], ids: Record<string, string[]>, tokens: string[]) {
  const everyId = Object.values(ids).flat();
  const segment = (param: string) => fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...(ids[param] ?? everyId)) },
    { weight: 2, arbitrary: fc.constantFrom(...everyId) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 10 }) },
    { weight: 1, arbitrary: fc.constantFrom("..", ".", "%00", "%2e%2e", "%2F", "a".repeat(300), "0", "-1", "sha256:zz", "~", "__proto__", "constructor", "null") },
  );
  const json = fc.jsonValue({ maxDepth: 4 });
  const route = fc.constantFrom(...routes);
  return route.chain((r) => {
    const body = r.hasBody ? bodyArbitrary(r, json) : fc.constant(undefined);
    return fc.record({ path: fc.tuple(...r.params.map(segment)), body, token: fc.constantFrom(...tokens), query: fc.option(fc.constantFrom("?since=-1", "?limit=99999999", "?ref=%00", "?x[y]=1", "?reference=a:b"), { nil: undefined }) }).map(({ path, body, token, query }) => {
      let url = r.path;
      r.params.forEach((name, i) => (url = url.replace(`{${name}}`, encodeURIComponent(path[i]!))));
      const request = { method: r.method.toUpperCase() as "POST", url: url + (query ?? ""), headers: { "x-tapis-token": token } as Record<string, string>, payload: undefined as string | undefined };
      if (body !== undefined) {
        request.headers["content-type"] = body.contentType;
        request.payload = body.text;
      }
      return request;
    });
  });
}

function bodyArbitrary(route: FuzzRoute, json: fc.Arbitrary<fc.JsonValue>): fc.Arbitrary<{ contentType: string; text: string }> {
  const keys = route.keys.length > 0 ? route.keys : ["id"];
  const asJson = (value: unknown) => ({ contentType: "application/json", text: JSON.stringify(value) ?? "null" });
  const value = fc.oneof({ weight: 3, arbitrary: json }, { weight: 1, arbitrary: fc.constantFrom<fc.JsonValue>("lab", "p", "first", "fuzz-member", "localhost/busybox:test", true, 1, "") });
  // Objects with the schema's own keys, each with any JSON value: past `strictObject`, into the checks of each field.
  const keyed = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 }).map(asJson);
  // A real body for this route (one whose keys it knows), whole or with one field replaced: past most checks, into the handler.
  const fitting = SEED_BODIES.filter((seed) => Object.keys(seed as object).every((key) => keys.includes(key)));
  const seeds = fc.constantFrom(...(fitting.length > 0 ? fitting : SEED_BODIES)) as fc.Arbitrary<Record<string, unknown>>;
  const mutated = seeds.chain((seed) => fc.tuple(fc.constantFrom(...Object.keys(seed)), value).map(([key, v]) => asJson({ ...seed, [key]: v })));
  const whole = seeds.map(asJson);
  const deep = fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom("[", "{\"a\":")).map(([depth, open]) => ({
    contentType: "application/json",
    text: `{"${keys[0]}":${open.repeat(depth)}1${(open === "[" ? "]" : "}").repeat(depth)}}`,
  }));
  const garbage = fc.tuple(fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin1", "application/xml"), fc.string({ maxLength: 200 })).map(([contentType, text]) => ({ contentType, text }));
  const form = fc.dictionary(fc.constantFrom(...keys), fc.string({ maxLength: 30 }), { maxKeys: 5 }).map((fields) => ({ contentType: "application/x-www-form-urlencoded", text: new URLSearchParams(fields).toString() }));
  const choices = [
    { weight: 5, arbitrary: keyed },
    { weight: 5, arbitrary: mutated },
    { weight: 2, arbitrary: whole },
    { weight: 1, arbitrary: deep },
    { weight: 2, arbitrary: garbage },
    { weight: 1, arbitrary: form },
    { weight: 2, arbitrary: json.map(asJson) },
  ];
  if (MULTIPART.test(route.path)) choices.push({ weight: 4, arbitrary: multipartArbitrary(keys) });
  return fc.oneof(...choices);
}

/** Multipart bodies, well formed or not: fields, files with odd names, parts cut short, missing boundaries. */
function multipartArbitrary(keys: string[]): fc.Arbitrary<{ contentType: string; text: string }> {
  const name = fc.oneof(fc.constantFrom(...keys, "attachments", "task:first", "task:nope", "dockerfile", ""), fc.string({ maxLength: 10 }));
  const filename = fc.option(fc.oneof(fc.constantFrom("a.txt", "../x", "/etc/passwd", "d/e/f.txt", "", ".", "a\\b", "%00"), fc.string({ maxLength: 12 })), { nil: undefined });
  const part = fc.record({ name, filename, content: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))), json: fc.boolean() });
  return fc
    .record({ parts: fc.array(part, { maxLength: 5 }), boundary: fc.constantFrom("X", "b0und", ""), cut: fc.option(fc.nat({ max: 200 }), { nil: undefined }), closed: fc.boolean() })
    .map(({ parts, boundary, cut, closed }) => {
      const b = boundary === "" ? "X" : boundary;
      let text = parts
        .map((p) => {
          const disposition = `form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}`;
          const type = p.json ? "\r\nContent-Type: application/json" : "";
          return `--${b}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n${p.content}\r\n`;
        })
        .join("");
      if (closed) text += `--${b}--\r\n`;
      if (cut !== undefined) text = text.slice(0, cut);
      return { contentType: boundary === "" ? "multipart/form-data" : `multipart/form-data; boundary=${boundary}`, text };
    });
}

function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

function heapAfterCollection(gc: (() => void) | undefined): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
