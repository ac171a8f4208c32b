import { z } from "zod";
import { CairnError } from "../../errors.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { principalOf } from "../principal.js";

/**
 * `GET /engine`: what runs the tasks. The container engine that builds and runs images
 * (its name, version and architecture: wfexs' engine fingerprint), and (issue 15) the live
 * Cairn processes sharing the database, with their role, slots and heartbeat age. Any
 * signed-in user may read it: it says how busy the service is (why a run waits) and holds
 * no group's data. A run's token may not: a task has no business with the service's processes.
 */

const workerSchema = named(
  "Worker",
  z.object({
    id: z.string().describe("HOST:PID:START, as printed at the process's start"),
    role: z.enum(["api", "worker", "all"]).describe("api: serves, runs nothing; worker: runs tasks, serves no API; all: both"),
    slots_total: z.number().int(),
    slots_used: z.number().int(),
    slots_free: z.number().int(),
    started: z.string(),
    heartbeat_age_ms: z.number().int().describe("how long ago its last heartbeat was written"),
  }),
);

const engineSchema = z.object({
  name: z.string(),
  version: z.string(),
  api_version: z.string(),
  arch: z.string(),
  os: z.string(),
  lease_seconds: z.number().int().describe("a worker whose heartbeat is older than this is not listed, and its runs are taken over by the others"),
  workers: z.array(workerSchema).describe("the live Cairn processes sharing this database, oldest first"),
});

export function engineRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    "/engine",
    {
      schema: {
        summary: "The container engine that builds and runs images (name, version, architecture), and the live worker processes: role, free and used slots, heartbeat age",
        response: { 200: envelopeSchema(engineSchema) },
      },
    },
    async (request) => {
      principalOf(request);
      if (!ctx.imageEngine) throw new CairnError("runtime_unavailable", "this server has no container engine configured");
      const now = Date.now();
      const leaseMs = ctx.config.leaseSeconds * 1000;
      const [d, workers] = await Promise.all([ctx.imageEngine().then((engine) => engine.describe()), ctx.store.claims.listWorkers(now - leaseMs)]);
      return ok({
        name: d.name,
        version: d.version,
        api_version: d.apiVersion,
        arch: d.arch,
        os: d.os,
        lease_seconds: ctx.config.leaseSeconds,
        workers: workers.map((w) => ({
          id: w.id,
          role: w.role,
          slots_total: w.slotsTotal,
          slots_used: w.slotsUsed,
          slots_free: Math.max(0, w.slotsTotal - w.slotsUsed),
          started: new Date(w.startedAt).toISOString(),
          heartbeat_age_ms: Math.max(0, now - w.heartbeatAt),
        })),
      });
    },
  );
}
