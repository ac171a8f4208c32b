import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { API_TYPES_FILE, renderApiTypes } from "../../scripts/generate-api-types.js";

describe("openapi-types.ts", () => {
  it("is what the server's OpenAPI document generates now (run `npm run generate:api-types` if not)", async () => {
    const committed = await readFile(API_TYPES_FILE, "utf8");
    // Compared as text: a difference means a route changed and the client's types did not follow.
    expect(committed === (await renderApiTypes()), "packages/cairn/src/client/openapi-types.ts is stale: run `npm run generate:api-types`").toBe(true);
  });

  it("describes the routes the CLI uses, with their answers", async () => {
    const text = await readFile(API_TYPES_FILE, "utf8");
    for (const path of ["/v3/oauth2/tokens", "/v3/workflows/runs/{run_uuid}", "/v3/workflows/groups/{group_id}/pipelines/{pipeline_id}/events"]) {
      expect(text).toContain(`"${path}": {`);
    }
    expect(text).toContain('result: components["schemas"]["Run"];');
  });
});
