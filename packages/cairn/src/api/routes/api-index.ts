import { z } from "zod";
import { CAIRN_VERSION } from "../../version.js";
import type { ApiApp } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";

/**
 * `GET /v3/workflows`: a small index of the API, since `cairn server` prints this address
 * as where the API is. Open to anyone, token or not: it lists paths, which the OpenAPI
 * document at /openapi.json shows anyone already.
 */

const apiIndexSchema = named(
  "ApiIndex",
  z.object({
    name: z.string(),
    version: z.string(),
    links: z.record(z.string(), z.string()).describe("what a client starts from, by name: paths on this server"),
  }),
);

export function apiIndexRoute(app: ApiApp, prefix: string): void {
  app.get(
    prefix,
    { config: { runToken: "allow" }, schema: { summary: "An index of the API: its version and the paths to start from", response: { 200: envelopeSchema(apiIndexSchema) } } },
    async () =>
      ok(
        {
          name: "Cairn",
          version: CAIRN_VERSION,
          links: {
            groups: `${prefix}/groups`,
            group_pipelines: `${prefix}/groups/{group_id}/pipelines`,
            pipeline_runs: `${prefix}/groups/{group_id}/pipelines/{pipeline_id}/runs`,
            start_run: `${prefix}/groups/{group_id}/pipelines/{pipeline_id}/events`,
            run: `${prefix}/runs/{run_uuid}`,
            identities: `${prefix}/identities`,
            log_in: "/v3/oauth2/tokens",
            openapi: "/openapi.json",
            health: "/healthz",
          },
        },
        "Cairn's API: see links, and /openapi.json for every route",
      ),
  );
}
