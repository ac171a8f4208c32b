import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAIRN_VERSION } from "../../packages/cairn/src/version.js";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/** GET /v3/workflows, the address `cairn server` prints: an index with links that lead somewhere. */

describe("the API's index", () => {
  let s: InProcessServer;
  let token: string;
  beforeAll(async () => {
    s = await startInProcessServer();
    token = await s.newUser("indexer");
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it("answers anyone with the version and links", async () => {
    const r = await s.inject({ method: "GET", url: "/v3/workflows" });
    expect(r.statusCode, r.body).toBe(200);
    const { result } = r.json();
    expect(result).toMatchObject({ name: "Cairn", version: CAIRN_VERSION });
    expect(result.links.groups).toBe("/v3/workflows/groups");
    expect(result.links.openapi).toBe("/openapi.json");
  });

  it("links only to paths that answer", async () => {
    const { links } = (await s.inject({ method: "GET", url: "/v3/workflows" })).json().result as { links: Record<string, string> };
    for (const [name, path] of Object.entries(links)) {
      const url = path.replace("{group_id}", "nowhere").replace("{pipeline_id}", "none").replace("{run_uuid}", "00000000-0000-4000-8000-000000000000");
      const method = name === "log_in" || name === "start_run" ? "POST" : "GET";
      const r = await s.inject({ method, url, headers: { "x-tapis-token": token }, ...(method === "POST" ? { payload: {} } : {}) });
      // 404s here are "no such group/run" answers from a route, never "there is no GET ...".
      expect(r.body, `${name}: ${method} ${url}`).not.toContain("there is no ");
    }
  });
});
