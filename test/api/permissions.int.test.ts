import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, type TestServer } from "../support/api-server.js";
import { hostPipeline } from "./api.suite.js";

/**
 * Every group-scoped endpoint against every kind of caller. Non-members get 404 (the
 * group's existence does not leak), members lacking the role 403, anonymous callers 401.
 */

const W = "/v3/workflows";
type Role = "owner" | "admin" | "member" | "outsider" | "anonymous";
const ROLES: Role[] = ["owner", "admin", "member", "outsider", "anonymous"];

interface Case {
  name: string;
  method: string;
  /** Gets the role so that changing calls work on their own target per role. */
  path: (role: Role) => string;
  body?: (role: Role) => unknown;
  expect: Record<Role, number>;
  /** Who goes last, when that caller's call removes the target (default the owner). */
  last?: Role;
}

const G = `${W}/groups/matrix`;
const P = `${G}/pipelines/hello`;
/** A run of the group, started before the cases run. */
let runUuid = "";

const CASES: Case[] = [
  { name: "read the group", method: "GET", path: () => G, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "list its users", method: "GET", path: () => `${G}/users`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "read one user", method: "GET", path: () => `${G}/users/matrix-member`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "add a user", method: "POST", path: () => `${G}/users`, body: (r) => ({ username: `added-by-${r}` }), expect: { owner: 201, admin: 201, member: 403, outsider: 404, anonymous: 401 } },
  { name: "add an admin", method: "POST", path: () => `${G}/users`, body: (r) => ({ username: `admin-by-${r}`, is_admin: true }), expect: { owner: 201, admin: 403, member: 403, outsider: 404, anonymous: 401 } },
  { name: "make a user admin", method: "PATCH", path: (r) => `${G}/users/added-by-${r === "owner" ? "owner" : "admin"}`, body: () => ({ is_admin: true }), expect: { owner: 200, admin: 403, member: 403, outsider: 404, anonymous: 401 } },
  { name: "remove a member", method: "DELETE", path: (r) => `${G}/users/victim-${r}`, expect: { owner: 200, admin: 200, member: 403, outsider: 404, anonymous: 401 } },
  { name: "remove an admin", method: "DELETE", path: () => `${G}/users/admin-victim`, expect: { owner: 200, admin: 403, member: 403, outsider: 404, anonymous: 401 } },
  { name: "list pipelines", method: "GET", path: () => `${G}/pipelines`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "create a pipeline", method: "POST", path: () => `${G}/pipelines`, body: (r) => hostPipeline(`made-by-${r}`), expect: { owner: 201, admin: 201, member: 201, outsider: 404, anonymous: 401 } },
  { name: "read a pipeline", method: "GET", path: () => P, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "read its tasks", method: "GET", path: () => `${P}/tasks`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "replace a pipeline", method: "PUT", path: () => P, body: () => hostPipeline(), expect: { owner: 200, admin: 200, member: 403, outsider: 404, anonymous: 401 } },
  { name: "start a run", method: "POST", path: () => `${P}/events`, body: () => ({ params: { name: "x" } }), expect: { owner: 201, admin: 201, member: 201, outsider: 404, anonymous: 401 } },
  { name: "list runs", method: "GET", path: () => `${P}/runs`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "find a run by its uuid alone", method: "GET", path: () => `${W}/runs/${runUuid}`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "set a secret", method: "PUT", path: (r) => `${G}/secrets/S_${r}`, body: () => ({ value: "value-1234" }), expect: { owner: 200, admin: 200, member: 403, outsider: 404, anonymous: 401 } },
  { name: "list secrets", method: "GET", path: () => `${G}/secrets`, expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
  { name: "delete another's pipeline", method: "DELETE", path: () => `${G}/pipelines/made-by-member`, expect: { owner: 403, admin: 403, member: 200, outsider: 404, anonymous: 401 }, last: "member" },
  { name: "delete the group", method: "DELETE", path: () => G, expect: { admin: 403, member: 403, outsider: 404, anonymous: 401, owner: 200 } },
];

describe("permissions", () => {
  let server: TestServer;
  const clients = {} as Record<Role, ApiClient>;

  beforeAll(async () => {
    server = await startTestServer();
    const anon = new ApiClient(server.url);
    clients.anonymous = anon;
    clients.owner = await newUser(anon, "matrix-owner");
    clients.admin = await newUser(anon, "matrix-admin");
    clients.member = await newUser(anon, "matrix-member");
    clients.outsider = await newUser(anon, "matrix-outsider");
    const users = [
      { username: "matrix-admin", is_admin: true },
      { username: "matrix-member" },
      { username: "admin-victim", is_admin: true },
      ...ROLES.map((r) => ({ username: `victim-${r}` })),
    ];
    expect((await clients.owner.post(`${W}/groups`, { id: "matrix", users })).status).toBe(201);
    expect((await clients.owner.post(`${G}/pipelines`, hostPipeline())).status).toBe(201);
    const run = await clients.owner.post(`${P}/events`, { params: { name: "matrix" } });
    expect(run.status).toBe(201);
    runUuid = run.body.result.uuid;
  });
  afterAll(async () => {
    await server?.close();
  });

  it("finds a run by uuid with its group and pipeline for a member, and tells an outsider nothing about it", async () => {
    const found = await clients.member.get(`${W}/runs/${runUuid}`);
    expect(found.body.result).toMatchObject({ uuid: runUuid, group_id: "matrix", pipeline_id: "hello" });
    const hidden = await clients.outsider.get(`${W}/runs/${runUuid}`);
    const missing = await clients.outsider.get(`${W}/runs/00000000-0000-4000-8000-000000000000`);
    expect(hidden.status).toBe(404);
    expect(hidden.text).not.toContain("matrix");
    // The same answer as for a run that does not exist, but for the uuid asked about.
    expect(hidden.body.message.replace(runUuid, "X")).toBe(missing.body.message.replace("00000000-0000-4000-8000-000000000000", "X"));
  });

  for (const c of CASES) {
    it(`${c.name}: ${ROLES.map((r) => `${r} ${c.expect[r]}`).join(", ")}`, async () => {
      const got = {} as Record<Role, number>;
      // The remover last, so a destructive call does not hide the others' answers.
      const last = c.last ?? "owner";
      for (const role of [...ROLES.filter((r) => r !== last), last]) {
        const res = await clients[role].request(c.method, c.path(role), c.body?.(role));
        got[role] = res.status;
        if (res.status >= 400) expect(res.body).toMatchObject({ success: false, status: res.status });
      }
      expect(got).toEqual(c.expect);
    });
  }
});
